"""The grader's side of notebook 09, the character-level language model: encoding text as ids, the
sequence loss (in TensorFlow, against ``rnnref.np.train.sequence_loss_forward``), and the
temperature softmax used for sampling."""

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, _

# ---- encoding ---------------------------------------------------------------------------

TEXTS = {
    "hello": "hello world",
    "notes": "每调用一次RNNCell的call方法，就相当于在时间上“推进了一步”。",
    "empty": "",
    "one": "aaaa",
}


def _encode_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    names = ["hello", "notes"]
    if hidden:
        alphabet = list("abcdefg \n.,;")
        random_text = "".join(rng.choice(alphabet, size=int(rng.integers(20, 60))))
        return [{"text": TEXTS["empty"]}, {"text": TEXTS["one"]}, {"text": random_text}]
    return [{"text": TEXTS[name]} for name in names]


def _encode_label(case: dict) -> str:
    text = case["text"]
    shown = repr(text[:24]) + ("..." if len(text) > 24 else "")
    return _("text {text} ({count} characters)").format(text=shown, count=len(text))


def _encode(case: dict, mistake: str = "") -> dict:
    text = case["text"]
    if mistake == "first_seen":
        chars = "".join(dict.fromkeys(text))
    elif mistake == "duplicates":
        chars = "".join(sorted(text))
    else:
        chars = "".join(sorted(set(text)))
    index = {c: i for i, c in enumerate(chars)}  # with duplicates: the last position wins
    offset = 1 if mistake == "one_based" else 0
    return {"chars": chars, "ids": np.array([index[c] + offset for c in text], dtype=np.int64)}


ENCODE = Exercise(
    name="encode",
    answer="encode",
    cases=_encode_cases,
    expect=_encode,
    label=_encode_label,
    mistakes={
        "first_seen": Mistake(
            lambda case: _encode(case, "first_seen"),
            N_(
                "the vocabulary is in order of first appearance: sort it, "
                "''.join(sorted(set(text))), so the same text always gives the same ids."
            ),
        ),
        "one_based": Mistake(
            lambda case: _encode(case, "one_based"),
            N_(
                "the ids start at 1: character chars[k] has id k, from 0 to len(chars) - 1 (the "
                "rows of the embedding and the columns of the logits)."
            ),
        ),
        "duplicates": Mistake(
            lambda case: _encode(case, "duplicates"),
            N_("the vocabulary repeats characters: keep each character once, set(text)."),
        ),
    },
)


# ---- the sequence loss ------------------------------------------------------------------


def _loss_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    shapes = [(2, 3, 5), (4, 2, 7)]  # (batch, steps, vocabulary)
    if hidden:
        shapes = [(1, 1, 2), (3, 6, 11), (2, 4, 3)]
    cases = []
    for batch, steps, vocab in shapes:
        cases.append(
            {
                "logits": support.normal(rng, (batch, steps, vocab), "float32", 3.0),
                "targets": rng.integers(0, vocab, size=(batch, steps)),
            }
        )
    # One position where a wrong class's logit is far above the rest (and above every other
    # position's): exp() of it overflows unless shifted, the target's probability underflows
    # to 0 in float32 so log(softmax(...)) gives inf, and a max over all positions instead of
    # each one's makes the other positions' sums underflow. The notebook teaches log_softmax.
    for case in cases:
        wrong = (case["targets"][0, 0] + 1) % case["logits"].shape[2]
        case["logits"][0, 0, wrong] += 150.0
    return cases


def _loss_label(case: dict) -> str:
    batch, steps, vocab = case["logits"].shape
    return f"logits [B={batch}, T={steps}, V={vocab}]"


def _expect_loss(case: dict) -> dict:
    from rnnref.np.train import sequence_loss_forward

    loss, _ = sequence_loss_forward(case["logits"].astype(np.float64), case["targets"])
    return {"loss": np.asarray(loss, dtype=np.float64)}


def _loss(case: dict, mistake: str) -> dict:
    logits = case["logits"].astype(np.float64)
    axis = {"batch_axis": 0, "time_axis": 1}.get(mistake, -1)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    if mistake == "probabilities":
        log_probs = np.exp(log_probs)  # -p instead of -log p
    if mistake == "unnormalised":
        log_probs = logits
    nll = -np.take_along_axis(log_probs, case["targets"][..., None], axis=-1)[..., 0]  # [B, T]
    if mistake == "sum":
        return {"loss": np.asarray(nll.sum())}
    if mistake == "time_mean":
        return {"loss": np.asarray(nll.mean(axis=1).sum())}
    return {"loss": np.asarray(nll.mean())}


SEQUENCE_LOSS = Exercise(
    name="sequence_loss",
    answer="sequence_loss",
    cases=_loss_cases,
    expect=_expect_loss,
    label=_loss_label,
    atol=1e-4,
    rtol=1e-5,
    mistakes={
        "sum": Mistake(
            lambda case: _loss(case, "sum"),
            N_(
                "the loss is summed over every position: take the mean, so it does not grow with "
                "batch_size and num_steps (and the learning rate means the same for any size)."
            ),
        ),
        "time_mean": Mistake(
            lambda case: _loss(case, "time_mean"),
            N_("the loss is averaged over time but summed over the batch: average over both."),
        ),
        "batch_axis": Mistake(
            lambda case: _loss(case, "batch_axis"),
            N_("the softmax runs over the batch axis: it is over the vocabulary, the last axis."),
        ),
        "probabilities": Mistake(
            lambda case: _loss(case, "probabilities"),
            N_("the loss uses -p(target) instead of -log p(target)."),
        ),
        "unnormalised": Mistake(
            lambda case: _loss(case, "unnormalised"),
            N_(
                "the logits are used as log-probabilities: subtract their log-sum-exp "
                "(tf.nn.log_softmax) first."
            ),
        ),
    },
    variants={
        "softmax.time_axis": Mistake(
            lambda case: _loss(case, "time_axis"),
            N_(
                "the softmax runs over the time axis: it is over the vocabulary, the last axis "
                "of logits [B, T, V]."
            ),
        ),
    },
)


