"""A short tour of rnnref.np: ``python -m rnnref``."""

import numpy as np

import rnnref.np as rn


def tour() -> None:
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)

    print("1. One step of a cell: (output, next_state) = cell(inputs, state)")
    cell = rn.BasicLSTMCell(4, seed=0)
    x1 = rng.normal(size=(2, 3)).astype(np.float32)  # [B=2, D=3]
    h0 = cell.zero_state(2)
    output1, h1 = cell(x1, h0)
    print(f"   state_size={cell.state_size}, output_size={cell.output_size}")
    print(f"   inputs {x1.shape} -> output {output1.shape}, c {h1.c.shape}, h {h1.h.shape}")
    shapes = [w.shape for w in cell.weights]
    print(f"   weights: {list(zip(cell.weight_names, shapes, strict=True))}\n")

    print("2. dynamic_rnn with sequence_length: outputs stop, the state is carried")
    x = rng.normal(size=(3, 4, 3)).astype(np.float32)  # [B=3, T=4, D=3]
    outputs, state = rn.dynamic_rnn(cell, x, sequence_length=[4, 2, 0])
    print("   |output| per row and step (rows have lengths 4, 2, 0):")
    print(np.abs(outputs).sum(axis=2))
    carried = np.allclose(state.h[1], outputs[1, 1])
    print("   final h of row 1 equals its output at step 2:", carried)
    print()

    print("3. The notes' batch split: 1..12, batch_size=2, num_steps=3")
    for k, batch in enumerate(rn.split_batches(np.arange(1, 13), batch_size=2, num_steps=3)):
        print(f"   batch {k}: {batch.tolist()}")
    print("   Row r of batch k+1 continues row r of batch k, so its state carries over.")


if __name__ == "__main__":
    tour()
