"""Backpropagation through time: rnnref.np's LSTM forward+backward against Keras's on the CPU.

    python benchmarks/bench_np_backprop.py            # 2 threads, then 1 thread (fresh processes)
    python benchmarks/bench_np_backprop.py --threads 1

One unroll of 100 steps, batch 64, input depth = hidden = 256, float32; the loss is
sum(outputs * R) for a fixed random R, and both compute its gradients with respect to the
inputs and every weight. Keras: ``tf.GradientTape`` over ``tf.keras.layers.LSTM`` inside
a ``tf.function``. rnnref.np: ``dynamic_rnn_forward`` then ``dynamic_rnn_backward`` over
``LSTMCell``. The forward pass alone is shown for scale. Target: within 2x of Keras.
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
            command = [sys.executable, __file__, "--threads", str(threads)]
            subprocess.run(command + ["--repeats", str(args.repeats)], check=True)
        return
    # BLAS reads these when NumPy loads it, so they are set before the first import.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    run(args.threads, args.repeats)


def run(threads: int, repeats: int, B: int = 64, T: int = 100, size: int = 256) -> None:
    import numpy as np
    import tensorflow as tf

    import rnnref.np as rn

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    D = H = size
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, D)).astype(np.float32)
    d_outputs = rng.normal(size=(B, T, H)).astype(np.float32)  # R: dL/d outputs
    cell = rn.LSTMCell(H, seed=0)

    def numpy_step() -> list:
        outputs, _, tape = rn.dynamic_rnn_forward(cell, x)
        return rn.dynamic_rnn_backward(tape, d_outputs)[2]

    keras_lstm = tf.keras.layers.LSTM(H, return_sequences=True)
    x_tf, r_tf = tf.constant(x), tf.constant(d_outputs)
    keras_lstm(x_tf)  # builds the weights

    @tf.function
    def keras_step() -> list:
        with tf.GradientTape() as tape:
            tape.watch(x_tf)
            loss = tf.reduce_sum(keras_lstm(x_tf) * r_tf)
        return tape.gradient(loss, [x_tf] + keras_lstm.trainable_weights)

    baseline = "keras LSTM fwd+bwd (GradientTape, tf.function)"
    times = interleaved(
        {
            baseline: lambda: [g.numpy() for g in keras_step()],
            "rnnref.np LSTMCell fwd+bwd": numpy_step,
        },
        repeats,
    )
    print(f"\n== {threads} thread(s); LSTM, batch {B}, {T} steps, input = hidden = {size} ==")
    # Forward: the input and recurrent products; backward: twice that (d_inputs and dW).
    report(times, baseline, flops=3 * T * 2 * B * (D + H) * 4 * H)
    print("  (GFLOP/s counts the forward and backward matrix products)")


if __name__ == "__main__":
    main()
