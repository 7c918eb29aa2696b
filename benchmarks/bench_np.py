"""rnnref.np's dynamic_rnn against Keras on the CPU, and against the machine's ceiling.

    python benchmarks/bench_np.py            # 2 threads, then 1 thread (each a fresh process)
    python benchmarks/bench_np.py --threads 1

Batch 64, 100 steps, float32, input depth = hidden = 256 and 512. The ceiling is one
plain NumPy matrix product with the LSTM unroll's FLOPs, [T*B, D+H] @ [D+H, 4H].
"""

import argparse
import os
import subprocess
import sys

from timing import interleaved, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    if args.threads is None:
        for threads in (2, 1):
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--threads",
                    str(threads),
                    "--repeats",
                    str(args.repeats),
                ],
                check=True,
            )
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    run(args.threads, args.repeats)


def run(threads: int, repeats: int) -> None:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    print(f"\n== {threads} thread(s); batch 64, 100 steps, float32 ==")
    for size in (256, 512):
        bench_size(size, repeats)


def bench_size(size: int, repeats: int, B: int = 64, T: int = 100) -> None:
    import numpy as np
    import tensorflow as tf

    import rnnref.np as rn

    D = H = size
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, D)).astype(np.float32)
    x_tf = tf.constant(x)
    lstm, gru = rn.LSTMCell(H, seed=0), rn.GRUCell(H, seed=0)
    keras_lstm = tf.keras.layers.LSTM(H, return_sequences=True, return_state=True)
    keras_gru = tf.keras.layers.GRU(H, return_sequences=True, return_state=True)
    keras_lstm_fn = tf.function(lambda v: keras_lstm(v))
    keras_gru_fn = tf.function(lambda v: keras_gru(v))
    a = rng.normal(size=(T * B, D + H)).astype(np.float32)
    w = rng.normal(size=(D + H, 4 * H)).astype(np.float32)
    flops = T * 2 * B * (D + H) * 4 * H  # the LSTM's matrix products
    times = interleaved(
        {
            "keras LSTM (tf.function)": lambda: keras_lstm_fn(x_tf)[0].numpy(),
            "rnnref.np LSTMCell dynamic_rnn": lambda: rn.dynamic_rnn(lstm, x),
            "numpy matmul, same FLOPs (ceiling)": lambda: a @ w,
        },
        repeats,
    )
    print(f"-- LSTM, input = hidden = {size}")
    report(times, "keras LSTM (tf.function)", flops)
    times = interleaved(
        {
            "keras GRU (tf.function)": lambda: keras_gru_fn(x_tf)[0].numpy(),
            "rnnref.np GRUCell dynamic_rnn": lambda: rn.dynamic_rnn(gru, x),
        },
        repeats,
    )
    print(f"-- GRU, input = hidden = {size}")
    report(times, "keras GRU (tf.function)", flops * 3 / 4)


if __name__ == "__main__":
    main()
