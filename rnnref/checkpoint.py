"""Loading a TF1 checkpoint's RNN variables into an rnnref cell, by name.

Cells name their weights as TF1 scopes them (``rnnref.naming``), so the variable that
TF1 saved as ``rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel`` is the weight named
``multi_rnn_cell/cell_0/gru_cell/gates/kernel`` of a cell built outside any unroll (pass
``scope="rnn"``) or ``rnn/multi_rnn_cell/...`` of one that ``dynamic_rnn`` built.
"""

from typing import Any

from rnnref import validation


def load_tf1_checkpoint(cell: Any, path: str, scope: str = "") -> None:
    """Set every weight of ``cell`` (either backend, built) from the checkpoint at ``path``.

    Weight ``n`` of ``cell.weight_names`` is read from the variable ``scope/n`` (``n`` if
    ``scope`` is empty). Reading a checkpoint needs TensorFlow; the cell may be NumPy's.
    """
    import tensorflow as tf  # only this function needs it, so rnnref.np does not

    owner = "load_tf1_checkpoint"
    if not cell.built:
        validation.not_built(type(cell).__name__)
    prefix = f"{scope.strip('/')}/" if scope.strip("/") else ""
    reader = tf.train.load_checkpoint(path)
    saved = reader.get_variable_to_shape_map()
    wanted = [prefix + name for name in cell.weight_names]
    validation.checkpoint_names(owner, path, wanted, sorted(saved))
    cell.set_weights([reader.get_tensor(name) for name in wanted])
