"""The course: its notebooks, checks, feedback, mutations, figures and written answers, graded."""
