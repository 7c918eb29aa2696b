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

TF1's signatures are kept (argument names, positions, defaults); arguments that only
steer TF1's graph machinery (``reuse``, ``parallel_iterations``, ``swap_memory``,
``num_unit_shards``, ``num_proj_shards``) are checked and change nothing. Weights are
named as TF1 scopes them (``rnnref.naming``), so ``load_tf1_checkpoint`` reads a TF1
checkpoint by name. A user's cell may nest its inputs, states and outputs (tuples,
namedtuples, dicts) as TF1's ``nest`` allows. What still differs from TF1 on purpose, and
why, is listed in the book's "From TF1 to here" (``docs/tf1.md``).
"""
