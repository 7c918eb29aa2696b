"""An instructor's course folder: a clone of this repository in their home, so formgrader
(which must find the course inside the server's root, the home) and the command line agree."""

import os

c = get_config()  # noqa: F821 (nbgrader defines get_config when it reads this file)
c.CourseDirectory.root = os.path.expanduser("~/rnn-course")
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
# `python -m autograder grade submitted --out graded --db sqlite:///$HOME/rnn-course/gradebook.db`
# writes its scores into this course's gradebook and its autograded notebooks here, where
# formgrader looks for them: its submissions, scores and manual grading then show our grades.
c.CourseDirectory.autograded_directory = "graded/autograded"
