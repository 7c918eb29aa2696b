"""Typical mistakes injected into the solutions: every one must fail its check, and the
check's message must name the mistake for most of them (issue 4's mutation tests).

Each mutation replaces a piece of an answer cell's source (the solution), re-runs that
cell in a namespace holding the notebook's setup and answers, and calls the graded cell's
check in-process, on visible and hidden cases from fixed seeds. The release notebooks'
stubs must fail every check too.
"""

import re
from dataclasses import dataclass

import nbformat
import pytest

from tests.course_support import (
    ASSIGNMENTS,
    COURSE,
    SOLUTIONS,
    graded_cells,
    namespace_from,
    nbgrader_meta,
    notebooks,
)

SEEDS = (0, 1)


@dataclass(frozen=True)
class Mutation:
    answer: str  # grade_id of the answer cell to mutate
    old: str
    new: str
    names: str | None = None  # a phrase the failure message must contain (the named mistake)
    count: int = 1  # how many occurrences of ``old`` to replace (-1: all)


MUTATIONS: dict[str, dict[str, list[Mutation]]] = {
    "01_rnn_cell": {
        "basic_rnn_cell_test": [
            Mutation(
                "basic_rnn_cell_answer",
                "np.concatenate([inputs, h_prev], axis=1)",
                "np.concatenate([h_prev, inputs], axis=1)",
                "[h, x] instead of [x, h]",
            ),
            Mutation(
                "basic_rnn_cell_answer",
                "x_h @ self.kernel + self.bias",
                "x_h @ self.kernel",
                "the bias is left out",
            ),
            Mutation(
                "basic_rnn_cell_answer",
                "self.activation(x_h @ self.kernel + self.bias)",
                "np.tanh(x_h @ self.kernel + self.bias)",
                "always uses np.tanh",
            ),
            Mutation(
                "basic_rnn_cell_answer",
                "return new_h, new_h",
                "return new_h, h_prev",
                "the state is not updated",
            ),
            Mutation(
                "basic_rnn_cell_answer",
                "def state_size(self):\n        ### BEGIN SOLUTION\n        return self.num_units",
                "def state_size(self):\n        ### BEGIN SOLUTION\n        return 1",
            ),
        ],
        "unroll_test": [
            Mutation(
                "unroll_answer",
                "output, state = cell(x, state)",
                "output, new_state = cell(x, state)",
                "every step starts from the initial state",
            ),
            Mutation(
                "unroll_answer",
                "outputs.append(output)",
                "outputs.append(state)",
                "the states are collected as outputs",
            ),
            Mutation(
                "unroll_answer",
                "output, state = cell(x, state)",
                "output, new_state = cell(x, state)\n        state = output",
                "the output is carried to the next step",
            ),
            Mutation(
                "unroll_answer",
                "    for x in inputs:\n        output, state = cell(x, state)",
                "    h = state\n    for x in inputs:\n        output, h = cell(x, h)",
                "the initial state is returned as the final state",
            ),
        ],
    },
    "02_lstm": {
        "basic_lstm_cell_test": [
            Mutation(
                "basic_lstm_cell_answer",
                "i, j, f, o = np.split(z, 4, axis=1)",
                "i, f, j, o = np.split(z, 4, axis=1)",
                "in the order i, f, j, o",
            ),
            Mutation(
                "basic_lstm_cell_answer",
                "sigmoid(f + self.forget_bias)",
                "sigmoid(f)",
                "forget_bias is missing",
            ),
            Mutation(
                "basic_lstm_cell_answer",
                "sigmoid(f + self.forget_bias)",
                "(sigmoid(f) + self.forget_bias)",
                "forget_bias is added after the sigmoid",
            ),
            Mutation(
                "basic_lstm_cell_answer",
                "np.concatenate([inputs, h_prev], axis=1)",
                "np.concatenate([h_prev, inputs], axis=1)",
                "[h, x] instead of [x, h]",
            ),
            Mutation(
                "basic_lstm_cell_answer",
                "LSTMStateTuple(new_c, new_h)",
                "LSTMStateTuple(new_h, new_c)",
                "the state's parts are swapped",
            ),
            Mutation(
                "basic_lstm_cell_answer",
                "new_h = self.activation(new_c) * sigmoid(o)",
                "new_h = self.activation(c_prev) * sigmoid(o)",
                "from the old cell c_prev",
            ),
            Mutation(
                "basic_lstm_cell_answer",
                "return LSTMStateTuple(self.num_units, self.num_units)",
                "return (self.num_units, self.num_units)",
            ),
        ],
        "lstm_cell_peepholes_test": [
            Mutation(
                "lstm_cell_answer",
                "o = o + self.w_o_diag * c",
                "o = o + self.w_o_diag * c_prev",
                "the o peephole looks at the previous cell",
            ),
            Mutation(
                "lstm_cell_answer",
                "i = i + self.w_i_diag * c_prev\n            f = f + self.w_f_diag * c_prev",
                "i = i + self.w_f_diag * c_prev\n            f = f + self.w_i_diag * c_prev",
                "w_i_diag and w_f_diag are swapped",
            ),
            Mutation(
                "lstm_cell_answer",
                "i = i + self.w_i_diag * c_prev\n            f = f + self.w_f_diag * c_prev",
                "c_new = sigmoid(f + self.forget_bias) * c_prev + sigmoid(i) * self.activation(j)"
                "\n            i = i + self.w_i_diag * c_new"
                "\n            f = f + self.w_f_diag * c_new",
                "the i and f peepholes look at the new cell",
            ),
            Mutation(
                "lstm_cell_answer",
                "if self.cell_clip is not None:",
                "if False:",
                "cell_clip is ignored",
            ),
            Mutation(
                "lstm_cell_answer",
                "c = sigmoid(f + self.forget_bias) * c_prev",
                "c = sigmoid(f) * c_prev",
                "forget_bias is missing",
            ),
        ],
        "lstm_cell_projection_test": [
            Mutation(
                "lstm_cell_answer",
                "m = m @ self.projection_kernel  # [B, H] -> [B, P]\n"
                "            if self.proj_clip is not None:\n"
                "                m = np.clip(m, -self.proj_clip, self.proj_clip)",
                "if self.proj_clip is not None:\n"
                "                m = np.clip(m, -self.proj_clip, self.proj_clip)\n"
                "            m = m @ self.projection_kernel",
                "proj_clip is applied before the projection",
            ),
            Mutation(
                "lstm_cell_answer",
                "if self.proj_clip is not None:",
                "if False:",
                "proj_clip is ignored",
            ),
            Mutation(
                "lstm_cell_answer",
                "return LSTMStateTuple(self.num_units, self.num_proj or self.num_units)",
                "return LSTMStateTuple(self.num_units, self.num_units)",
            ),
            Mutation(
                "lstm_cell_answer",
                "i, j, f, o = np.split(z, 4, axis=1)",
                "i, f, j, o = np.split(z, 4, axis=1)",
                "in the order i, f, j, o",
            ),
            Mutation(
                "lstm_cell_answer",
                "return self.num_proj or self.num_units",
                "return self.num_units",
            ),
        ],
    },
    "03_gru": {
        "gru_cell_test": [
            Mutation(
                "gru_cell_answer",
                "x_rh = np.concatenate([inputs, r * h_prev], axis=1)  # reset before the product\n"
                "        c = self.activation(x_rh @ self.candidate_kernel + self.candidate_bias)",
                "D = inputs.shape[1]\n"
                "        W_cx, W_ch = self.candidate_kernel[:D], self.candidate_kernel[D:]\n"
                "        b_c = self.candidate_bias\n"
                "        c = self.activation(inputs @ W_cx + r * (h_prev @ W_ch) + b_c)",
                "the reset gate is applied after the matrix product",
            ),
            Mutation(
                "gru_cell_answer",
                "r, u = np.split(",
                "u, r = np.split(",
                "r and u are swapped",
            ),
            Mutation(
                "gru_cell_answer",
                "new_h = u * h_prev + (1 - u) * c",
                "new_h = (1 - u) * h_prev + u * c",
                "the update gate mixes the other way round",
            ),
            Mutation(
                "gru_cell_answer",
                "[inputs, r * h_prev]",
                "[inputs, h_prev]",
                "the reset gate is not used",
            ),
            Mutation(
                "gru_cell_answer",
                "c = self.activation(x_rh",
                "c = sigmoid(x_rh",
                "the candidate uses a sigmoid",
            ),
        ],
        "count_params_test": [
            Mutation(
                "count_params_answer",
                "* num_units + num_units)",
                "* num_units)",
                "the biases are not counted",
            ),
            Mutation(
                "count_params_answer",
                "(input_depth + num_units) * num_units",
                "input_depth * num_units",
                "the recurrent rows are not counted",
            ),
            Mutation(
                "count_params_answer",
                '"GRUCell": 3',
                '"GRUCell": 2',
                "the GRU's candidate is not counted",
            ),
            Mutation(
                "count_params_answer",
                '"BasicLSTMCell": 4',
                '"BasicLSTMCell": 3',
                "the LSTM is counted with three blocks",
            ),
        ],
    },
    "04_stacking": {
        "multi_rnn_cell_test": [
            Mutation(
                "multi_rnn_cell_answer",
                "x, new_state = cell(x, layer_state)",
                "x, new_state = cell(inputs, layer_state)",
                "every layer reads the stack's inputs",
            ),
            Mutation(
                "multi_rnn_cell_answer",
                "return x, tuple(new_states)",
                "return x, tuple(layer_states)",
                "the old states are returned",
            ),
            Mutation(
                "multi_rnn_cell_answer",
                "zip(self.cells, layer_states, strict=True)",
                "zip(self.cells, layer_states[::-1], strict=True)",
                "the layers get each other's states",
            ),
            Mutation(
                "multi_rnn_cell_answer",
                "return sizes if self.state_is_tuple else sum(sizes)",
                "return sizes",
            ),
        ],
        "dropout_wrapper_test": [
            Mutation(
                "dropout_wrapper_answer",
                "return values * mask / keep_prob",
                "return values * mask",
                "the kept units are not scaled",
            ),
            Mutation(
                "dropout_wrapper_answer",
                "(noise < keep_prob)",
                "(noise >= keep_prob)",
                "a unit is kept when noise >= keep_prob",
            ),
            Mutation(
                "dropout_wrapper_answer",
                "LSTMStateTuple(state.c, self.drop(state.h, keep_prob))",
                "LSTMStateTuple(self.drop(state.c, keep_prob), self.drop(state.h, keep_prob))",
                "the memory c of an LSTMStateTuple is dropped too",
            ),
            Mutation(
                "dropout_wrapper_answer",
                "_keep_prob < 1.0:",
                "_keep_prob <= 1.0:",
                "noise is drawn even for a keep probability of 1.0",
                count=-1,
            ),
            Mutation(
                "dropout_wrapper_answer",
                "        if self.state_keep_prob < 1.0:\n"
                "            new_state = self.drop_state(new_state, self.state_keep_prob)\n"
                "        if self.output_keep_prob < 1.0:\n"
                "            output = self.drop(output, self.output_keep_prob)\n",
                "        if self.output_keep_prob < 1.0:\n"
                "            output = self.drop(output, self.output_keep_prob)\n"
                "        if self.state_keep_prob < 1.0:\n"
                "            new_state = self.drop_state(new_state, self.state_keep_prob)\n",
                "the output is dropped before the state",
            ),
        ],
        "input_wrappers_test": [
            Mutation(
                "input_wrappers_answer",
                "inputs @ self.projection_kernel + self.projection_bias",
                "inputs @ self.projection_kernel",
                "the projection's bias is left out",
            ),
            Mutation(
                "input_wrappers_answer",
                "self.embedding[ids]",
                "self.embedding[ids - 1]",
                "the ids are shifted by one",
            ),
            Mutation(
                "input_wrappers_answer",
                "self.embedding[ids]",
                "self.embedding.T[ids]",
                "the embedding is looked up by column",
            ),
            Mutation(
                "input_wrappers_answer",
                "return self.cells[0](projected, state)",
                "return self.cells[0](inputs, state)",
                "the cell gets the raw inputs",
            ),
        ],
        "output_wrappers_test": [
            Mutation(
                "output_wrappers_answer",
                "output @ self.projection_kernel + self.projection_bias, new_state",
                "output @ self.projection_kernel, new_state",
                "the projection's bias is left out",
            ),
            Mutation(
                "output_wrappers_answer",
                "return inputs + output, new_state",
                "return output, new_state",
                "the residual is missing",
            ),
            Mutation(
                "output_wrappers_answer",
                "return inputs + output, new_state",
                "return output, new_state + inputs",
                "the inputs are added to the cell's state",
            ),
            Mutation(
                "output_wrappers_answer",
                "return output @ self.projection_kernel",
                "return new_state @ self.projection_kernel",
                "the state is projected instead of the output",
            ),
        ],
    },
    "05_dynamic_rnn": {
        "dynamic_rnn_test": [
            Mutation(
                "dynamic_rnn_answer",
                "    inputs = np.asarray(inputs)\n",
                "    inputs = np.asarray(inputs)\n    time_major = False\n",
                "time_major is ignored",
            ),
            Mutation(
                "dynamic_rnn_answer",
                "outputs = outputs.transpose(1, 0, 2)  # (T, B, H) -> (B, T, H)",
                "pass",
                "the outputs are returned time-major",
            ),
            Mutation(
                "dynamic_rnn_answer",
                "if initial_state is not None:",
                "if False:",
                "initial_state is ignored",
            ),
            Mutation(
                "dynamic_rnn_answer",
                "output, new_state = cell(inputs[t], state)",
                "output, new_state = cell(inputs[t], initial_state)",
                "every step starts from the initial state",
            ),
        ],
        "dynamic_rnn_masking_test": [
            Mutation(
                "dynamic_rnn_answer",
                "output = np.where(live, output, 0)",
                "output = output",
                "the outputs past a row's sequence_length are not zeroed",
            ),
            Mutation(
                "dynamic_rnn_answer",
                "np.where(live, new, old)",
                "np.where(live, new, 0)",
                "the state is zeroed past a row's sequence_length",
            ),
            Mutation(
                "dynamic_rnn_answer",
                "live = (t < lengths)",
                "live = (t <= lengths)",
                "the mask is off by one",
            ),
            Mutation(
                "dynamic_rnn_answer",
                "new_state = map_state(",
                "_ = map_state(",
                "the state keeps changing past a row's sequence_length",
            ),
        ],
        "static_rnn_test": [
            Mutation(
                "static_rnn_answer",
                "time_major=True)",
                "time_major=False)",
                "the stacked steps are read batch-major",
            ),
            Mutation(
                "static_rnn_answer",
                "sequence_length=sequence_length,",
                "sequence_length=None,",
                "sequence_length is not passed on",
            ),
            Mutation(
                "static_rnn_answer",
                "initial_state=initial_state,",
                "initial_state=None,",
                "initial_state is not passed on",
            ),
            Mutation("static_rnn_answer", "return list(outputs), state", "return outputs, state"),
        ],
        "bidirectional_test": [
            Mutation(
                "bidirectional_answer",
                "    if sequence_length is None:\n        return np.flip",
                "    if True:\n        return np.flip",
                "the whole padded sequence is reversed",
            ),
            Mutation(
                "bidirectional_answer",
                "out_bw = reverse_sequence(out_bw, sequence_length, time_axis)",
                "out_bw = out_bw",
                "the backward outputs are left reversed",
            ),
            Mutation(
                "bidirectional_answer",
                "return (out_fw, out_bw), (state_fw, state_bw)",
                "return (out_fw, out_bw), (state_bw, state_fw)",
                "the final states are swapped",
            ),
            Mutation(
                "bidirectional_answer",
                "out[b, :n] = x[b, :n][::-1]",
                "out[b, :n] = x[b, :n]",
            ),
        ],
    },
    "06_batching": {
        "split_batches_test": [
            Mutation(
                "split_batches_answer",
                "    return kept.transpose(1, 0, 2)  # (B, n, S) -> (n, B, S)",
                "    n, B, S = num_batches, batch_size, num_steps\n"
                "    return data[: n * B * S].reshape(n, B, S)",
                "each batch is the next batch_size * num_steps consecutive elements",
            ),
            Mutation(
                "split_batches_answer",
                ".reshape(batch_size, batch_len)  # B contiguous rows",
                ".reshape(batch_len, batch_size).T",
                "the rows are interleaved",
            ),
            Mutation(
                "split_batches_answer",
                "return kept.transpose(1, 0, 2)",
                "return kept",
                "the axes are [batch_size, num_batches, num_steps]",
            ),
            Mutation(
                "split_batches_answer",
                "    rows = data[: batch_size * batch_len].reshape(batch_size, batch_len)  # B "
                "contiguous rows\n    num_batches = batch_len // num_steps\n",
                "    num_batches = batch_len // num_steps\n"
                "    rows = data[: batch_size * num_batches * num_steps].reshape(batch_size, -1)\n",
                "the leftover elements are dropped before the rows are made",
            ),
        ],
        "input_target_batches_test": [
            Mutation(
                "input_target_batches_answer",
                "y = rows[:, k * num_steps + 1 : (k + 1) * num_steps + 1]",
                "y = x",
                "the targets are the inputs themselves",
            ),
            Mutation(
                "input_target_batches_answer",
                "pairs.append((x, y))",
                "pairs.append((y, x))",
                "x and y are swapped",
            ),
            Mutation(
                "input_target_batches_answer",
                "num_batches = (batch_len - 1) // num_steps",
                "num_batches = batch_len // num_steps",
            ),
        ],
        "run_batches_test": [
            Mutation(
                "run_batches_answer",
                "    for x in batches:  # x: [B, S, D]\n",
                "    for x in batches:  # x: [B, S, D]\n"
                "        state = cell.zero_state(batches.shape[1], batches.dtype)\n",
                "the state is reset to zeros at every batch",
            ),
            Mutation(
                "run_batches_answer",
                "output, state = cell(x[:, t], state)",
                "output, state = cell(x[:, t], state)\n            state = output",
                "the output is carried instead of the state",
            ),
            Mutation(
                "run_batches_answer",
                "output, state = cell(x[:, t], state)",
                "output, new_state = cell(x[:, t], state)",
            ),
        ],
    },
    "08_backprop": {
        "rnn_step_backward_test": [
            Mutation(
                "rnn_step_backward_answer",
                "d_z = d_new_h * (1 - new_h**2)",
                "d_z = d_new_h",
                "the gradient skips the activation",
            ),
            Mutation(
                "rnn_step_backward_answer",
                "d_bias = d_z.sum(axis=0)",
                "d_bias = d_z.mean(axis=0)",
                "d_bias is averaged over the batch",
            ),
            Mutation(
                "rnn_step_backward_answer",
                "return d_xh[:, :D], d_xh[:, D:]",
                "return d_xh[:, D:], d_xh[:, :D]",
                "d_x and d_h_prev are swapped",
            ),
            Mutation(
                "rnn_step_backward_answer",
                "new_h = np.tanh(xh @ kernel + bias)  # the forward step, again\n"
                "    d_z = d_new_h * (1 - new_h**2)",
                "z = xh @ kernel + bias\n    d_z = d_new_h * (1 - z**2)",
                "tanh' is computed from the pre-activation z",
            ),
        ],
        "numerical_gradient_test": [
            Mutation(
                "numerical_gradient_answer",
                "        x[index] = old - eps\n        down = f(x)\n        x[index] = old\n"
                "        gradient[index] = (up - down) / (2 * eps)",
                "        x[index] = old\n        down = f(x)\n"
                "        gradient[index] = (up - down) / eps",
                "the difference is one-sided",
            ),
            Mutation(
                "numerical_gradient_answer",
                "/ (2 * eps)",
                "/ eps",
                "the central difference is divided by eps",
            ),
            Mutation(
                "numerical_gradient_answer",
                "        x[index] = old\n        gradient",
                "        gradient",
                "x is not restored after each coordinate",
            ),
        ],
        "rnn_bptt_test": [
            Mutation(
                "rnn_bptt_answer",
                "d_h = d_outputs[:, t] + d_h_next",
                "d_h = d_outputs[:, t]",
                "the gradient from later steps is not carried back",
            ),
            Mutation(
                "rnn_bptt_answer",
                "        d_kernel += d_k\n        d_bias += d_b",
                "        d_kernel, d_bias = d_k, d_b",
                "the weight gradients are not summed over time",
            ),
            Mutation(
                "rnn_bptt_answer",
                "for t in reversed(range(steps)):",
                "for t in range(steps):",
                "the backward loop runs forwards in time",
            ),
            Mutation(
                "rnn_bptt_answer",
                "return d_x, d_h_next, d_kernel, d_bias",
                "return d_x, d_h, d_kernel, d_bias",
                "the gradient returned for h0 is the one for h1",
            ),
        ],
        "lstm_step_backward_test": [
            Mutation(
                "lstm_step_backward_answer",
                "d_c = d_new_c + d_new_h * s_o * (1 - t_c**2)",
                "d_c = d_new_c",
                "the path from new_h back to new_c is missing",
            ),
            Mutation(
                "lstm_step_backward_answer",
                "(1 - t_c**2)",
                "(1 - new_c**2)",
                "tanh' is taken as 1 - new_c^2",
            ),
            Mutation(
                "lstm_step_backward_answer",
                "d_c_prev = d_c * s_f",
                "d_c_prev = d_c",
                "d_c_prev misses the forget gate",
            ),
            Mutation(
                "lstm_step_backward_answer",
                "[d_i, d_j, d_f, d_o]",
                "[d_i, d_f, d_j, d_o]",
                "the gate gradients are joined in the order i, f, j, o",
            ),
        ],
    },
    "07_tensorflow": {
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
                "return tf.transpose(outputs.stack(), [1, 0, 2]), state",
                "return outputs.stack(), state",
                "the outputs are returned time-major",
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
    },
    "09_char_rnn": {
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
            ),
        ],
    },
}


