"""rnnref.tf's dynamic_rnn against Keras's LSTM/GRU layers and TF1's dynamic_rnn.

    python benchmarks/bench_tf.py                 # TensorFlow's default thread pools
    python benchmarks/bench_tf.py --threads 1     # one thread per op, one op at a time

All in one process: batch 64, 100 steps, input and hidden 256, float32, each candidate
in a ``tf.function``; forward, and forward + backward (gradients of the sum of the outputs
with respect to the inputs and every weight). Each candidate is warmed up (traced) first,
then the candidates' repeats are interleaved so that a slow spell of a shared machine hits
them all alike. Prints the median and range in milliseconds and the ratio of each median
to the named baseline's (Keras's layer of the same kind, and TF1's dynamic_rnn), with the
median process CPU time (all threads) and the machine's load average, since a shared
machine's other work shows in the wall-clock times.

Baselines: ``tf.keras`` is tf_keras 2.x here (TF_USE_LEGACY_KERAS=1, as the tests use it),
``tf.keras.layers.LSTM`` / ``GRU`` (on a GPU, their cuDNN kernels), and
``tf.compat.v1.nn.dynamic_rnn`` over TF1's ``LSTMCell`` / ``GRUCell``. Keras's default GRU
is ``reset_after=True`` (its cuDNN form, one recurrent matrix product per step), a slightly
different cell from TF1's; ``GRU(reset_after=False)`` ("Keras r.a.F") has TF1's equations,
two recurrent matrix products per step, the second waiting on the reset gate.
The target (issue 3): rnnref forward <= 1.0x Keras, forward+backward <= 1.2x Keras, and
no slower than TF1's dynamic_rnn; on a GPU within 1.5x of Keras's cuDNN path.
"""

import argparse
import os
import statistics
import sys
import time
from importlib.metadata import version

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import tensorflow as tf  # noqa: E402

import rnnref.tf as rt  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: default)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--size", type=int, default=256, help="input depth and hidden units")
    parser.add_argument("--cpu", action="store_true", help="hide any GPU")
    parser.add_argument("--xla", action="store_true", help="also time rnnref with jit_compile")
    return parser.parse_args()


def candidates(kind: str, size: int, x: tf.Tensor, xla: bool) -> dict:
    """name -> (forward, forward_backward) tf.functions of x, for one kind of cell."""
    ours = {"LSTM": rt.LSTMCell, "GRU": rt.GRUCell}[kind](size, seed=0)
    tf1 = {"LSTM": tf.compat.v1.nn.rnn_cell.LSTMCell, "GRU": tf.compat.v1.nn.rnn_cell.GRUCell}[
        kind
    ](size)
    keras = {"LSTM": tf.keras.layers.LSTM, "GRU": tf.keras.layers.GRU}[kind](
        size, return_sequences=True, return_state=True
    )
    # TF1's GRUCell resets h before its matrix product: Keras's reset_after=False.
    keras_tf1_gru = tf.keras.layers.GRU(
        size, return_sequences=True, return_state=True, reset_after=False
    )

    def run_ours(x: tf.Tensor) -> tuple:
        return rt.dynamic_rnn(ours, x)

    def run_tf1(x: tf.Tensor) -> tuple:
        return tf.compat.v1.nn.dynamic_rnn(tf1, x, dtype=tf.float32)

    def run_keras(x: tf.Tensor) -> tuple:
        outputs, *state = keras(x)
        return outputs, state

    def run_keras_tf1_gru(x: tf.Tensor) -> tuple:
        outputs, *state = keras_tf1_gru(x)
        return outputs, state

    funcs = {"keras": run_keras, "tf1": run_tf1, "ours": run_ours}
    if kind == "GRU":
        funcs = {"keras": run_keras, "keras_tf1_gru": run_keras_tf1_gru, **funcs}
    for fn in funcs.values():
        fn(x[:, :1])  # build the weights
    weights = {"ours": ours.trainable_variables, "tf1": tf1.trainable_variables}
    weights["keras"] = keras.trainable_variables
    weights["keras_tf1_gru"] = keras_tf1_gru.trainable_variables
    names = {
        "ours": f"rnnref.tf dynamic_rnn {kind}Cell",
        "tf1": f"TF1 dynamic_rnn {kind}Cell",
        "keras": f"tf.keras.layers.{kind}",
        "keras_tf1_gru": "tf.keras.layers.GRU(reset_after=False)",
    }

    def pair(fn: object, variables: list, jit: bool = False) -> tuple:
        def forward_backward(x: tf.Tensor) -> list:
            with tf.GradientTape() as tape:
                tape.watch(x)
                outputs, _ = fn(x)
                loss = tf.reduce_sum(outputs)
            return tape.gradient(loss, [x, *variables])

        return tf.function(fn, jit_compile=jit), tf.function(forward_backward, jit_compile=jit)

    result = {names[key]: pair(fn, weights[key]) for key, fn in funcs.items()}
    if xla:
        result[names["ours"] + " (XLA)"] = pair(run_ours, weights["ours"], jit=True)
    return result


