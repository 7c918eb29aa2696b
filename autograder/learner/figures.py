"""The course's diagrams, drawn from code with matplotlib, so that no image is stored anywhere.

Each function draws one idea where a notebook teaches it and returns the ``Figure`` (a
notebook shows it at the end of the cell; a test saves it):

- ``cell_contract``: ``(output, next_state) = cell(inputs, state)``, the one rule of every cell;
- ``basic_rnn_cell``, ``lstm_cell``, ``gru_cell``: each cell's data flow, gates named and
  ordered as TF1 lays out its kernel (``i, j, f, o``; ``r, u``), the LSTM's peepholes and
  projection as options;
- ``unroll``: one cell called step after step, with ``sequence_length`` masking;
- ``multi_rnn_cell``: a stack of cells and its state tuple;
- ``batch_rows``: a long sequence cut into ``batch_size x num_steps`` batches;
- ``bptt``: the graph backpropagation through time walks backwards;
- ``gate_heatmap`` and ``hidden_unit_text``: the learner's own numbers, over time.

A wall runs through the course: this module runs in the learner's kernel, so it computes no
exercise's answer. Where a figure shows numbers (gate values, batches, activations) they are
arrays the learner's own code produced and passed in; the figure only draws them.
Shape legend: B batch, T time, D input depth, H units, P projection.
"""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from autograder.learner.fonts import use_cjk_fallback
from autograder.learner.i18n import _

GATE_MAP = "viridis"  # a gate in [0, 1]: dark is shut, yellow is open
SIGNED_MAP = "RdBu_r"  # a tanh value in [-1, 1]: blue negative, red positive
STATE_COLOUR = "#fde9c8"
INPUT_COLOUR = "#dbe9f6"
OUTPUT_COLOUR = "#e2f0d9"
PLAIN_COLOUR = "#eeeeee"
MASK_COLOUR = "#d9d9d9"

CJK = use_cjk_fallback()  # Chinese labels draw in a CJK font where one is installed
# Characters over a grid, in a fixed width; Chinese ones from the CJK font.
MONOSPACE = ["monospace", CJK] if CJK else ["monospace"]


# ---- drawing primitives ---------------------------------------------------------------------


def _canvas(width: float, height: float, title: str) -> tuple[Figure, Axes]:
    """A blank drawing area ``width x height`` data units wide, 0.8 inch per unit at most, so
    that a figure fits a notebook's width (about 9 inches)."""
    scale = min(0.8, 9.0 / width)
    fig, ax = plt.subplots(figsize=(width * scale, height * scale))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    return fig, ax


def _box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str,
    colour: str = PLAIN_COLOUR,
    size: float = 10,
    text_colour: str = "black",
) -> None:
    """A rounded box centred on ``(x, y)`` with ``text`` in it."""
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.05",
            facecolor=colour,
            edgecolor="#444444",
            linewidth=1.2,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color=text_colour)


def _op(ax: Axes, x: float, y: float, symbol: str) -> None:
    """A pointwise operation (``×``, ``+``, ``tanh``) drawn as a small circle."""
    ax.add_patch(Circle((x, y), 0.3, facecolor="white", edgecolor="#444444", linewidth=1.2))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=9 if len(symbol) > 1 else 12)


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    label: str = "",
    colour: str = "#333333",
    style: str = "-",
    where: str = "above",
) -> None:
    """An arrow from ``start`` to ``end``, labelled at its middle."""
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": colour,
            "linewidth": 1.4,
            "linestyle": style,
            "shrinkA": 0,
            "shrinkB": 0,
        },
    )
    if label:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        dy = 0.25 if where == "above" else -0.25
        ax.text(mx, my + dy, label, ha="center", va="center", fontsize=9, color=colour)


def _line(ax: Axes, points: Sequence[tuple[float, float]], colour: str = "#333333") -> None:
    """A path without a head, for wires that turn corners before their last arrow."""
    xs, ys = zip(*points, strict=True)
    ax.plot(xs, ys, color=colour, linewidth=1.4)


