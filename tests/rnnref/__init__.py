"""The reference, rnnref.np and rnnref.tf: TF1 parity, errors, backprop, fused unrolls, training."""
