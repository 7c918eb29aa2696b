"""rnnref.np's fused unroll against Keras, PyTorch and the machine's matrix-product ceiling.

    python benchmarks/bench_np.py                # 1 thread, then 2 threads (fresh processes)
    python benchmarks/bench_np.py --threads 1

LSTM and GRU, batch 64, 100 steps, input depth = hidden = 256, float32; forward, and
forward + backward (the gradients of sum(outputs * R), R fixed and random, with respect
to the inputs and every weight). Every candidate of a table runs in one process, its
repeats interleaved with the others' so that a slow spell of a shared machine hits them
all alike; medians and min-max in milliseconds, with the load average before each table.

- Keras: ``tf.keras.layers.LSTM`` / ``GRU`` in a ``tf.function`` (tf_keras 2.x), forward
  and forward + backward under ``tf.GradientTape``. Keras's default GRU is
  ``reset_after=True`` (one recurrent product per step); ``reset_after=False`` has TF1's
  equations, which rnnref's GRUCell computes.
- rnnref.np: ``dynamic_rnn`` (the fused unroll, ``rnnref.np.fused``), and
  ``dynamic_rnn_forward`` + ``dynamic_rnn_backward``; the plain per-step loop for scale.
- PyTorch's ``nn.LSTM`` / ``nn.GRU`` when ``torch`` is importable (an optional extra).
- The ceiling: one NumPy product with the unroll's matrix-product FLOPs,
  [T*B, D+H] @ [D+H, kH] (k = 4 for the LSTM, 3 for the GRU), 3 times that for
  forward + backward; "of ceiling" is the ceiling's time over the candidate's.
- Forward only, the fused forward's matrix products alone, nothing else, as it runs them:
  the input terms [T*B, D] @ [k, D, H], then T products [B, H] @ [k, H, H]. A forward
  that steps through time spends at least this; its share of the ceiling bounds theirs.

Every candidate computes on the table's number of threads: BLAS's (NumPy's and
rnnref.np's products), TensorFlow's and PyTorch's.

Targets (issue 16): the fused forward <= 1.0x Keras at 1 and 2 threads and >= 75% of the
ceiling at 1 thread; forward + backward <= 1.0x Keras.
"""

import argparse
import os
import subprocess
import sys

from timing import interleaved, report

B, T, SIZE = 64, 100, 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    if args.threads is None:
        for threads in (1, 2):
            command = [sys.executable, __file__, "--threads", str(threads)]
            subprocess.run(command + ["--repeats", str(args.repeats)], check=True)
        return
    # BLAS reads these when NumPy loads it, so they are set before the first import.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    run(args.threads, args.repeats)


def run(threads: int, repeats: int) -> None:
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    torch = _torch(threads)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, SIZE)).astype(np.float32)
    r = rng.normal(size=(B, T, SIZE)).astype(np.float32)  # dL/d outputs
    print(f"\n== {threads} thread(s); batch {B}, {T} steps, input = hidden = {SIZE}, float32 ==")
    print(f"   numpy {np.__version__}, tensorflow {tf.__version__}", end="")
    print(f", torch {torch.__version__}" if torch else ", torch not installed")
    for kind, gates in (("LSTM", 4), ("GRU", 3)):
        flops = T * 2 * B * (SIZE + SIZE) * gates * SIZE  # the unroll's matrix products
        a = rng.normal(size=(T * B, 2 * SIZE)).astype(np.float32)
        w = rng.normal(size=(2 * SIZE, gates * SIZE)).astype(np.float32)
        ceiling = "numpy matmul, same FLOPs (ceiling)"
        for direction, scale in (("forward", 1), ("forward+backward", 3)):
            candidates = _candidates(kind, direction, x, r, torch)
            if direction == "forward":
                candidates["numpy products alone, step by step"] = _products_alone(gates, rng)
            candidates[ceiling] = lambda a=a, w=w, n=scale: [a @ w for _ in range(n)]
            print(f"-- {kind} {direction}; load average {_load()}")
            times = interleaved(candidates, repeats)
            report(times, next(iter(candidates)), flops * scale, ceiling)