def _gate_colour(gates: Mapping[str, np.ndarray] | None, name: str, signed: bool = False) -> str:
    """The colour of gate ``name``'s mean value, or the plain colour when no values are given."""
    if gates is None:
        return PLAIN_COLOUR
    value = float(np.mean(gates[name]))
    if signed:
        return plt.get_cmap(SIGNED_MAP)((value + 1) / 2)
    return plt.get_cmap(GATE_MAP)(value)


def _gate_label(gates: Mapping[str, np.ndarray] | None, name: str, function: str) -> str:
    """``"f\\nσ"``, with the gate's mean value under it when values are given."""
    text = f"{name}\n{function}"
    return text if gates is None else f"{text}\n{float(np.mean(gates[name])):.2f}"


def _text_colour(gates: Mapping[str, np.ndarray] | None, name: str, signed: bool = False) -> str:
    """White on a dark gate colour, black otherwise, so that the label stays readable."""
    if gates is None:
        return "black"
    value = float(np.mean(gates[name]))
    return "white" if (abs(value) > 0.6 if signed else value < 0.45) else "black"


def _gate_box(
    ax: Axes, x: float, y: float, gates: Mapping[str, np.ndarray] | None, name: str, function: str
) -> None:
    signed = function == "tanh"
    _box(
        ax,
        x,
        y,
        0.9,
        1.1 if gates is not None else 0.9,
        _gate_label(gates, name, function),
        _gate_colour(gates, name, signed),
        size=9,
        text_colour=_text_colour(gates, name, signed),
    )


def _colourbars(fig: Figure, ax: Axes, signed: bool = True) -> None:
    """The scales the gate colours are read on: sigmoid gates, and ``tanh`` if ``signed``."""
    scales = [(GATE_MAP, 0, 1, _("σ gates (mean)"))]
    if signed:
        scales.append((SIGNED_MAP, -1, 1, _("tanh j (mean)")))
    for row, (cmap, low, high, label) in enumerate(scales):
        mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(low, high))
        bar = fig.colorbar(
            mappable,
            cax=ax.inset_axes((0.74, 0.03 + 0.18 * row, 0.24, 0.025)),
            orientation="horizontal",
        )
        bar.ax.tick_params(labelsize=7)
        bar.ax.set_title(label, fontsize=7)


def _check_gates(gates: Mapping[str, np.ndarray] | None, names: str) -> None:
    if gates is not None and set(gates) != set(names):
        raise ValueError(
            _("Expected gate values for exactly {names}. Received: gates with keys {keys}").format(
                names=list(names), keys=sorted(gates)
            )
        )


# ---- the cells ------------------------------------------------------------------------------


def cell_contract(name: str = "RNNCell") -> Figure:
    """Every cell's contract: inputs [B, D] and state in; output [B, output_size] and the next
    state [B, state_size] out. One call is one step in time."""
    fig, ax = _canvas(9, 4.2, "(output, next_state) = cell(inputs, state)")
    _box(ax, 4.5, 2, 3, 1.4, f"{name}\ncall(inputs, state)", STATE_COLOUR, size=11)
    _arrow(ax, (0.6, 2), (3, 2), "state", where="above")
    ax.text(1.8, 1.6, "[B, state_size]", ha="center", fontsize=8)
    _arrow(ax, (6, 2), (8.4, 2), "next_state", where="above")
    ax.text(7.2, 1.6, "[B, state_size]", ha="center", fontsize=8)
    _arrow(ax, (4.5, 0.1), (4.5, 1.3), "")
    ax.text(4.65, 0.45, _("inputs [B, D]"), ha="left", fontsize=9)
    _arrow(ax, (4.5, 2.7), (4.5, 3.9), "")
    ax.text(4.65, 3.5, _("output [B, output_size]"), ha="left", fontsize=9)
    return fig


