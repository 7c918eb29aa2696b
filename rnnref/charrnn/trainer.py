"""Training (truncated backpropagation through time) and sampling, with checkpoints.

The text is cut with ``input_target_batches`` into ``batch_size`` contiguous rows, so
row r of one batch continues row r of the batch before, and the final state of one batch
is the initial state of the next (reset at the start of every pass over the text). Each
step: forward, loss, backward, ``clip_by_global_norm``, Adam.

A checkpoint (``np.savez``) holds the configuration, the weights, the optimiser's
slots, the carried state and the loss curve, so a resumed run continues exactly where
the checkpoint was written. It is replaced atomically: an interrupted run loses at most
the steps since the last checkpoint, never the checkpoint itself.
"""

import json
import os
import pathlib
import sys
import time
from typing import Any, TextIO

import numpy as np

import rnnref.np as rn
from rnnref import structure
from rnnref.charrnn.data import (
    CharRNNError,
    Vocabulary,
    fingerprint,
    load_text,
    unigram_entropy,
)
from rnnref.charrnn.models import NumpyCharRNN, make_model

FORMAT = "rnnref.charrnn/1"
# What a checkpoint's weights and data position depend on: these must match to resume.
MODEL_KEYS = ("cell", "layers", "units", "embedding_size", "batch_size", "num_steps")


def train(
    *,
    text: str | None = None,
    backend: str = "np",
    cell: str = "lstm",
    layers: int = 2,
    units: int = 128,
    embedding_size: int = 64,
    batch_size: int = 32,
    num_steps: int = 50,
    steps: int = 1000,
    learning_rate: float = 2e-3,
    clip_norm: float = 5.0,
    checkpoint: str = "charrnn.npz",
    checkpoint_every: int = 100,
    resume: bool = False,
    plot: str | None = None,
    seed: int = 0,
    log_every: int = 10,
    out: TextIO = sys.stdout,
) -> list[float]:
    """Train (or, with ``resume``, continue) a character model; returns the loss per step.

    ``steps`` counts batches in total, those of a resumed checkpoint included. The loss
    curve goes to ``plot`` (default: the checkpoint's name with .png) at every checkpoint.
    """
    corpus, source = load_text(text)
    vocab = Vocabulary(corpus)
    ids = vocab.encode(corpus)
    needed = batch_size * (num_steps + 1)
    if len(ids) < needed:
        raise CharRNNError(
            f"The text has {len(ids)} characters; --batch-size {batch_size} and --num-steps "
            f"{num_steps} need at least batch_size * (num_steps + 1) = {needed} for one batch. "
            "Use a longer text or a smaller --batch-size or --num-steps."
        )
    batches = rn.input_target_batches(ids, batch_size, num_steps)
    config = {
        "cell": cell, "layers": layers, "units": units, "embedding_size": embedding_size,
        "batch_size": batch_size, "num_steps": num_steps, "vocab": vocab.chars,
        "text": fingerprint(corpus),
    }  # fmt: skip
    model = make_model(backend, config, seed)
    optimizer = rn.Adam(learning_rate)
    losses: list[float] = []
    state = model.zero_state(batch_size)
    path = pathlib.Path(checkpoint)
    plot_path = pathlib.Path(plot) if plot else path.with_suffix(".png")
    entropy = unigram_entropy(ids, vocab.size)
    if resume:
        losses, state = _restore(path, config, model, optimizer)
    elif path.exists():
        raise CharRNNError(
            f"--checkpoint {path} already exists. Pass --resume to continue training it, or "
            "another --checkpoint path to start a new model."
        )
    print(
        f"{source}: {len(ids):,} characters, {vocab.size} distinct, {len(batches)} batches "
        f"of {batch_size} x {num_steps}; unigram entropy {entropy:.3f} nats/char. "
        f"{backend} backend, {layers} x {cell} {units}, step {len(losses)} of {steps}.",
        file=out,
    )
    tty = out.isatty()
    # Seconds spent in training steps (not in saving), and steps, since the last report.
    busy, window_steps = 0.0, 0
    while len(losses) < steps:
        k = len(losses) % len(batches)
        if k == 0:
            state = model.zero_state(batch_size)  # a new pass over the text starts afresh
        x, y = batches[k]
        start = time.perf_counter()
        loss, grads, state = model.loss_and_gradients(x, y, state)
        grads, _ = rn.clip_by_global_norm(grads, clip_norm)
        optimizer.apply_gradients(zip(grads, model.weights, strict=True))
        busy += time.perf_counter() - start
        losses.append(loss)
        window_steps += 1
        step = len(losses)
        if step % log_every == 0 or step == steps:
            speed = window_steps * batch_size * num_steps / max(busy, 1e-9)
            _progress(out, tty, step, steps, len(batches), losses[-window_steps:], speed)
            busy, window_steps = 0.0, 0
        if step % checkpoint_every == 0 or step == steps:
            _save(path, config, model, optimizer, losses, state, backend)
            _plot(plot_path, losses, entropy, f"{layers} x {cell} {units}, {source}")
    if tty:
        print(file=out)
    print(f"checkpoint: {path}; loss curve: {plot_path}", file=out)
    return losses


def _progress(
    out: TextIO, tty: bool, step: int, total: int, per_pass: int, recent: list, speed: float
) -> None:
    width = 20
    done = width * step // total
    bar = "#" * done + "." * (width - done)
    line = (
        f"[{bar}] step {step}/{total} (pass {step // per_pass + 1}) "
        f"loss {np.mean(recent):.3f} {speed:,.0f} chars/s"
    )
    print(line, end="\r" if tty else "\n", file=out, flush=True)


