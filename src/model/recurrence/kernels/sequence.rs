//! A recurrent layer over a whole sequence in one kernel launch forward and one backward: each
//! cube walks the positions of `rows` batch rows in order (their hidden states in shared memory),
//! each unit of the cube owning some hidden units of every row, so a weight read serves all the
//! cube's rows ([`super::rows_per_cube`]). Same equations as
//! [`run_sequence`](crate::model::recurrence::run_sequence)'s step-by-step version.
//!
//! Every tensor is contiguous; indices are computed by hand: `[batch, len, width]` element
//! `(b, t, i)` is at `(b * len + t) * width + i`.

use super::cell::{LSTM, gates, kept, step_backward, step_forward};
use super::transpose::{add_transposed_product, transpose_share};
use cubecl::prelude::*;

/// Forward: `input_gates [batch, len, G h]`, `parameters` (the weight `[h, G h]` then the bias
/// `[G h]`), `initial` (the hidden state `[batch, h]`, then for LSTM the memory), `keep
/// [batch, len]` (1 real, 0 PAD: the state is carried). Writes to `out` the output `[batch,
/// len, h]` (LSTM `[batch, len, 2 h]`: hidden then memory), the step activations `[batch, len,
/// kept h]`, then the weight transposed `[G h, h]` for the backward pass
/// ([`transpose_share`]). Cube `c` takes batch rows `c rows ..` (fewer in the last cube).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn sequence_forward(
    input_gates: &Tensor<f32>,
    parameters: &Tensor<f32>,
    initial: &Tensor<f32>,
    keep: &Tensor<f32>,
    out: &mut Tensor<f32>,
    batch: u32,
    len: u32,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
    #[comptime] rows: usize,
) {
    let blocks = comptime![gates(kind)];
    let width = comptime![gates(kind) * hidden];
    let act_width = comptime![kept(kind) * hidden];
    let lstm = comptime![kind == LSTM];
    let out_width = comptime![if kind == LSTM { 2 * hidden } else { hidden }];
    let span = comptime![rows * hidden];
    let first = CUBE_POS_X as usize * rows;
    let threads = CUBE_DIM_X as usize;
    let len = len as usize;
    let batch = batch as usize;
    let bias_at = comptime![gates(kind) * hidden * hidden];
    let memory_at = batch * hidden;
    let activations_at = batch * len * out_width;
    let transposed_at = activations_at + batch * len * act_width;
    transpose_share(parameters, 0, out, transposed_at, hidden, width);
    // the rows' hidden states `[rows, h]`, double-buffered: read one half, write the other
    let mut state = Shared::<[f32]>::new_slice(comptime![2 * rows * hidden]);
    let mut unit = UNIT_POS_X as usize;
    while unit < hidden {
        #[unroll]
        for r in 0..rows {
            if first + r < batch {
                state[r * hidden + unit] = initial[(first + r) * hidden + unit];
            }
        }
        unit += threads;
    }
    sync_cube();
    for t in 0..len {
        let current = (t % 2) * span;
        let next = span - current;
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            // the hidden-side gate pre-activations of every row: `[rows, G]`
            let mut recurrent = Array::<f32>::new(comptime![rows * gates(kind)]);
            #[unroll]
            for block in 0..blocks {
                let bias = parameters[bias_at + block * hidden + unit];
                #[unroll]
                for r in 0..rows {
                    recurrent[r * blocks + block] = bias;
                }
            }
            for k in 0..hidden {
                #[unroll]
                for block in 0..blocks {
                    let weight = parameters[k * width + block * hidden + unit];
                    #[unroll]
                    for r in 0..rows {
                        recurrent[r * blocks + block] += state[current + r * hidden + k] * weight;
                    }
                }
            }
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    let row = first + r;
                    let position = row * len + t;
                    let keep_here = keep[position];
                    let mut input = Array::<f32>::new(blocks);
                    let mut row_recurrent = Array::<f32>::new(blocks);
                    #[unroll]
                    for block in 0..blocks {
                        input[block] = input_gates[position * width + block * hidden + unit];
                        row_recurrent[block] = recurrent[r * blocks + block];
                    }
                    let previous_hidden = state[current + r * hidden + unit];
                    let mut previous_memory = 0.0f32;
                    if lstm {
                        if t == 0 {
                            previous_memory = initial[memory_at + row * hidden + unit];
                        } else {
                            previous_memory = out[(position - 1) * out_width + hidden + unit];
                        }
                    }
                    let new_hidden = step_forward(
                        &input,
                        &row_recurrent,
                        previous_hidden,
                        previous_memory,
                        out,
                        activations_at + position * act_width,
                        unit,
                        kind,
                        hidden,
                    );
                    let kept_hidden = previous_hidden + (new_hidden - previous_hidden) * keep_here;
                    out[position * out_width + unit] = kept_hidden;
                    if lstm {
                        let memory = out[activations_at + position * act_width + 5 * hidden + unit];
                        out[position * out_width + hidden + unit] =
                            previous_memory + (memory - previous_memory) * keep_here;
                    }
                    state[next + r * hidden + unit] = kept_hidden;
                }
            }
            unit += threads;
        }
        sync_cube();
    }
}