def time_all(funcs: dict, x: tf.Tensor, repeats: int) -> tuple[dict, dict]:
    """Wall-clock and process CPU milliseconds of each call, ``repeats`` of each."""
    for fn in funcs.values():  # trace, then run once more warm
        fn(x)
        fn(x)
    wall = {name: [] for name in funcs}
    cpu = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, fn in funcs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            result = fn(x)
            tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, result)
            wall[name].append(1000 * (time.perf_counter() - start))
            cpu[name].append(1000 * (time.process_time() - start_cpu))
    return wall, cpu


def report(title: str, times: tuple[dict, dict], baselines: list) -> None:
    """The wall-clock table; CPU time (all threads) beside it, steadier on a busy machine."""
    wall, cpu = times
    print(f"\n{title} (load average {os.getloadavg()[0]:.1f})")
    header = f"{'candidate':<40} {'median ms':>10} {'min-max ms':>16} {'cpu ms':>7}"
    header += "".join(f" {'vs ' + short:>14}" for short, _ in baselines)
    print(header)
    for name, samples in wall.items():
        median = statistics.median(samples)
        row = f"{name:<40} {median:>10.1f} {min(samples):>7.1f}-{max(samples):<8.1f}"
        row += f" {statistics.median(cpu[name]):>7.1f}"
        for _, base in baselines:
            row += f" {median / statistics.median(wall[base]):>13.2f}x"
        print(row)


def main() -> None:
    args = parse_args()
    if args.cpu:
        tf.config.set_visible_devices([], "GPU")
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    gpus = tf.config.list_logical_devices("GPU")
    device = gpus[0].name if gpus else "CPU"
    keras = tf.keras.__name__.split(".")[0]  # tf_keras (TF_USE_LEGACY_KERAS=1) or keras
    print(
        f"TensorFlow {tf.__version__}, tf.keras = {keras} {version(keras)}, device {device}, "
        f"intra-op threads {args.threads or 'default'} ({os.cpu_count()} CPUs); "
        f"batch {args.batch}, {args.steps} steps, input and hidden {args.size}, float32, "
        f"{args.repeats} repeats"
    )
    x = tf.random.stateless_normal((args.batch, args.steps, args.size), seed=(0, 0))
    for kind in ("LSTM", "GRU"):
        funcs = candidates(kind, args.size, x, args.xla)
        baselines = [("Keras", f"tf.keras.layers.{kind}"), ("TF1", f"TF1 dynamic_rnn {kind}Cell")]
        if kind == "GRU":
            baselines.insert(1, ("Keras r.a.F", "tf.keras.layers.GRU(reset_after=False)"))
        forward = {name: pair[0] for name, pair in funcs.items()}
        backward = {name: pair[1] for name, pair in funcs.items()}
        report(f"{kind} forward", time_all(forward, x, args.repeats), baselines)
        report(f"{kind} forward+backward", time_all(backward, x, args.repeats), baselines)


if __name__ == "__main__":
    main()
