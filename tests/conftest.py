"""Shared test setup.

TensorFlow reads these when it is first imported, whichever test module does that first:
the parity tests need TF1's cells from tf_keras (``tf.compat.v1.nn.rnn_cell``).
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