def basic_rnn_cell() -> Figure:
    """``BasicRNNCell``: ``new_h = act([x, h_prev] @ kernel + bias)``; the output is the state."""
    fig, ax = _canvas(9, 4.2, _("BasicRNNCell: output = new state"))
    _box(ax, 2.4, 1.5, 1.5, 0.8, "[x, h_prev]\n[B, D + H]", INPUT_COLOUR, size=9)
    _box(ax, 4.6, 1.5, 1.6, 0.8, "@ kernel + bias\n[D+H, H]", size=9)
    _op(ax, 6.3, 1.5, "tanh")
    _line(ax, [(0.3, 1.5), (1.65, 1.5)])
    ax.text(0.35, 1.7, "h_prev", fontsize=9)
    _arrow(ax, (2.4, 0.1), (2.4, 1.1))
    ax.text(2.55, 0.35, "x [B, D]", fontsize=9)
    _arrow(ax, (3.15, 1.5), (3.8, 1.5))
    _arrow(ax, (5.4, 1.5), (6.0, 1.5))
    _arrow(ax, (6.6, 1.5), (8.6, 1.5))
    ax.text(8.6, 1.05, _("new_h [B, H]: the next state"), ha="right", fontsize=9)
    _arrow(ax, (7.3, 1.5), (7.3, 3.7))
    ax.text(7.45, 3.3, "output = new_h", fontsize=9)
    return fig


def lstm_cell(
    gates: Mapping[str, np.ndarray] | None = None,
    *,
    peepholes: bool = False,
    projection: bool = False,
) -> Figure:
    """An LSTM step, in TF1's terms: one kernel makes ``i, j, f, o`` (that order, left to right
    in its columns); ``c`` runs along the top, kept by ``f`` and written by ``i * tanh(j)``;
    ``h`` is ``tanh(c) * o``.

    ``gates``: the learner's own values, ``{"i": ..., "j": ..., "f": ...,"o": ...}``, arrays
    after their activations (``sigmoid(i)``, ``tanh(j)``, ``sigmoid(f + forget_bias)``,
    ``sigmoid(o)``) of any shape; each box is coloured by its mean and shows it.
    ``peepholes`` adds ``c_prev -> i, f`` and ``new c -> o`` (``LSTMCell(use_peepholes=True)``);
    ``projection`` adds ``m @ projection_kernel`` [H, P] before the output.
    """
    _check_gates(gates, "ijfo")
    width = 12.5 if projection else 11
    title = (
        "BasicLSTMCell"
        if not (peepholes or projection)
        else "LSTMCell"
        + "".join([" + peepholes" if peepholes else "", " + projection" if projection else ""])
    )
    fig, ax = _canvas(width, 6.2, title)
    top, mid, low = 5.2, 2.9, 1.0
    # The cell c along the top: kept by f, then written by i * j.
    _arrow(ax, (0.3, top), (3.7, top), "c_prev", where="above")
    _op(ax, 4.0, top, "×")
    _arrow(ax, (4.3, top), (6.2, top))
    _op(ax, 6.5, top, "+")
    _arrow(ax, (6.8, top), (10.7, top), "new_c", where="above")
    # [x, h_prev] feeds the four gates, in TF1's column order i, j, f, o.
    _box(ax, 1.6, low, 1.6, 0.8, "[x, h_prev]\n@ kernel + bias", INPUT_COLOUR, size=8)
    ax.text(1.6, 0.2, _("kernel [D + H, 4H]: columns i | j | f | o"), ha="center", fontsize=8)
    _arrow(ax, (0.3, low), (0.8, low))
    ax.text(0.2, low + 0.25, "h_prev", fontsize=8)
    xs = {"i": 5.2, "j": 6.5, "f": 4.0, "o": 8.2}
    functions = {"i": "σ", "j": "tanh", "f": "σ", "o": "σ"}
    _line(ax, [(2.4, low), (8.2, low)])
    for name in "ijfo":
        _arrow(ax, (xs[name], low), (xs[name], mid - 0.55))
        _gate_box(ax, xs[name], mid, gates, name, functions[name])
    ax.text(4.0, mid - 0.85, "+ forget_bias", ha="center", fontsize=7)
    _arrow(ax, (4.0, mid + 0.55), (4.0, top - 0.3))
    _op(ax, 5.85, 4.1, "×")
    _line(ax, [(5.2, mid + 0.55), (5.2, 4.1), (5.55, 4.1)])
    _line(ax, [(6.5, mid + 0.55), (6.5, 3.6), (5.85, 3.6), (5.85, 3.8)])
    _arrow(ax, (5.85, 4.4), (6.3, top - 0.22))
    # h = tanh(new_c) * o.
    _op(ax, 9.3, 4.1, "tanh")
    _line(ax, [(9.3, top), (9.3, 4.4)])
    _op(ax, 9.3, mid, "×")
    _arrow(ax, (9.3, 3.8), (9.3, mid + 0.3))
    _arrow(ax, (8.65, mid), (9.0, mid))
    out_x = 10.7
    if projection:
        _box(ax, 10.9, mid, 1.3, 0.8, "m @ proj\n[H, P]", size=8)
        _arrow(ax, (9.6, mid), (10.25, mid))
        out_x = 12.2
        _arrow(ax, (11.55, mid), (out_x, mid))
    else:
        _arrow(ax, (9.6, mid), (out_x, mid))
    ax.text(out_x, mid - 0.45, _("new_h: output\nand state.h"), ha="right", va="top", fontsize=8)
    if peepholes:
        for name in "if":
            _arrow(ax, (2.6, top), (xs[name] - 0.35, mid + 0.5), colour="#9b2d86", style="--")
        _arrow(ax, (7.6, top), (xs["o"], mid + 0.55), colour="#9b2d86", style="--")
        ax.text(
            0.3,
            3.3,
            _("peepholes\nw_i, w_f see c_prev;\nw_o sees new_c"),
            fontsize=7,
            color="#9b2d86",
        )
    if gates is not None:
        _colourbars(fig, ax)
    return fig