def _check_call(cell_source: str) -> tuple[str, str]:
    """``check.<name>(<answer>)`` -> (name, answer expression), from a graded cell."""
    first = cell_source.strip().splitlines()[0]
    match = re.fullmatch(r"check\.(\w+)\((.+)\)", first.strip())
    assert match, f"a graded cell should be one line `check.<name>(<answer>)`: {first!r}"
    return match.group(1), match.group(2)


def _graded(assignment: str, base=SOLUTIONS) -> list[tuple]:
    """(notebook, graded cell's grade_id, check name, answer expression) for an assignment."""
    found = []
    for path in notebooks(base, assignment):
        nb = nbformat.read(str(path), as_version=4)
        for cell in graded_cells(nb):
            name, answer = _check_call(cell.source)
            found.append((nb, nbgrader_meta(cell)["grade_id"], name, answer))
    return found


def _run(namespace: dict, name: str, answer: str) -> None:
    check = getattr(namespace["check"], name)
    value = eval(answer, namespace)
    for seed in SEEDS:
        check(value, seed=seed)
        check(value, hidden=True, seed=seed)


def _cases() -> list:
    params = []
    for assignment, by_cell in MUTATIONS.items():
        for grade_id, mutations in by_cell.items():
            for index, mutation in enumerate(mutations):
                label = f"{grade_id}-{index}"
                params.append(pytest.param(assignment, grade_id, mutation, id=label))
    return params


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_enough_mutations(assignment):
    by_cell = MUTATIONS.get(assignment, {})
    for _, grade_id, _, _ in _graded(assignment):
        mutations = by_cell.get(grade_id, [])
        assert len(mutations) >= 3, f"{grade_id}: {len(mutations)} mutations"
        assert sum(m.names is not None for m in mutations) >= 2, grade_id


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a mutant may overflow on purpose
@pytest.mark.parametrize(("assignment", "grade_id", "mutation"), _cases())
def test_mutation_fails_its_check(assignment, grade_id, mutation, capsys):
    [(nb, _, name, answer)] = [g for g in _graded(assignment) if g[1] == grade_id]
    [cell] = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == mutation.answer]
    assert mutation.old in cell.source, f"the solution no longer contains {mutation.old!r}"
    cell.source = cell.source.replace(mutation.old, mutation.new, mutation.count)
    namespace = namespace_from(nb)
    with pytest.raises(AssertionError) as failure:
        _run(namespace, name, answer)
    if mutation.names:
        assert mutation.names in str(failure.value), str(failure.value)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_pass_in_process(assignment, capsys):
    for nb, _, name, answer in _graded(assignment):
        _run(namespace_from(nb), name, answer)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_stubs_fail_every_check(assignment, capsys):
    for nb, _, name, answer in _graded(assignment, base=COURSE):
        with pytest.raises(AssertionError, match="not written yet"):
            _run(namespace_from(nb), name, answer)