/// Backward: from `grad` (shaped like the output) and what the forward pass wrote (`saved`, with
/// the weight transposed), writes to `out` the gradients of the input-side and of the
/// hidden-side gate pre-activations `[batch, len, G h]`, then of the initial hidden state and
/// memory `[batch, h]` (these two also carry the running state gradient during the walk). Rows
/// per cube as in [`sequence_forward`].
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn sequence_backward(
    grad: &Tensor<f32>,
    saved: &Tensor<f32>,
    initial: &Tensor<f32>,
    keep: &Tensor<f32>,
    out: &mut Tensor<f32>,
    batch: u32,
    len: u32,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
    #[comptime] rows: usize,
) {
    let blocks = comptime![gates(kind)];
    let width = comptime![gates(kind) * hidden];
    let act_width = comptime![kept(kind) * hidden];
    let lstm = comptime![kind == LSTM];
    let out_width = comptime![if kind == LSTM { 2 * hidden } else { hidden }];
    let first = CUBE_POS_X as usize * rows;
    let threads = CUBE_DIM_X as usize;
    let len = len as usize;
    let batch = batch as usize;
    let memory_at = batch * hidden;
    let activations_at = batch * len * out_width;
    let transposed_at = activations_at + batch * len * act_width;
    // where each gradient goes in `out`
    let hidden_gates_at = batch * len * width;
    let initial_hidden_at = 2 * batch * len * width;
    let initial_memory_at = initial_hidden_at + batch * hidden;
    // this position's hidden-side gate gradients of each row `[rows, G h]`, for the product with
    // the weight
    let mut gate_grads = Shared::<[f32]>::new_slice(comptime![rows * gates(kind) * hidden]);
    let mut unit = UNIT_POS_X as usize;
    while unit < hidden {
        #[unroll]
        for r in 0..rows {
            if first + r < batch {
                out[initial_hidden_at + (first + r) * hidden + unit] = 0.0;
                out[initial_memory_at + (first + r) * hidden + unit] = 0.0;
            }
        }
        unit += threads;
    }
    for step in 0..len {
        let t = len - 1 - step;
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    let row = first + r;
                    let position = row * len + t;
                    let keep_here = keep[position];
                    let d_h = grad[position * out_width + unit]
                        + out[initial_hidden_at + row * hidden + unit];
                    let mut d_c = 0.0f32;
                    let mut previous_memory = 0.0f32;
                    let previous_hidden = if t == 0 {
                        initial[row * hidden + unit]
                    } else {
                        saved[(position - 1) * out_width + unit]
                    };
                    if lstm {
                        d_c = grad[position * out_width + hidden + unit]
                            + out[initial_memory_at + row * hidden + unit];
                        if t == 0 {
                            previous_memory = initial[memory_at + row * hidden + unit];
                        } else {
                            previous_memory = saved[(position - 1) * out_width + hidden + unit];
                        }
                    }
                    // state = previous + (new - previous) * keep
                    let d_new_hidden = d_h * keep_here;
                    let d_new_memory = d_c * keep_here;
                    let mut input = Array::<f32>::new(blocks);
                    let mut recurrent = Array::<f32>::new(blocks);
                    let mut previous = Array::<f32>::new(2usize);
                    step_backward(
                        saved,
                        activations_at + position * act_width,
                        unit,
                        previous_hidden,
                        previous_memory,
                        d_new_hidden,
                        d_new_memory,
                        &mut input,
                        &mut recurrent,
                        &mut previous,
                        kind,
                        hidden,
                    );
                    #[unroll]
                    for block in 0..blocks {
                        let at = position * width + block * hidden + unit;
                        out[at] = input[block];
                        out[hidden_gates_at + at] = recurrent[block];
                        gate_grads[r * width + block * hidden + unit] = recurrent[block];
                    }
                    out[initial_hidden_at + row * hidden + unit] = d_h - d_new_hidden + previous[0];
                    out[initial_memory_at + row * hidden + unit] = d_c - d_new_memory + previous[1];
                }
            }
            unit += threads;
        }
        sync_cube();
        // through the hidden product: d_h += gate_grads @ weight^T (read transposed: units side
        // by side; one read serves every row)
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            let mut sums = Array::<f32>::new(rows);
            #[unroll]
            for r in 0..rows {
                sums[r] = 0.0;
            }
            add_transposed_product(
                &mut sums,
                &gate_grads,
                saved,
                transposed_at,
                unit,
                width,
                width,
                hidden,
                rows,
            );
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    out[initial_hidden_at + (first + r) * hidden + unit] += sums[r];
                }
            }
            unit += threads;
        }
        sync_cube();
    }
}