def gru_cell(gates: Mapping[str, np.ndarray] | None = None) -> Figure:
    """A GRU step, in TF1's terms: ``[r, u] = σ([x, h_prev] @ gates_kernel)``; the candidate
    reads ``r * h_prev``; ``new_h = u * h_prev + (1 - u) * c``.

    ``gates``: the learner's own values ``{"r": ..., "u": ...}`` after the sigmoid, any shape.
    """
    _check_gates(gates, "ru")
    fig, ax = _canvas(11, 6.2, _("GRUCell: reset r, update u (TF1's order in gates_kernel)"))
    top, mid, low = 5.2, 2.9, 1.0
    _arrow(ax, (0.3, top), (5.2, top), "h_prev", where="above")
    _op(ax, 5.5, top, "×")
    _arrow(ax, (5.8, top), (7.9, top), "u · h_prev", where="above")
    _op(ax, 8.2, top, "+")
    _arrow(ax, (8.5, top), (10.7, top), _("new_h (output and state)"), where="above")
    _box(ax, 1.6, low, 1.6, 0.8, "[x, h_prev]\n@ gates_kernel", INPUT_COLOUR, size=8)
    _arrow(ax, (0.3, low), (0.8, low))
    _line(ax, [(2.4, low), (5.5, low)])
    for name, x in (("r", 3.2), ("u", 5.5)):
        _arrow(ax, (x, low), (x, mid - 0.55))
        _gate_box(ax, x, mid, gates, name, "σ")
    # r scales h_prev before the candidate's product; u keeps h_prev, 1 - u lets c in.
    _op(ax, 3.2, 4.1, "×")
    _arrow(ax, (3.2, mid + 0.55), (3.2, 3.8))
    _line(ax, [(2.6, top), (2.6, 4.1), (2.9, 4.1)])
    _box(
        ax, 7.0, 3.6, 1.9, 0.8, "c = tanh([x, r·h_prev]\n@ candidate_kernel)", OUTPUT_COLOUR, size=7
    )
    _line(ax, [(3.5, 4.1), (4.3, 4.1), (4.3, 3.6)])
    _arrow(ax, (4.3, 3.6), (6.05, 3.6))
    _arrow(ax, (5.5, mid + 0.55), (5.5, top - 0.3))
    _op(ax, 8.2, 4.1, "×")
    _line(ax, [(7.95, 3.6), (8.2, 3.6)])
    _arrow(ax, (8.2, 3.6), (8.2, 3.8))
    _arrow(ax, (8.2, 4.4), (8.2, top - 0.3))
    _line(ax, [(5.95, mid), (8.9, mid), (8.9, 4.1)])
    _arrow(ax, (8.9, 4.1), (8.5, 4.1))
    ax.text(9.0, mid + 0.2, "1 - u", fontsize=8)
    if gates is not None:
        _colourbars(fig, ax, signed=False)
    return fig


