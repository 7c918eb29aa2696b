"""A small state saver for ``static_state_saving_rnn``, in place of TF1's queue-backed ones.

TF1's ``static_state_saving_rnn`` reads its initial state with ``state_saver.state(name)``
and stores the final one with ``state_saver.save_state(name, value)``; this saver keeps
them in a dict, so one batch's final state is the next batch's initial state.
"""

from typing import Any


class StateSaver:
    """States by name: ``state(name)`` reads, ``save_state(name, value)`` writes.

    ``initial_states``: {name: value [B, n]} for the first batch.
    """

    def __init__(self, initial_states: dict[str, Any]) -> None:
        self._states = dict(initial_states)

    def state(self, name: str) -> Any:
        if name not in self._states:
            raise KeyError(
                f"StateSaver expects a saved state named {name!r}. "
                f"Received: names {sorted(self._states)}."
            )
        return self._states[name]

    def save_state(self, name: str, value: Any) -> None:
        self._states[name] = value
