"""Shared test setup.

TensorFlow and NumPy read these variables when first imported, whichever test module does
that first: the parity tests need TF1's cells from tf_keras (``tf.compat.v1.nn.rnn_cell``).
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# One BLAS thread in the tests and in every kernel and grader they start (graded kernels
# already have one, autograder/sandbox.py). On two cores shared with kernels and a second
# test process, OpenBLAS's two threads wait on each other whenever another process holds a
# core: a [16, 32, 64] @ [64, 1400] product took 510 ms on two threads at load 5, against
# 12 ms on one. Set before NumPy is first imported, which reads it then.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
