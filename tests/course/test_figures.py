"""Every diagram of ``autograder.learner.figures`` draws, with and without the learner's
numbers, and writes a non-empty PNG; bad numbers get an error a learner can act on."""

import inspect

import matplotlib
import numpy as np
import pytest

from autograder.learner import figures, fonts

matplotlib.use("Agg")

RNG = np.random.default_rng(0)
LSTM_GATES = {
    "i": RNG.uniform(size=4),
    "j": RNG.uniform(-1, 1, 4),
    "f": RNG.uniform(size=4),
    "o": RNG.uniform(size=4),
}
TEXT = "def f(x):\n    return x + 1\n"

# Each public figure function, with the arguments it is drawn with in the notebooks.
DRAWINGS = {
    "cell_contract": [{}],
    "basic_rnn_cell": [{}],
    "lstm_cell": [{}, {"gates": LSTM_GATES, "peepholes": True, "projection": True}],
    "gru_cell": [{}, {"gates": {"r": np.array([0.2, 0.9]), "u": np.array([0.7, 0.1])}}],
    "unroll": [{}, {"num_steps": 4, "sequence_length": [4, 2, 0]}],
    "multi_rnn_cell": [{}, {"num_layers": 2, "state_is_tuple": False}],
    "batch_rows": [
        {
            "sequence": list(range(1, 13)),
            "batches": [np.array([[1, 2, 3], [7, 8, 9]]), np.array([[4, 5, 6], [10, 11, 12]])],
        }
    ],
    "bptt": [{}, {"num_steps": 3, "gradient_norms": [0.1, 0.5, 1.0]}],
    "gate_heatmap": [
        {
            "gates": {"i": RNG.uniform(size=(20, 3)), "j": RNG.uniform(-1, 1, (20, 3))},
            "inputs": RNG.normal(size=(20, 2)),
        }
    ],
    "hidden_unit_text": [
        {"text": TEXT, "activations": np.tanh(RNG.normal(size=(len(TEXT), 4))), "units": [0, 3]}
    ],
}


def test_every_figure_function_is_drawn_here():
    public = {
        name
        for name, fn in inspect.getmembers(figures, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == figures.__name__
    }
    assert public == set(DRAWINGS)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [(n, k) for n, ks in DRAWINGS.items() for k in ks],
    ids=lambda v: v if isinstance(v, str) else ",".join(v) or "defaults",
)
def test_figure_writes_a_png(name, kwargs, tmp_path):
    fig = getattr(figures, name)(**kwargs)
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    matplotlib.pyplot.close(fig)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: figures.lstm_cell({"i": 1, "f": 1}), r"exactly \['i', 'j', 'f', 'o'\].*Received"),
        (lambda: figures.gru_cell({"r": 1}), r"exactly \['r', 'u'\]"),
        (lambda: figures.unroll(3, [4]), r"between 0 and num_steps=3. Received: sequence_length"),
        (lambda: figures.batch_rows([1, 2], [np.arange(3)]), r"\[batch_size, num_steps\] arrays"),
        (lambda: figures.bptt(3, [1.0]), r"Expected 3 gradient norms"),
        (lambda: figures.gate_heatmap({}), r"at least one gate"),
        (
            lambda: figures.hidden_unit_text("ab", np.zeros((3, 1)), [0]),
            r"one row .* per character",
        ),
    ],
)
def test_bad_numbers_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_every_figure_draws_its_chinese_labels_without_a_missing_glyph(monkeypatch):
    """With ``RNN_COURSE_LANG=zh`` the labels are Chinese, and matplotlib finds every glyph
    (the CJK font scripts/ci-setup.sh installs is the fallback after its default font)."""
    import io
    import re
    import warnings

    assert fonts.cjk_family(), "no CJK font: install fonts-wqy-microhei (make system does)"
    monkeypatch.setenv("RNN_COURSE_LANG", "zh")
    chinese = 0
    for name, calls in DRAWINGS.items():
        for kwargs in calls:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # "Glyph ... missing from font(s)" fails here
                fig = getattr(figures, name)(**kwargs)
                fig.savefig(io.BytesIO(), format="png")
            texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
            chinese += any(re.search(r"[\u4e00-\u9fff]", t) for t in texts)
            matplotlib.pyplot.close(fig)
    assert chinese >= len(DRAWINGS) - 1  # the cell contract's labels are all code
