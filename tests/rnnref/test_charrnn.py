"""The character-model trainer: it learns, resumes exactly, and explains bad input."""

import io
import os
import subprocess
import sys
import warnings

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnref.charrnn import CharRNNError, sample, train  # noqa: E402
from rnnref.charrnn.__main__ import main  # noqa: E402
from rnnref.charrnn.data import Vocabulary, default_text, load_text, unigram_entropy  # noqa: E402
from rnnref.charrnn.models import NumpyCharRNN, TensorFlowCharRNN  # noqa: E402

TINY = "the cat sat on the mat. the dog sat on the log. " * 12
SMALL = {"layers": 1, "units": 32, "embedding_size": 16, "batch_size": 4, "num_steps": 16}


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY, encoding="utf-8")
    return path


def run(tmp_path, text_file, **options) -> list[float]:
    options = {**SMALL, "learning_rate": 1e-2, "checkpoint_every": 50, **options}
    options.setdefault("checkpoint", str(tmp_path / "model.npz"))
    return train(text=str(text_file), out=io.StringIO(), **options)


@pytest.mark.parametrize("backend", ["np", "tf"])
def test_a_hundred_steps_beat_the_unigram_entropy(tmp_path, text_file, backend):
    losses = run(tmp_path, text_file, backend=backend, steps=100)
    vocab = Vocabulary(TINY)
    entropy = unigram_entropy(vocab.encode(TINY), vocab.size)
    assert losses[0] > 0.9 * entropy  # it starts knowing nothing
    assert np.mean(losses[-20:]) < 0.4 * entropy, (np.mean(losses[-20:]), entropy)
    assert (tmp_path / "model.png").read_bytes()[:4] == b"\x89PNG"
    text = sample(checkpoint=str(tmp_path / "model.npz"), length=40, prime="the ", seed=0)
    assert text.startswith("the ") and len(text) == 44 and set(text) <= set(TINY)


def test_resuming_continues_the_same_loss_curve(tmp_path, text_file):
    straight = run(tmp_path, text_file, steps=60, checkpoint=str(tmp_path / "a.npz"))
    run(tmp_path, text_file, steps=25, checkpoint=str(tmp_path / "b.npz"), checkpoint_every=25)
    resumed = run(tmp_path, text_file, steps=60, checkpoint=str(tmp_path / "b.npz"), resume=True)
    # 25 steps cross a pass over the text (the carried state resets at step 23).
    np.testing.assert_allclose(resumed, straight, rtol=1e-6)


def test_the_backends_compute_the_same_gradients():
    config = {"cell": "gru", "layers": 2, "units": 8, "embedding_size": 5, "vocab": "abcdefg"}
    ours, theirs = NumpyCharRNN(config, seed=3), TensorFlowCharRNN(config, seed=3)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 7, size=(3, 6)), rng.integers(0, 7, size=(3, 6))
    state = tuple(rng.normal(size=(3, 8)).astype(np.float32) for _ in range(2))
    loss, grads, final = ours.loss_and_gradients(x, y, state)
    tf_loss, tf_grads, tf_final = theirs.loss_and_gradients(x, y, state)
    assert loss == pytest.approx(tf_loss, rel=1e-5)
    for a, b in zip(grads + list(final), tf_grads + list(tf_final), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_chinese_text_is_modelled_character_by_character(tmp_path):
    path = tmp_path / "zh.txt"
    path.write_text("床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 10, encoding="utf-8")
    run(tmp_path, path, steps=20)
    text = sample(checkpoint=str(tmp_path / "model.npz"), length=10, prime="床前", seed=1)
    assert len(text) == 12 and set(text) <= set(path.read_text(encoding="utf-8"))


def test_the_default_text_ships_with_python():
    text, source = default_text()
    assert len(text) > 100_000 and "pydoc_data" in source
    assert load_text(None) == load_text("python-docs") == (text, source)


def test_the_analects_ship_whole():
    text, source = load_text("lunyu")
    books = [line for line in text.splitlines() if line.endswith("篇") and len(line) <= 4]
    assert len(books) == 20 and books[0] == "学而篇" and books[-1] == "尧曰篇"
    assert 20_000 < len(text) < 25_000 and "论语" in source
    assert not set(text) & set(":?,"), "half-width punctuation among the full-width"


def test_the_analects_train_below_the_unigram_entropy_and_sample_utf8(tmp_path):
    checkpoint = str(tmp_path / "lunyu.npz")
    options = {**SMALL, "units": 64, "embedding_size": 32, "batch_size": 16, "num_steps": 32}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = train(
            text="lunyu",
            steps=60,
            learning_rate=1e-2,
            checkpoint=checkpoint,
            out=io.StringIO(),
            **options,
        )
    # The plot's title is 《论语》: every glyph must be found (a CJK font is installed by make).
    assert not [w for w in caught if "missing from font" in str(w.message)]
    text, _ = load_text("lunyu")
    vocabulary = Vocabulary(text)
    entropy = unigram_entropy(vocabulary.encode(text), vocabulary.size)
    assert np.mean(losses[-10:]) < entropy, (np.mean(losses[-10:]), entropy)

    sampled = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rnnref.charrnn",
                "sample",
                "--checkpoint",
                checkpoint,
                "--length",
                "40",
                "--prime",
                "子曰",
                "--seed",
                "0",
            ],
            capture_output=True,
            check=True,
            env={**os.environ, "LC_ALL": "C"},
        )
        .stdout.decode("utf-8", errors="strict")
        .rstrip("\n")
    )
    assert sampled.startswith("子曰") and len(sampled) == 42 and set(sampled) <= set(text)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--text", "{tmp}/missing.txt"], "no such file"),
        (["--text", "{tmp}/empty.txt"], "is empty"),
        (["--text", "{tmp}/latin1.txt"], "is not UTF-8"),
        (["--text", "{tmp}/short.txt", "--checkpoint", "{tmp}/new.npz"], "(num_steps + 1) = 68"),
        ([], "already exists"),
        (["--resume", "--checkpoint", "{tmp}/nope.npz"], "no such file"),
        (["--resume", "--units", "16"], "--units 32; this run asks for --units 16"),
        (["--resume", "--text", "{tmp}/other.txt"], "different text"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path, text_file, capsys, arguments, message):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "short.txt").write_text("abcdefghij" * 3)
    (tmp_path / "other.txt").write_text(TINY.upper())
    run(tmp_path, text_file, steps=2)  # writes model.npz
    base = ["--text", str(text_file), "--checkpoint", str(tmp_path / "model.npz")]
    base += [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()]
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    assert main(["train", *base, *arguments]) == 2  # the last of a repeated option counts
    assert message in capsys.readouterr().err


def test_sampling_errors(tmp_path, text_file, capsys):
    with pytest.raises(CharRNNError, match="no such file"):
        sample(checkpoint=str(tmp_path / "none.npz"))
    run(tmp_path, text_file, steps=2)
    with pytest.raises(CharRNNError, match="temperature must be positive"):
        sample(checkpoint=str(tmp_path / "model.npz"), temperature=0)
    with pytest.raises(CharRNNError, match="not in the model's vocabulary"):
        sample(checkpoint=str(tmp_path / "model.npz"), prime="XYZ")
    assert main(["sample", "--checkpoint", str(tmp_path / "model.npz"), "--length", "5"]) == 0
    assert len(capsys.readouterr().out) == len("t") + 5 + len("\n")  # no "T": primed with "t"
