"""Shared test setup.

TensorFlow and NumPy read these variables when first imported, whichever test module does
that first: the parity tests need TF1's cells from tf_keras (``tf.compat.v1.nn.rnn_cell``).
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# One BLAS thread in the tests and in every kernel and grader they start (graded kernels
# already have one, autograder/sandbox.py). On two cores shared with kernels and a second
# test process, OpenBLAS's two threads wait on each other whenever another process holds a
# core: a [16, 32, 64] @ [64, 1400] product took 510 ms on two threads at load 5, against
# 12 ms on one. Set before NumPy is first imported, which reads it then.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# jsonschema, which nbformat imports, checks the "iri" and "iri-reference" formats with
# rfc3987_syntax where that is installed (jupyter-events' jsonschema[format-nongpl] brings
# it), and rfc3987_syntax compiles 38 Lark grammars when imported: 3 s in every test
# process. No schema the tests meet has those formats (nbformat's, nbgrader's, Jupyter's
# events'), so the test processes go without it; jsonschema then leaves both unchecked.
sys.modules.setdefault("rfc3987_syntax", None)  # an import of it raises ImportError
