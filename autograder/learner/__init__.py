"""What a learner's kernel may import, and nothing more.

- ``cells``: the course's ``RNNCell`` base, ``LSTMStateTuple``, ``ToyCell`` and helpers;
- ``checks``: one module per notebook with the check functions its test cells call, e.g.
  ``from autograder.learner.checks import rnn_cell as check``;
- ``plain`` and ``wire``: outputs as plain data, and that data as JSON;
- ``channel`` and ``selfjudge``: how a check's outputs leave the kernel, to the grader while
  grading, or to a separate judge process when a learner checks their own work;
- ``i18n``: the kernel's language and the learner side's messages in it (``locale/``).

There is no reference math here, no case maker, no mistake model and no judge: those live
on the grader's side (``autograder.exercises``, ``autograder.judge``) and never enter a
kernel. Modules here import only the standard library, NumPy, IPython, matplotlib,
TensorFlow and Babel (lazily) and each other; a test of the learner side holds them to it.
"""
