"""The grader's side of notebook 07: the cells and the unroll in TensorFlow 2 (``tf.Module``,
``tf.while_loop``, ``tf.function``), checked against ``rnnref.tf`` and against Keras.

TensorFlow is imported inside the references (``cells.import_tensorflow``), never when the
exercises are listed.
"""

import numpy as np

from autograder.exercises import (
    Exercise,
    Mistake,
    Mutation,
    dynamic_rnn,
    lstm,
    support,
)
from autograder.i18n import N_, _
from autograder.learner.cells import LSTMStateTuple, import_tensorflow, sigmoid

# ---- BasicLSTMCell as a tf.Module -------------------------------------------------------


def _cell_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    configs = [
        {"batch": 3, "depth": 4, "units": 4, "dtype": "float32"},
        {"batch": 2, "depth": 3, "units": 5, "dtype": "float32"},
        # The visible cases cover what the hidden ones do:
        {"batch": 2, "depth": 3, "units": 3, "dtype": "float64", "forget_bias": 0.25},
    ]
    if hidden:
        configs = [
            {"batch": 4, "depth": 2, "units": 3, "dtype": "float64", "forget_bias": 2.5},
            {"batch": 3, "depth": 5, "units": 5, "dtype": "float32", "forget_bias": 0.0},
            {"batch": 1, "depth": 1, "units": 1, "dtype": "float32"},
        ]
    return lstm._lstm_cases(rng, configs)


def _expect_cell(case: dict) -> dict:
    import_tensorflow()
    import rnnref.tf as rt

    cell = rt.BasicLSTMCell(case["num_units"], forget_bias=case["options"]["forget_bias"])
    cell.build(case["input_depth"], case["dtype"])
    cell.set_weights(case["weights"])
    c, h = case["state"]
    output, new_state = cell(case["x"], rt.LSTMStateTuple(c, h))
    return {
        "state_size": cell.state_size,
        "output_size": cell.output_size,
        "output": output.numpy(),
        "new_state": LSTMStateTuple(new_state.c.numpy(), new_state.h.numpy()),
    }


def _cell_mistakes() -> dict:
    mistakes = lstm._common_mistakes()
    del mistakes["activation_ignored"]
    return mistakes


TF_LSTM_CELL = Exercise(
    name="tf_lstm_cell",
    answer="BasicLSTMCell",
    cases=_cell_cases,
    expect=_expect_cell,
    label=lstm._label,
    mistakes=_cell_mistakes(),
    variants=lstm.lstm_variants(peepholes=False),
    locate=lstm.locate,
)


# ---- dynamic_rnn with tf.while_loop ---------------------------------------------------


def _unroll_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, steps, depth, units, out, tuple, time_major, lengths, given_state, dtype)
    configs = [
        (3, 3, 3, 4, 4, False, False, None, True, "float32"),
        (4, 5, 3, 3, 3, False, False, [5, 3, 1, 4], True, "float32"),
        (3, 4, 2, 3, 2, True, False, [2, 4, 3], False, "float32"),
        # The visible cases cover what the hidden ones do:
        (2, 3, 2, 3, 3, False, False, [3, 1], True, "float64"),
    ]
    if hidden:
        configs = [
            (3, 4, 2, 3, 3, False, False, [0, 3, 0], True, "float64"),
            (1, 6, 3, 2, 4, True, False, None, True, "float32"),
            (5, 3, 2, 4, 2, True, False, [3, 0, 2, 1, 3], True, "float64"),
        ]
    return [dynamic_rnn._case(rng, *c) for c in configs]


def _unroll_mistake(key: str) -> Mistake:
    return Mistake(lambda case: dynamic_rnn._unroll(case, key), dynamic_rnn_message(key))


def dynamic_rnn_message(key: str) -> str:
    every = {**dynamic_rnn.MASK_MISTAKES, **dynamic_rnn.UNROLL_MISTAKES}
    return every[key].message


TF_DYNAMIC_RNN = Exercise(
    name="tf_dynamic_rnn",
    answer="dynamic_rnn",
    cases=_unroll_cases,
    expect=dynamic_rnn._expect_dynamic,
    label=dynamic_rnn._label,
    mistakes={
        key: _unroll_mistake(key)
        for key in (
            "outputs_unmasked",
            "state_unmasked",
            "state_zeroed",
            "off_by_one",
            "ignore_lengths",
            "initial_ignored",
            "from_initial",
            "not_transposed_back",
        )
    },
    variants={**dynamic_rnn.UNROLL_VARIANTS, **dynamic_rnn.MASK_VARIANTS},
    locate=dynamic_rnn.locate_steps,
)


