"""nbgrader's view of this repository (run nbgrader from the repository root):
solutions/ is the source of every assignment, course/ the release learners open."""

c = get_config()  # noqa: F821 (nbgrader defines get_config when it reads this file)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
# Per-cell limit under `nbgrader autograde`: the slowest solution cell (TensorFlow's import in
# 07 and 09) takes about 10 s on 2 busy cores; 120 s leaves a wide margin and still stops a
# runaway answer. (The capstone trains only a few steps when NBGRADER_EXECUTION is set.)
c.Execute.timeout = 120
