"""``python -m rnnref.charrnn train ...`` and ``python -m rnnref.charrnn sample ...``."""

import argparse
import os
import sys

# A character model's per-step matrix products are small ([B, H] @ [H, 4H]), and on them
# BLAS threads cost more than they save: on a busy 2-core machine the NumPy backend ran
# 31k chars/s with one thread against 10k with two. Set OPENBLAS_NUM_THREADS to override.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from rnnref.charrnn.data import CharRNNError  # noqa: E402  (after the thread setting)
from rnnref.charrnn.models import CELLS  # noqa: E402
from rnnref.charrnn.trainer import sample, train  # noqa: E402


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m rnnref.charrnn", description="Train a character-level RNN, then sample."
    )
    commands = top.add_subparsers(dest="command", required=True)

    t = commands.add_parser("train", help="train (or --resume) a model on a text")
    t.add_argument(
        "--text",
        help="a UTF-8 text file, or a built-in text: python-docs (the "
        "default, Python's documentation topics) or lunyu (《论语》, the Analects)",
    )
    t.add_argument("--backend", choices=("np", "tf"), default="np")
    t.add_argument("--cell", choices=tuple(CELLS), default="lstm")
    t.add_argument("--layers", type=_positive, default=2)
    t.add_argument("--units", type=_positive, default=128)
    t.add_argument("--embedding-size", type=_positive, default=64)
    t.add_argument("--batch-size", type=_positive, default=32)
    t.add_argument("--num-steps", type=_positive, default=50, help="characters per row (BPTT)")
    t.add_argument("--steps", type=_positive, default=1000, help="batches in total")
    t.add_argument("--learning-rate", type=float, default=2e-3, help="Adam's")
    t.add_argument("--clip-norm", type=float, default=5.0, help="clip_by_global_norm's")
    t.add_argument("--checkpoint", default="charrnn.npz")
    t.add_argument("--checkpoint-every", type=_positive, default=100)
    t.add_argument("--resume", action="store_true", help="continue --checkpoint")
    t.add_argument("--plot", help="loss-curve PNG (default: the checkpoint's name, .png)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--log-every", type=_positive, default=10)

    s = commands.add_parser("sample", help="generate text from a checkpoint")
    s.add_argument("--checkpoint", default="charrnn.npz")
    s.add_argument("--length", type=int, default=500)
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--prime", help="text to start from (default: 'The ')")
    s.add_argument("--seed", type=int)
    return top


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer. Received: {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = vars(parser().parse_args(argv))
    command = args.pop("command")
    try:
        if command == "train":
            train(**args)
        else:
            print(sample(**args))
    except CharRNNError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the last checkpoint keeps the progress up to it.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
