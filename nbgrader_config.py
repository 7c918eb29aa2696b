"""nbgrader's view of this repository (run nbgrader from the repository root):
solutions/ is the source of every assignment, course/ the release learners open."""

c = get_config()  # noqa: F821 (nbgrader defines get_config when it reads this file)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