# ---- TF1 weights into a Keras LSTM ------------------------------------------------------


def _keras_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, steps, depth, units, forget_bias); the visible cases cover what the hidden do
    configs = [(3, 4, 4, 4, 1.0), (2, 5, 3, 5, 1.0), (2, 3, 3, 3, 0.5)]
    if hidden:
        configs = [(1, 3, 2, 3, 0.0), (4, 2, 6, 2, 2.5)]
    cases = []
    for batch, steps, depth, units, forget_bias in configs:
        kernel, bias = support.weights_for(
            [(depth + units, 4 * units), (4 * units,)], rng, "float32"
        )
        cases.append(
            {
                "kernel": kernel,
                "bias": bias,
                "forget_bias": forget_bias,
                "x": support.normal(rng, (batch, steps, depth), "float32"),
                "c0": support.normal(rng, (batch, units), "float32"),
                "h0": support.normal(rng, (batch, units), "float32", 0.5),
            }
        )
    return cases


def _keras_label(case: dict) -> str:
    batch, steps, depth = case["x"].shape
    return _(
        "batch {batch}, {steps} steps, input depth {depth}, {units} units, "
        "forget_bias={forget_bias}"
    ).format(
        batch=batch,
        steps=steps,
        depth=depth,
        units=case["h0"].shape[1],
        forget_bias=case["forget_bias"],
    )


def _expect_keras(case: dict) -> dict:
    import rnnref.np as rn

    units = case["h0"].shape[1]
    cell = rn.BasicLSTMCell(units, forget_bias=case["forget_bias"])
    cell.build(case["x"].shape[2])
    cell.set_weights([case["kernel"], case["bias"]])
    state = rn.LSTMStateTuple(case["c0"], case["h0"])
    outputs, final = rn.dynamic_rnn(cell, case["x"], initial_state=state)
    return {"outputs": outputs, "final_state": final}


def _keras_weights(case: dict, mistake: str = "") -> list:
    """TF1's [kernel, bias] as Keras's [kernel, recurrent_kernel, bias], mistakes switchable."""
    kernel, bias, fb = case["kernel"], case["bias"], case["forget_bias"]
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H

    def reorder(w: np.ndarray) -> np.ndarray:  # TF1's i, j, f, o -> Keras's i, f, c(=j), o
        i, j, f, o = np.split(w, 4, axis=-1)
        return w if mistake == "no_reorder" else np.concatenate([i, f, j, o], axis=-1)

    W_x, W_h = (kernel[H:], kernel[:H]) if mistake == "rows_swapped" else (kernel[:D], kernel[D:])
    b = reorder(bias).copy()
    if mistake == "wrong_gate":
        b[2 * H : 3 * H] += fb
    elif mistake != "no_fold":
        b[H : 2 * H] += fb  # the forget gate's bias, where Keras keeps f
    return [reorder(W_x), reorder(W_h), b]


