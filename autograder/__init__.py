"""Grading for the course, in two parts split by a wall.

``autograder.learner`` is all a learner's kernel imports: the base cells, the check
functions the notebooks call and the clients that carry their outputs out. It holds no
reference, no cases and no verdicts, and it imports nothing else of ``autograder``, so a
grading kernel gets a copy of this file and ``learner/`` and nothing more.

Everything else is the grader's side and runs only in the grader's own processes:
``exercises`` (cases, references, mistake models, one module per assignment), ``judge``,
``registry``, ``selfjudge`` (the judge a learner's self-check talks to) and the pipeline.
This file must stay free of imports.
"""