def _candidates(kind: str, direction: str, x, r, torch) -> dict:
    """{name: run}, the baseline first: Keras, rnnref.np fused and plain, PyTorch."""
    import numpy as np
    import tensorflow as tf

    import rnnref.np as rn
    from rnnref.np import fused

    make = {"LSTM": lambda: rn.LSTMCell(SIZE, seed=0), "GRU": lambda: rn.GRUCell(SIZE, seed=0)}
    fused_cell, plain_cell = make[kind](), make[kind]()

    def plain(run):
        """``run`` with the fused unroll switched off: the plain loop, one call per step."""

        def call():
            supports, fused.supports = fused.supports, lambda cell, inputs: False
            try:
                return run()
            finally:
                fused.supports = supports

        return call

    if direction == "forward":
        ours = {
            f"rnnref.np {kind}Cell fused": lambda: rn.dynamic_rnn(fused_cell, x),
            f"rnnref.np {kind}Cell plain loop": plain(lambda: rn.dynamic_rnn(plain_cell, x)),
        }
    else:

        def forward_backward(cell):
            outputs, _, tape = rn.dynamic_rnn_forward(cell, x)
            return rn.dynamic_rnn_backward(tape, r)

        ours = {
            f"rnnref.np {kind}Cell fused": lambda: forward_backward(fused_cell),
            f"rnnref.np {kind}Cell plain loop": plain(lambda: forward_backward(plain_cell)),
        }
    x_tf, r_tf = tf.constant(x), tf.constant(r)
    layers = {f"keras {kind}": getattr(tf.keras.layers, kind)(SIZE, return_sequences=True)}
    if kind == "GRU":
        layers["keras GRU reset_after=False"] = tf.keras.layers.GRU(
            SIZE, return_sequences=True, reset_after=False
        )
    theirs = {}
    for name, layer in layers.items():
        layer(x_tf)  # builds the weights
        if direction == "forward":
            fn = tf.function(lambda layer=layer: layer(x_tf))
        else:

            @tf.function
            def fn(layer=layer):
                with tf.GradientTape() as tape:
                    tape.watch(x_tf)
                    loss = tf.reduce_sum(layer(x_tf) * r_tf)
                return tape.gradient(loss, [x_tf, *layer.trainable_weights])

        theirs[f"{name} (tf.function)"] = lambda fn=fn: tf.nest.map_structure(
            lambda t: t.numpy(), fn()
        )
    if torch:
        module = getattr(torch.nn, kind)(SIZE, SIZE, batch_first=True)
        x_t, r_t = torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(r))
        if direction == "forward":

            def torch_run():
                with torch.no_grad():
                    return module(x_t)[0].numpy()
        else:

            def torch_run():
                x_g = x_t.clone().requires_grad_(True)
                (module(x_g)[0] * r_t).sum().backward()
                return x_g.grad

        theirs[f"torch nn.{kind}"] = torch_run
    first = next(iter(theirs))
    return {first: theirs.pop(first), **ours, **theirs}


def _products_alone(gates: int, rng):
    """A run of the fused forward's matrix products, as rnnref.np.fused makes them, and
    nothing else: x @ W_x for all steps, [T*B, D] @ [gates, D, H], then h @ W_h per step,
    [B, H] @ [gates, H, H]."""
    import numpy as np

    x = rng.normal(size=(T * B, SIZE)).astype(np.float32)
    W_x, W_h = (rng.normal(size=(gates, SIZE, SIZE)).astype(np.float32) for _ in range(2))
    h = rng.normal(size=(B, SIZE)).astype(np.float32)
    z_h = np.empty((gates, B, SIZE), np.float32)

    def run():
        x @ W_x
        for _ in range(T):
            np.matmul(h, W_h, out=z_h)

    return run


def _torch(threads: int):
    """PyTorch, set to ``threads`` threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


if __name__ == "__main__":
    main()