def _keras_lstm(case: dict, mistake: str) -> dict:
    """Keras's LSTM (gates i, f, c, o; no forget_bias) in NumPy, on converted weights."""
    W_x, W_h, b = _keras_weights(case, mistake)
    c, h = case["c0"], case["h0"]
    outputs = []
    for t in range(case["x"].shape[1]):
        i, f, g, o = np.split(case["x"][:, t] @ W_x + h @ W_h + b, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return {"outputs": np.stack(outputs, axis=1), "final_state": LSTMStateTuple(c, h)}


KERAS_LSTM_WEIGHTS = Exercise(
    name="keras_lstm_weights",
    answer="keras_lstm_weights",
    cases=_keras_cases,
    expect=_expect_keras,
    label=_keras_label,
    mistakes={
        "no_reorder": Mistake(
            lambda case: _keras_lstm(case, "no_reorder"),
            N_(
                "the gate blocks keep TF1's order i, j, f, o: Keras reads them as i, f, c, o, so "
                "move TF1's f block second and its j block third, in the kernels and the bias."
            ),
        ),
        "no_fold": Mistake(
            lambda case: _keras_lstm(case, "no_fold"),
            N_(
                "forget_bias is not folded in: Keras has no forget_bias, so add it to the bias of "
                "the forget gate."
            ),
        ),
        "wrong_gate": Mistake(
            lambda case: _keras_lstm(case, "wrong_gate"),
            N_(
                "forget_bias is added to the wrong block: in Keras's order i, f, c, o the forget "
                "gate's bias is bias[H:2H]."
            ),
        ),
        "rows_swapped": Mistake(
            lambda case: _keras_lstm(case, "rows_swapped"),
            N_(
                "the kernel's rows are split the wrong way: TF1's first D rows multiply x (Keras's "
                "kernel), the last H rows multiply h (its recurrent_kernel)."
            ),
        ),
    },
)


EXERCISES = [TF_LSTM_CELL, TF_DYNAMIC_RNN, KERAS_LSTM_WEIGHTS]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "07_tensorflow"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "tf_lstm_cell_test": [
        Mutation(
            "tf_lstm_cell_answer",
            "i, j, f, o = tf.split(z, 4, axis=1)",
            "i, f, j, o = tf.split(z, 4, axis=1)",
            "in the order i, f, j, o",
        ),
        Mutation(
            "tf_lstm_cell_answer",
            "tf.sigmoid(f + self.forget_bias)",
            "tf.sigmoid(f)",
            "forget_bias is missing",
        ),
        Mutation(
            "tf_lstm_cell_answer",
            "tf.concat([inputs, h_prev], axis=1)",
            "tf.concat([h_prev, inputs], axis=1)",
            "[h, x] instead of [x, h]",
        ),
        Mutation(
            "tf_lstm_cell_answer",
            "LSTMStateTuple(new_c, new_h)",
            "LSTMStateTuple(new_h, new_c)",
            "the state's parts are swapped",
        ),
        Mutation(
            "tf_lstm_cell_answer",
            "tf.sigmoid(f + self.forget_bias)",
            "tf.sigmoid(f + 2 * self.forget_bias)",
            "forget_bias is added twice",
        ),
        Mutation(
            "tf_lstm_cell_answer",
            "tf.sigmoid(f + self.forget_bias)",
            "tf.sigmoid(f + 1.0)",
            "a constant term is wrong there (forget_bias?",
        ),
        Mutation(
            "tf_lstm_cell_answer",
            "new_h = tf.tanh(new_c) * tf.sigmoid(o)",
            "new_h = tf.tanh(new_c) * tf.tanh(o)",
            "the output gate o goes through the wrong function",
        ),
    ],
    "tf_dynamic_rnn_test": [
        Mutation(
            "tf_dynamic_rnn_answer",
            "output = tf.where(live, output, tf.zeros_like(output))",
            "output = output",
            "the outputs past a row's sequence_length are not zeroed",
        ),
        Mutation(
            "tf_dynamic_rnn_answer",
            "lambda new, old: tf.where(live, new, old)",
            "lambda new, old: tf.where(live, new, tf.zeros_like(old))",
            "the state is zeroed past a row's sequence_length",
        ),
        Mutation(
            "tf_dynamic_rnn_answer",
            "live = (t < lengths)[:, None]",
            "live = (t <= lengths)[:, None]",
            "the mask is off by one",
        ),
        Mutation(
            "tf_dynamic_rnn_answer",
            "live = (t < lengths)[:, None]",
            "live = (t < lengths - 1)[:, None]",
            "the mask ends one step early",
        ),
        Mutation(
            "tf_dynamic_rnn_answer",
            "return tf.transpose(outputs.stack(), [1, 0, 2]), state",
            "return outputs.stack(), state",
            "the outputs are returned time-major",
        ),
        Mutation(
            "tf_dynamic_rnn_answer",
            "return tf.transpose(outputs.stack(), [1, 0, 2]), state",
            "return tf.reshape(outputs.stack(), [batch, max_time, -1]), state",
            "a reshape would keep the time-major order",
        ),
    ],
    "keras_lstm_weights_test": [
        Mutation(
            "keras_lstm_weights_answer",
            "return np.concatenate([i, f, j, o], axis=-1)",
            "return np.concatenate([i, j, f, o], axis=-1)",
            "the gate blocks keep TF1's order i, j, f, o",
        ),
        Mutation(
            "keras_lstm_weights_answer",
            "keras_bias[H : 2 * H] += forget_bias",
            "keras_bias[H : 2 * H] += 0",
            "forget_bias is not folded in",
        ),
        Mutation(
            "keras_lstm_weights_answer",
            "keras_bias[H : 2 * H]",
            "keras_bias[2 * H : 3 * H]",
            "forget_bias is added to the wrong block",
        ),
        Mutation(
            "keras_lstm_weights_answer",
            "reorder(kernel[:D]), reorder(kernel[D:])",
            "reorder(kernel[H:]), reorder(kernel[:H])",
            "the kernel's rows are split the wrong way",
        ),
    ],
}