# ---- the temperature softmax ------------------------------------------------------------


def _softmax_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    configs = [((5,), 0.5), ((3, 4), 1.5), ((4,), 0.8)]
    if hidden:
        configs = [((2,), 1.0), ((6,), 0.1), ((2, 7), 3.0), ((4,), 0.6)]
    cases = [
        {"logits": rng.normal(size=shape) * 2, "temperature": temperature}
        for shape, temperature in configs
    ]
    # Both sets: a logit whose exp(logit / T) overflows unless shifted, and rows so far apart
    # that shifting by the largest logit of all (not each row's) leaves 0 / 0 in the others.
    cases[-1]["logits"][0] = 800.0
    rows = next(case for case in cases if case["logits"].ndim == 2)
    rows["logits"][0] += 3000.0
    return cases


def _softmax_label(case: dict) -> str:
    return _("logits of shape {shape}, temperature={temperature}").format(
        shape=case["logits"].shape, temperature=case["temperature"]
    )


def _softmax(case: dict, mistake: str = "") -> dict:
    logits, T = case["logits"], case["temperature"]
    if mistake == "multiplied":
        scaled = logits * T
    elif mistake == "ignored":
        scaled = logits
    else:
        scaled = logits / T
    axis = 0 if mistake == "first_axis" else -1
    e = np.exp(scaled - scaled.max(axis=axis, keepdims=True))
    if mistake == "power_unnormalised":
        p = np.exp(logits - logits.max(axis=-1, keepdims=True))
        p = p / p.sum(axis=-1, keepdims=True)
        return {"probabilities": p ** (1 / T)}
    return {"probabilities": e / e.sum(axis=axis, keepdims=True)}


TEMPERATURE_SOFTMAX = Exercise(
    name="temperature_softmax",
    answer="temperature_softmax",
    cases=_softmax_cases,
    expect=_softmax,
    label=_softmax_label,
    mistakes={
        "multiplied": Mistake(
            lambda case: _softmax(case, "multiplied"),
            N_(
                "the logits are multiplied by the temperature: divide them, softmax(logits / T), "
                "so a low temperature sharpens the distribution and a high one flattens it."
            ),
        ),
        "ignored": Mistake(
            lambda case: _softmax(case, "ignored"),
            N_("the temperature is ignored: use softmax(logits / temperature)."),
        ),
        "power_unnormalised": Mistake(
            lambda case: _softmax(case, "power_unnormalised"),
            N_(
                "p ** (1 / T) is not normalised again: probabilities must sum to 1 over the last "
                "axis."
            ),
        ),
    },
    variants={
        "softmax.first_axis": Mistake(
            lambda case: _softmax(case, "first_axis"),
            N_(
                "the softmax runs over the first axis: each row of logits (the last axis) is one "
                "distribution, so take the max and the sum over axis=-1."
            ),
        ),
    },
)


EXERCISES = [ENCODE, SEQUENCE_LOSS, TEMPERATURE_SOFTMAX]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "09_char_rnn"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "encode_test": [
        Mutation(
            "encode_answer",
            'chars = "".join(sorted(set(text)))',
            'chars = "".join(dict.fromkeys(text))',
            "the vocabulary is in order of first appearance",
        ),
        Mutation(
            "encode_answer",
            "index[c] for c in text",
            "index[c] + 1 for c in text",
            "the ids start at 1",
        ),
        Mutation(
            "encode_answer",
            "sorted(set(text))",
            "sorted(text)",
            "the vocabulary repeats characters",
        ),
    ],
    "sequence_loss_test": [
        Mutation(
            "sequence_loss_answer",
            "tf.reduce_mean(nll)",
            "tf.reduce_sum(nll)",
            "the loss is summed over every position",
        ),
        Mutation(
            "sequence_loss_answer",
            "tf.nn.log_softmax(logits, axis=-1)",
            "tf.nn.log_softmax(logits, axis=0)",
            "the softmax runs over the batch axis",
        ),
        Mutation(
            "sequence_loss_answer",
            "tf.nn.log_softmax(logits, axis=-1)",
            "tf.nn.log_softmax(logits, axis=1)",
            "the softmax runs over the time axis",
        ),
        Mutation(
            "sequence_loss_answer",
            "log_p = tf.nn.log_softmax(logits, axis=-1)",
            "log_p = logits",
            "the logits are used as log-probabilities",
        ),
        Mutation(
            "sequence_loss_answer",
            "nll = -tf.gather(log_p,",
            "nll = -tf.gather(tf.exp(log_p),",
            "the loss uses -p(target)",
        ),
    ],
    "temperature_softmax_test": [
        Mutation(
            "temperature_softmax_answer",
            "scaled = logits / temperature",
            "scaled = logits * temperature",
            "the logits are multiplied by the temperature",
        ),
        Mutation(
            "temperature_softmax_answer",
            "scaled = logits / temperature",
            "scaled = logits",
            "the temperature is ignored",
        ),
        Mutation(
            "temperature_softmax_answer",
            "np.exp(scaled - scaled.max(axis=-1, keepdims=True))",
            "np.exp(scaled)",
            "something overflows",
        ),
        Mutation(
            "temperature_softmax_answer",
            "axis=-1",
            "axis=0",
            "the softmax runs over the first axis",
            count=-1,
        ),
    ],
}
