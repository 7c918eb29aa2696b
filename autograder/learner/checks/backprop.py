"""The checks of notebook 08: backpropagation through time in NumPy for ``BasicRNNCell``
and ``BasicLSTMCell``, and a numerical gradient.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.backprop``). ``rnn_bptt`` runs with a correct
``rnn_step_backward`` in place of the learner's (``drive.standing_in``), answering from
the case's ``"earlier"`` table."""

import numpy as np

from autograder.learner import drive
from autograder.learner.checks import Check
from autograder.learner.i18n import _


def _must_return(function: str, result: str) -> str:
    return _("{function} must return {result}.").format(function=function, result=result)


def _run_step(rnn_step_backward, case: dict) -> dict:
    result = rnn_step_backward(
        case["x"][:, 0], case["h0"], case["kernel"], case["bias"], case["d_outputs"][:, 0]
    )
    if not isinstance(result, tuple) or len(result) != 4:
        raise TypeError(_must_return("rnn_step_backward", "(d_x, d_h_prev, d_kernel, d_bias)"))
    d_x, d_h_prev, d_kernel, d_bias = result
    return {"d_x": d_x, "d_h_prev": d_h_prev, "d_kernel": d_kernel, "d_bias": d_bias}


def _run_bptt(rnn_bptt, case: dict) -> dict:
    def rnn_step_backward(x, h_prev, kernel, bias, d_new_h):
        arguments = {"x": x, "h_prev": h_prev, "kernel": kernel, "bias": bias, "d_new_h": d_new_h}
        return drive.answer_from(case["earlier"], arguments, "rnn_step_backward", "rnn_bptt")

    with drive.standing_in(rnn_bptt, "rnn_step_backward", rnn_step_backward):
        result = rnn_bptt(case["x"], case["h0"], case["kernel"], case["bias"], case["d_outputs"])
    if not isinstance(result, tuple) or len(result) != 4:
        raise TypeError(_must_return("rnn_bptt", "(d_x, d_h0, d_kernel, d_bias)"))
    d_x, d_h0, d_kernel, d_bias = result
    return {"d_x": d_x, "d_h0": d_h0, "d_kernel": d_kernel, "d_bias": d_bias}


def lstm_step_args(case: dict) -> tuple:
    """``lstm_step_backward``'s arguments, in order, from a case."""
    keys = ("x", "c_prev", "h_prev", "kernel", "bias", "forget_bias", "d_new_c", "d_new_h")
    return tuple(case[k] for k in keys)


def _run_lstm(lstm_step_backward, case: dict) -> dict:
    result = lstm_step_backward(*lstm_step_args(case))
    if not isinstance(result, tuple) or len(result) != 5:
        raise TypeError(
            _must_return("lstm_step_backward", "(d_x, d_c_prev, d_h_prev, d_kernel, d_bias)")
        )
    keys = ("d_x", "d_c_prev", "d_h_prev", "d_kernel", "d_bias")
    return dict(zip(keys, result, strict=True))


FUNCTIONS = ("sin_sum", "quartic", "softplus")


def scalar_function(name: str, a: np.ndarray):
    """A smooth scalar function of x (with parameters a), by name (cases are plain data)."""
    if name == "sin_sum":
        return lambda x: float(np.sum(np.sin(a * x)))
    if name == "quartic":
        return lambda x: float(np.sum(a * x**4))
    return lambda x: float(np.sum(np.log1p(np.exp(a * x))))


def _run_numeric(numerical_gradient, case: dict) -> dict:
    x = case["x"].copy()
    gradient = numerical_gradient(scalar_function(case["function"], case["a"]), x, case["eps"])
    return {"gradient": gradient, "x afterwards": x}


rnn_step_backward = Check(
    "rnn_step_backward",
    _run_step,
    """Check ``rnn_step_backward``: the gradients of one BasicRNNCell step.""",
)

rnn_bptt = Check(
    "rnn_bptt",
    _run_bptt,
    """Check ``rnn_bptt``: backpropagation through time over a whole BasicRNNCell unroll.""",
)

lstm_step_backward = Check(
    "lstm_step_backward",
    _run_lstm,
    """Check ``lstm_step_backward``: the gradients of one BasicLSTMCell step.""",
)

numerical_gradient = Check(
    "numerical_gradient",
    _run_numeric,
    """Check ``numerical_gradient(f, x, eps)``: central differences, x left as it was.""",
)
