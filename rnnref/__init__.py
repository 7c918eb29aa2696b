"""rnnref: TensorFlow's TF1 recurrent cells, written to be read.

Two backends with the same classes, arguments and weight layout:

- ``rnnref.np``: NumPy, eager and exact, the reference the course grades against.
- ``rnnref.tf``: TensorFlow 2, graph-compiled, differentiable and GPU-capable.

Every cell keeps TensorFlow's contract ``(output, next_state) = cell(inputs, state)``
and stores its weights exactly as ``tf.compat.v1.nn.rnn_cell`` does, so weights move
between the two backends and TensorFlow's own cells with ``set_weights``.

Shape legend, used in every docstring:

    B  batch size          T  time steps (max_time)
    D  input depth         H  units (num_units)
    P  projection size     S  num_steps of a batch split
"""