# ---- cells over time and in stacks ----------------------------------------------------------


def unroll(num_steps: int = 5, sequence_length: Sequence[int] | None = None) -> Figure:
    """One cell called at every step, the state carried right; with ``sequence_length`` (one
    length per batch row), the steps past a row's length are masked: their output is zeros and
    their state is the state the row ended with, copied through."""
    lengths = list(sequence_length) if sequence_length is not None else [num_steps]
    if any(not 0 <= n <= num_steps for n in lengths):
        raise ValueError(
            _(
                "Expected lengths between 0 and num_steps={num_steps}. Received: "
                "sequence_length={lengths}"
            ).format(num_steps=num_steps, lengths=lengths)
        )
    rows = len(lengths)
    width = 1.8 * num_steps + 2.2
    if sequence_length is None:
        title = _("the unroll: the same cell at every step")
    else:
        title = _("dynamic_rnn with sequence_length={lengths}: grey steps copy the state")
        title = title.format(lengths=lengths)
    fig, ax = _canvas(width, 2.4 * rows + 0.6, title)
    for row, length in enumerate(lengths):
        y = 2.4 * (rows - row) - 1.0
        named = _("row {row}").format(row=row) if sequence_length is not None else ""
        ax.text(0.1, y + 0.55, named, fontsize=8)
        _arrow(ax, (0.2, y), (1.1, y), "h0" if row == 0 else "")
        for t in range(num_steps):
            x = 1.8 + 1.8 * t
            live = t < length
            _box(
                ax,
                x,
                y,
                1.1,
                0.8,
                _("cell\nt={t}").format(t=t) if live else _("copy\nstate"),
                STATE_COLOUR if live else MASK_COLOUR,
                size=8,
            )
            ax.annotate(
                "",
                xy=(x, y - 0.45),
                xytext=(x, y - 1.0),
                arrowprops={"arrowstyle": "-|>", "color": "#333333"},
            )
            ax.text(x + 0.1, y - 0.95, f"x{t}", fontsize=8)
            ax.annotate(
                "",
                xy=(x, y + 1.0),
                xytext=(x, y + 0.45),
                arrowprops={"arrowstyle": "-|>", "color": "#333333"},
            )
            ax.text(x + 0.1, y + 0.8, f"out{t}" if live else "0", fontsize=8)
            _arrow(ax, (x + 0.6, y), (x + 1.2, y), f"h{length}" if t == num_steps - 1 else "")
    return fig