def _save(
    path: pathlib.Path, config: dict, model: Any, optimizer: Any, losses: list, state: Any,
    backend: str,
) -> None:  # fmt: skip
    arrays = {f"weights/{i}": w for i, w in enumerate(model.weights)}
    arrays.update({f"optimizer/{k}": v for k, v in optimizer.get_state().items()})
    arrays.update({f"state/{i}": s for i, s in enumerate(structure.flatten(state))})
    temporary = path.with_name(path.name + ".partial")
    with open(temporary, "wb") as file:  # a file object: savez adds no .npz to the name
        np.savez(
            file, format=FORMAT, config=json.dumps(config), losses=np.array(losses),
            backend=backend, **arrays,
        )  # fmt: skip
    os.replace(temporary, path)  # atomic: a crash leaves the old checkpoint or the new one


def _load(path: pathlib.Path) -> tuple[dict, Any]:
    if not path.is_file():
        raise CharRNNError(f"--checkpoint {path}: no such file.")
    try:
        data = np.load(path, allow_pickle=False)
        if str(data["format"]) != FORMAT:
            raise KeyError("format")
        return json.loads(str(data["config"])), data
    except (OSError, ValueError, KeyError) as error:
        raise CharRNNError(
            f"--checkpoint {path} is not a checkpoint written by rnnref.charrnn ({error})."
        ) from error


def _restore(path: pathlib.Path, config: dict, model: Any, optimizer: Any) -> tuple:
    saved, data = _load(path)
    different = [k for k in MODEL_KEYS if saved.get(k) != config[k]]
    if different:
        then = ", ".join(f"--{k.replace('_', '-')} {saved.get(k)}" for k in different)
        now = ", ".join(f"--{k.replace('_', '-')} {config[k]}" for k in different)
        raise CharRNNError(
            f"--checkpoint {path} was trained with {then}; this run asks for {now}. Pass the "
            "same options to resume it, or another --checkpoint path to start a new model."
        )
    if saved["text"] != config["text"] or saved["vocab"] != config["vocab"]:
        raise CharRNNError(
            f"--checkpoint {path} was trained on a different text. Pass the same --text "
            "to resume it, or another --checkpoint path to start a new model."
        )
    count = len(model.weights)
    model.set_weights([data[f"weights/{i}"] for i in range(count)])
    prefix = "optimizer/"
    optimizer.set_state({k[len(prefix) :]: data[k] for k in data.files if k.startswith(prefix)})
    zero = model.zero_state(config["batch_size"])
    leaves = [data[f"state/{i}"] for i in range(len(structure.flatten(zero)))]
    return [float(v) for v in data["losses"]], structure.pack_like(zero, leaves)


# The title names the text, which may be Chinese (《论语》, a file name): Debian's WenQuanYi
# font, when installed, draws the glyphs matplotlib's DejaVu Sans lacks.
CJK_FONT = pathlib.Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _plot(path: pathlib.Path, losses: list, entropy: float, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    families = ["DejaVu Sans"]
    if CJK_FONT.exists():
        font_manager.fontManager.addfont(str(CJK_FONT))
        families.append(font_manager.FontProperties(fname=str(CJK_FONT)).get_name())
    with plt.rc_context({"font.family": families}):
        fig, ax = plt.subplots(figsize=(7, 4))
        steps = np.arange(1, len(losses) + 1)
        ax.plot(steps, losses, lw=0.6, alpha=0.5, label="loss per batch")
        window = max(1, len(losses) // 50)
        if window > 1:
            smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1 :], smooth, lw=1.5, label=f"mean of {window}")
        ax.axhline(entropy, color="grey", ls="--", lw=1, label="unigram entropy (no context)")
        ax.set(xlabel="step", ylabel="cross-entropy (nats/char)", title=title)
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)


def sample(
    *,
    checkpoint: str = "charrnn.npz",
    length: int = 500,
    temperature: float = 0.8,
    prime: str | None = None,
    seed: int | None = None,
) -> str:
    """Generate ``length`` characters after ``prime`` from a checkpoint (either backend's).

    Each character is drawn from softmax(logits / temperature): below 1 sharper and more
    repetitive, above 1 more varied and more misspelt.
    """
    if not temperature > 0:
        raise CharRNNError(f"--temperature must be positive. Received: {temperature}.")
    if length < 0:
        raise CharRNNError(f"--length must be 0 or more. Received: {length}.")
    config, data = _load(pathlib.Path(checkpoint))
    model = NumpyCharRNN(config)
    model.set_weights([data[f"weights/{i}"] for i in range(len(model.weights))])
    vocab = Vocabulary(config["vocab"])
    if prime is None:
        prime = "The " if set("The ") <= set(vocab.chars) else vocab.chars[-1]
    if not prime:
        raise CharRNNError("--prime must have at least one character.")
    rng = np.random.default_rng(seed)
    state = model.zero_state(1)
    for i in vocab.encode(prime)[:-1]:  # read the prime; its last character starts sampling
        _, state = model.next_logits(np.array([i]), state)
    current, generated = vocab.encode(prime[-1]), []
    for _ in range(length):
        logits, state = model.next_logits(current, state)
        z = logits[0].astype(np.float64) / temperature
        p = np.exp(z - z.max())
        current = np.array([rng.choice(vocab.size, p=p / p.sum())])
        generated.append(int(current[0]))
    return prime + vocab.decode(np.array(generated, dtype=int))
