"""Grading for the course: the checks the notebooks call, and the pipeline that grades a class.

``autograder.checks`` is imported by the learners' notebooks; it must import without
``rnnref`` (a grading kernel cannot see the reference). Expected values and verdicts are
computed with ``rnnref`` in the grader's own process, or in the learner's kernel when a
learner checks their own work.
"""