def multi_rnn_cell(num_layers: int = 3, state_is_tuple: bool = True) -> Figure:
    """``MultiRNNCell``: each layer's output is the next layer's input; the stack's state is
    the tuple of the layers' states (or, with ``state_is_tuple=False``, one concatenation)."""
    fig, ax = _canvas(9, 1.6 * num_layers + 2.0, _("MultiRNNCell: one step through the stack"))
    for layer in range(num_layers):
        y = 1.3 + 1.6 * layer
        _box(ax, 4.5, y, 2.4, 0.9, f"cells[{layer}]", STATE_COLOUR)
        _arrow(ax, (4.5, y - 1.0 if layer == 0 else y - 0.7), (4.5, y - 0.45))
        _arrow(ax, (1.2, y), (3.3, y), f"state[{layer}]")
        _arrow(ax, (5.7, y), (7.8, y), f"new_state[{layer}]")
    ax.text(4.65, 0.35, "inputs", fontsize=9)
    top = 1.3 + 1.6 * (num_layers - 1)
    _arrow(ax, (4.5, top + 0.45), (4.5, top + 1.2))
    ax.text(4.65, top + 0.9, _("output (the last layer's)"), fontsize=9)
    kind = _("a tuple of states") if state_is_tuple else _("one array: the states concatenated")
    ax.text(0.2, 0.15, _("state in and out: {kind}").format(kind=kind), fontsize=9)
    return fig


def batch_rows(sequence: Sequence[float], batches: Sequence[np.ndarray]) -> Figure:
    """A long ``sequence`` and the batches a splitter cut it into (each [batch_size,
    num_steps]): every value is coloured by the batch row it landed in, so rows that continue
    from one batch to the next show as runs of one colour along the sequence.

    ``batches`` are the learner's own, as their splitter returned them.
    """
    batches = [np.asarray(b) for b in batches]
    if not batches or any(b.ndim != 2 for b in batches):
        raise ValueError(
            _(
                "Expected a non-empty list of [batch_size, num_steps] arrays. Received: shapes "
                "{shapes}"
            ).format(shapes=[b.shape for b in batches])
        )
    row_of = {float(v): r for b in batches for r, line in enumerate(b) for v in line}
    colours = plt.get_cmap("tab10")
    n = len(sequence)
    rows, steps = batches[0].shape
    width = max(n, len(batches) * (steps + 1)) + 1
    fig, ax = _canvas(width, rows + 4, _("the sequence, and the batches cut from it"))
    for k, value in enumerate(sequence):
        row = row_of.get(float(value))
        colour = colours(row) if row is not None else "white"
        _box(ax, 0.8 + k, rows + 2.6, 0.8, 0.8, f"{value:g}", colour, size=9)
    ax.text(
        0.4,
        rows + 3.3,
        _("sequence (colour: the batch row it lands in; white: dropped)"),
        fontsize=8,
    )
    for index, batch in enumerate(batches):
        left = 0.8 + index * (steps + 1)
        ax.text(left - 0.4, rows + 1.1, _("batch {index}").format(index=index), fontsize=8)
        for r in range(batch.shape[0]):
            for s in range(batch.shape[1]):
                _box(ax, left + s, rows - r, 0.8, 0.8, f"{batch[r, s]:g}", colours(r), size=9)
    return fig


def bptt(num_steps: int = 4, gradient_norms: Sequence[float] | None = None) -> Figure:
    """The graph backpropagation through time walks: forward (black) the states run right and
    each step's output feeds its loss; backward (red) each loss's gradient enters its step and
    ``dh`` runs left, so step t receives the gradients of every later loss.

    ``gradient_norms``: the learner's own ``|dh_t|`` per step, written on the red arrows.
    """
    if gradient_norms is not None and len(gradient_norms) != num_steps:
        raise ValueError(
            _("Expected {num_steps} gradient norms. Received: {count}").format(
                num_steps=num_steps, count=len(gradient_norms)
            )
        )
    fig, ax = _canvas(2.2 * num_steps + 1.6, 5.6, _("backpropagation through time"))
    red = "#c0392b"
    for t in range(num_steps):
        x = 1.6 + 2.2 * t
        _box(ax, x, 2.4, 1.2, 0.8, _("cell t={t}").format(t=t), STATE_COLOUR, size=8)
        _arrow(ax, (x, 0.7), (x, 1.95))
        ax.text(x + 0.1, 0.75, f"x{t}", fontsize=8)
        _box(ax, x, 4.6, 1.2, 0.7, f"loss{t}", OUTPUT_COLOUR, size=8)
        _arrow(ax, (x - 0.2, 2.85), (x - 0.2, 4.2))
        _arrow(ax, (x + 0.2, 4.2), (x + 0.2, 2.85), colour=red)
        _arrow(ax, (x + 0.65, 2.55), (x + 1.55, 2.55))
        if t > 0:
            label = "dh" if gradient_norms is None else f"{gradient_norms[t]:.2g}"
            _arrow(ax, (x - 0.65, 2.2), (x - 1.55, 2.2), label, colour=red, where="below")
    ax.text(
        0.2,
        0.1,
        _("black: forward (h_t to the right)   red: backward (dloss, dh_t to the left)"),
        fontsize=8,
    )
    return fig


