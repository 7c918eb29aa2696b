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
checkpoint by name. Deliberately different from TF1:

- A second cell made without ``name=`` gets the same name, not ``gru_cell_1``: rnnref keeps
  no graph-wide counter of names. Pass ``name=`` to tell top-level cells apart.
- Sharded weights (``num_unit_shards``) are stored whole, not as ``kernel/part_k``.
- ``DropoutWrapper(variational_recurrent=True)`` draws its masks once, when made (as TF1
  run eagerly); ``dtype`` is checked, and the masks take the dtype of what they drop.
- Every bad argument fails when given, with ``ValueError``/``TypeError`` naming it, where
  TF1 often fails later or not at all (e.g. ``time_major="yes"`` is truthy to TF1).
- ``rnnref.np``'s ``raw_rnn`` returns the emitted arrays stacked, [T, B, ...], where TF1
  (and ``rnnref.tf``) return TensorArrays; NumPy has no TensorArray.
- ``dynamic_rnn`` over 0 time-major steps returns outputs [0, B, H]; TF1's are shaped (0,).
"""