# ---- the learner's numbers over time --------------------------------------------------------


def gate_heatmap(
    gates: Mapping[str, np.ndarray], inputs: np.ndarray | None = None, title: str | None = None
) -> Figure:
    """One heat map per gate, units down and time across: ``gates`` maps a gate's name to the
    learner's recorded values [T, H] (after the activation), e.g. ``{"i": ..., "f": ...}``.
    ``inputs`` [T, D] or [T], when given, is drawn on top so that events line up with the
    gates' response. Sigmoid gates use the [0, 1] scale, ``j`` and ``c`` the signed one."""
    if not gates:
        raise ValueError(
            _("Expected at least one gate. Received: gates={gates}").format(gates=gates)
        )
    panels = [("input", np.atleast_2d(np.asarray(inputs).T))] if inputs is not None else []
    panels += [(name, np.asarray(values).T) for name, values in gates.items()]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(8.5, 1.1 * len(panels) + 0.8), sharex=True, squeeze=False
    )
    for ax, (name, values) in zip(axes[:, 0], panels, strict=True):
        signed = name in ("input", "j", "c", "h") or values.min() < 0
        image = ax.imshow(
            values,
            aspect="auto",
            interpolation="nearest",
            cmap=SIGNED_MAP if signed else GATE_MAP,
            vmin=-np.abs(values).max() if signed else 0,
            vmax=np.abs(values).max() if signed else 1,
        )
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    axes[-1, 0].set_xlabel(_("time step"))
    axes[0, 0].set_title(_("gate activations over time") if title is None else title, fontsize=11)
    return fig


def hidden_unit_text(
    text: str, activations: np.ndarray, units: Sequence[int], line_length: int = 64
) -> Figure:
    """Karpathy's picture of what a hidden unit tracks: ``text`` once per unit, each character
    on a background coloured by that unit's value while reading it (red positive, blue
    negative). ``activations`` [T, H] are the learner's model's ``h`` on ``text`` (T =
    ``len(text)``)."""
    activations = np.asarray(activations)
    if activations.shape[0] != len(text):
        raise ValueError(
            _(
                "Expected one row of activations per character ({count}). Received: activations "
                "of shape {shape}"
            ).format(count=len(text), shape=activations.shape)
        )
    lines = [text[k : k + line_length] for k in range(0, len(text), line_length)]
    height = len(units) * (len(lines) + 1.2)
    fig, ax = plt.subplots(figsize=(9, 0.28 * height + 0.4))
    ax.set_xlim(0, line_length)
    ax.set_ylim(height, 0)
    ax.axis("off")
    cmap = plt.get_cmap(SIGNED_MAP)
    y = 0.0
    for unit in units:
        ax.text(
            0,
            y + 0.5,
            _("hidden unit {unit}").format(unit=unit),
            fontsize=8,
            va="center",
            weight="bold",
        )
        y += 1.2
        for row, line in enumerate(lines):
            for col, char in enumerate(line):
                value = float(activations[row * line_length + col, unit])
                ax.add_patch(plt.Rectangle((col, y - 0.5), 1, 1, color=cmap((value + 1) / 2)))
                shown = {"\n": "⏎", " ": "·", "\t": "→"}.get(char, char)
                ax.text(col + 0.5, y, shown, ha="center", va="center", fontsize=7, family=MONOSPACE)
            y += 1
    return fig
