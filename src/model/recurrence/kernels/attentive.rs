//! The one-layer decoder with attention under teacher forcing in one kernel launch forward and
//! one backward: each cube walks the target positions of `rows` batch rows (a weight read serves
//! them all, [`super::rows_per_cube`]); at each it attends with the previous state (additive, or dot against precomputed keys: Luong dot and general), adds the
//! context's gates to the true token's and steps the cell. Same equations as
//! [`run_attentive`](crate::model::recurrence::run_attentive)'s step-by-step version.
//!
//! Every tensor is contiguous; indices are computed by hand (see [`super::sequence`]).

use super::cell::{GRU, LSTM, gates, kept, step_backward, step_forward, tanh};
use super::transpose::{add_transposed_product, transpose_share};
use cubecl::prelude::*;

/// Forward. Inputs: `token_gates [batch, len, G h]`, `values`, `keys [batch, source, h]`,
/// `parameters` (the hidden-side weight `[h, G h]` and bias `[G h]`, the context weight
/// `[h, G h]`, then for additive attention the query weight `[h, h]` and the score vector
/// `[h]`; one element each otherwise), `initial` (the hidden state `[batch, h]`, then for LSTM
/// the memory), `padding_bias [batch, source]`. Writes to `out` the features `[batch, len, 2 h]`
/// (state, context), the attention weights `[batch, len, source]`, the step activations
/// `[batch, len, kept h]`, (additive) the queries `[batch, len, h]`, then for the backward pass
/// the hidden-side and context weights transposed `[G h, h]` and (additive) the query weight
/// transposed `[h, h]` ([`transpose_share`]), in that order. Cube `c` takes batch rows
/// `c rows ..` (fewer in the last cube).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn attentive_forward(
    token_gates: &Tensor<f32>,
    values: &Tensor<f32>,
    keys: &Tensor<f32>,
    parameters: &Tensor<f32>,
    initial: &Tensor<f32>,
    padding_bias: &Tensor<f32>,
    out: &mut Tensor<f32>,
    batch: u32,
    len: u32,
    source_len: u32,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
    #[comptime] additive: bool,
    #[comptime] source_capacity: usize,
    #[comptime] rows: usize,
) {
    let blocks = comptime![gates(kind)];
    let width = comptime![gates(kind) * hidden];
    let act_width = comptime![kept(kind) * hidden];
    let lstm = comptime![kind == LSTM];
    let span = comptime![rows * hidden];
    let first = CUBE_POS_X as usize * rows;
    let threads = CUBE_DIM_X as usize;
    let len = len as usize;
    let source_len = source_len as usize;
    let batch = batch as usize;
    let at = Offsets::new(batch, len, source_len, kind, hidden, additive);
    // per row `[rows, ...]`: the state (double-buffered), context, query and scores
    let mut state = Shared::<[f32]>::new_slice(comptime![2 * rows * hidden]);
    let mut context = Shared::<[f32]>::new_slice(comptime![rows * hidden]);
    let mut query = Shared::<[f32]>::new_slice(comptime![rows * hidden]);
    let mut scores = Shared::<[f32]>::new_slice(comptime![rows * source_capacity]);
    transpose_share(
        parameters,
        at.hidden_weight,
        out,
        at.hidden_weight_t,
        hidden,
        width,
    );
    transpose_share(
        parameters,
        at.context_weight,
        out,
        at.context_weight_t,
        hidden,
        width,
    );
    if additive {
        transpose_share(
            parameters,
            at.query_weight,
            out,
            at.query_weight_t,
            hidden,
            hidden,
        );
    }
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
        if additive {
            let mut unit = UNIT_POS_X as usize;
            while unit < hidden {
                let mut sums = Array::<f32>::new(rows);
                #[unroll]
                for r in 0..rows {
                    sums[r] = 0.0;
                }
                for k in 0..hidden {
                    let weight = parameters[at.query_weight + k * hidden + unit];
                    #[unroll]
                    for r in 0..rows {
                        sums[r] += state[current + r * hidden + k] * weight;
                    }
                }
                #[unroll]
                for r in 0..rows {
                    query[r * hidden + unit] = sums[r];
                    if first + r < batch {
                        let position = (first + r) * len + t;
                        out[at.queries + position * hidden + unit] = sums[r];
                    }
                }
                unit += threads;
            }
            sync_cube();
        }
        // a unit per (row, source position)
        let mut pair = UNIT_POS_X as usize;
        while pair < rows * source_len {
            let r = pair / source_len;
            let s = pair % source_len;
            if first + r < batch {
                let row = first + r;
                let key = (row * source_len + s) * hidden;
                let mut sum = 0.0f32;
                if additive {
                    for j in 0..hidden {
                        sum +=
                            parameters[at.score + j] * tanh(keys[key + j] + query[r * hidden + j]);
                    }
                } else {
                    for j in 0..hidden {
                        sum += keys[key + j] * state[current + r * hidden + j];
                    }
                }
                scores[r * source_capacity + s] = sum + padding_bias[row * source_len + s];
            }
            pair += threads;
        }
        sync_cube();
        // softmax over each row's source positions (every unit computes the same max and sum)
        let mut maxima = Array::<f32>::new(rows);
        let mut totals = Array::<f32>::new(rows);
        #[unroll]
        for r in 0..rows {
            let base = r * source_capacity;
            let mut max = scores[base];
            for s in 1..source_len {
                if scores[base + s] > max {
                    max = scores[base + s];
                }
            }
            let mut total = 0.0f32;
            for s in 0..source_len {
                total += (scores[base + s] - max).exp();
            }
            maxima[r] = max;
            totals[r] = total;
            if first + r < batch {
                let position = (first + r) * len + t;
                let mut s = UNIT_POS_X as usize;
                while s < source_len {
                    out[at.weights + position * source_len + s] =
                        (scores[base + s] - max).exp() / total;
                    s += threads;
                }
            }
        }
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    let row = first + r;
                    let position = row * len + t;
                    let mut sum = 0.0f32;
                    for s in 0..source_len {
                        sum += (scores[r * source_capacity + s] - maxima[r]).exp() / totals[r]
                            * values[(row * source_len + s) * hidden + unit];
                    }
                    context[r * hidden + unit] = sum;
                    out[position * 2 * hidden + hidden + unit] = sum;
                }
            }
            unit += threads;
        }
        sync_cube();
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            // every row's input-side (token + context) and hidden-side gates `[rows, G]`
            let mut input = Array::<f32>::new(comptime![rows * gates(kind)]);
            let mut recurrent = Array::<f32>::new(comptime![rows * gates(kind)]);
            #[unroll]
            for block in 0..blocks {
                let bias = parameters[at.hidden_bias + block * hidden + unit];
                #[unroll]
                for r in 0..rows {
                    input[r * blocks + block] = 0.0;
                    if first + r < batch {
                        let position = (first + r) * len + t;
                        input[r * blocks + block] =
                            token_gates[position * width + block * hidden + unit];
                    }
                    recurrent[r * blocks + block] = bias;
                }
            }
            for k in 0..hidden {
                #[unroll]
                for block in 0..blocks {
                    let weight_at = k * width + block * hidden + unit;
                    let context_weight = parameters[at.context_weight + weight_at];
                    let hidden_weight = parameters[at.hidden_weight + weight_at];
                    #[unroll]
                    for r in 0..rows {
                        input[r * blocks + block] += context[r * hidden + k] * context_weight;
                        recurrent[r * blocks + block] +=
                            state[current + r * hidden + k] * hidden_weight;
                    }
                }
            }
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    let row = first + r;
                    let position = row * len + t;
                    let mut row_input = Array::<f32>::new(blocks);
                    let mut row_recurrent = Array::<f32>::new(blocks);
                    #[unroll]
                    for block in 0..blocks {
                        row_input[block] = input[r * blocks + block];
                        row_recurrent[block] = recurrent[r * blocks + block];
                    }
                    let mut previous_memory = 0.0f32;
                    if lstm {
                        if t == 0 {
                            previous_memory = initial[at.initial_memory + row * hidden + unit];
                        } else {
                            previous_memory = out
                                [at.activations + (position - 1) * act_width + 5 * hidden + unit];
                        }
                    }
                    let new_hidden = step_forward(
                        &row_input,
                        &row_recurrent,
                        state[current + r * hidden + unit],
                        previous_memory,
                        out,
                        at.activations + position * act_width,
                        unit,
                        kind,
                        hidden,
                    );
                    out[position * 2 * hidden + unit] = new_hidden;
                    state[next + r * hidden + unit] = new_hidden;
                }
            }
            unit += threads;
        }
        sync_cube();
    }
}

/// Backward: from `grad` (shaped like the features) and what the forward pass wrote (`saved`,
/// with the weights transposed), writes to `out` the gradients of the token gates and of the
/// hidden-side gates `[batch, len, G h]`, of the contexts and (additive) the queries `[batch,
/// len, h]`, of the keys `[batch, source, h]`, of the score vector per batch row `[batch, h]`
/// (summed over rows by the caller) and of the initial hidden state and memory `[batch, h]`
/// (these two also carry the running state gradient during the walk), in that order. Rows per
/// cube as in [`attentive_forward`].
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn attentive_backward(
    grad: &Tensor<f32>,
    saved: &Tensor<f32>,
    values: &Tensor<f32>,
    keys: &Tensor<f32>,
    parameters: &Tensor<f32>,
    initial: &Tensor<f32>,
    out: &mut Tensor<f32>,
    batch: u32,
    len: u32,
    source_len: u32,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
    #[comptime] additive: bool,
    #[comptime] source_capacity: usize,
    #[comptime] rows: usize,
) {
    let blocks = comptime![gates(kind)];
    let width = comptime![gates(kind) * hidden];
    let act_width = comptime![kept(kind) * hidden];
    let lstm = comptime![kind == LSTM];
    let gru = comptime![kind == GRU];
    let first = CUBE_POS_X as usize * rows;
    let threads = CUBE_DIM_X as usize;
    let len = len as usize;
    let source_len = source_len as usize;
    let batch = batch as usize;
    let at = Offsets::new(batch, len, source_len, kind, hidden, additive);
    let grads = GradOffsets::new(batch, len, source_len, kind, hidden);
    // per row `[rows, ...]`: the token gates' gradients, the context's, the query's, the scores'
    let mut gate_grads = Shared::<[f32]>::new_slice(comptime![rows * gates(kind) * hidden]);
    let mut d_context = Shared::<[f32]>::new_slice(comptime![rows * hidden]);
    let mut d_query = Shared::<[f32]>::new_slice(comptime![rows * hidden]);
    let mut d_scores = Shared::<[f32]>::new_slice(comptime![rows * source_capacity]);
    let mut unit = UNIT_POS_X as usize;
    while unit < hidden {
        #[unroll]
        for r in 0..rows {
            if first + r < batch {
                let row = first + r;
                out[grads.initial_hidden + row * hidden + unit] = 0.0;
                out[grads.initial_memory + row * hidden + unit] = 0.0;
                out[grads.score + row * hidden + unit] = 0.0;
                for s in 0..source_len {
                    out[grads.keys + (row * source_len + s) * hidden + unit] = 0.0;
                }
            }
        }
        unit += threads;
    }
    for step in 0..len {
        let t = len - 1 - step;
        // the cell
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    let row = first + r;
                    let position = row * len + t;
                    let d_h = grad[position * 2 * hidden + unit]
                        + out[grads.initial_hidden + row * hidden + unit];
                    let d_c = out[grads.initial_memory + row * hidden + unit];
                    let previous_hidden = if t == 0 {
                        initial[row * hidden + unit]
                    } else {
                        saved[(position - 1) * 2 * hidden + unit]
                    };
                    let mut previous_memory = 0.0f32;
                    if lstm {
                        if t == 0 {
                            previous_memory = initial[at.initial_memory + row * hidden + unit];
                        } else {
                            previous_memory = saved
                                [at.activations + (position - 1) * act_width + 5 * hidden + unit];
                        }
                    }
                    let mut input = Array::<f32>::new(blocks);
                    let mut recurrent = Array::<f32>::new(blocks);
                    let mut previous = Array::<f32>::new(2usize);
                    step_backward(
                        saved,
                        at.activations + position * act_width,
                        unit,
                        previous_hidden,
                        previous_memory,
                        d_h,
                        d_c,
                        &mut input,
                        &mut recurrent,
                        &mut previous,
                        kind,
                        hidden,
                    );
                    #[unroll]
                    for block in 0..blocks {
                        let gate_at = position * width + block * hidden + unit;
                        out[gate_at] = input[block];
                        out[grads.hidden_gates + gate_at] = recurrent[block];
                        gate_grads[r * width + block * hidden + unit] = input[block];
                    }
                    out[grads.initial_hidden + row * hidden + unit] = previous[0];
                    out[grads.initial_memory + row * hidden + unit] = previous[1];
                }
            }
            unit += threads;
        }
        sync_cube();
        // input = token gates + context @ C (C read transposed: units side by side; one read
        // serves every row)
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            let mut sums = Array::<f32>::new(rows);
            #[unroll]
            for r in 0..rows {
                sums[r] = 0.0;
                if first + r < batch {
                    let position = (first + r) * len + t;
                    sums[r] = grad[position * 2 * hidden + hidden + unit];
                }
            }
            add_transposed_product(
                &mut sums,
                &gate_grads,
                saved,
                at.context_weight_t,
                unit,
                width,
                width,
                hidden,
                rows,
            );
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    let position = (first + r) * len + t;
                    d_context[r * hidden + unit] = sums[r];
                    out[grads.contexts + position * hidden + unit] = sums[r];
                }
            }
            unit += threads;
        }
        sync_cube();
        // context = weights @ values: a unit per (row, source position)
        let mut pair = UNIT_POS_X as usize;
        while pair < rows * source_len {
            let r = pair / source_len;
            let s = pair % source_len;
            if first + r < batch {
                let row = first + r;
                let mut sum = 0.0f32;
                for k in 0..hidden {
                    sum += d_context[r * hidden + k] * values[(row * source_len + s) * hidden + k];
                }
                d_scores[r * source_capacity + s] = sum;
            }
            pair += threads;
        }
        sync_cube();
        // softmax: d_scores = w * (d_w - sum(w * d_w))
        let mut weighted = Array::<f32>::new(rows);
        #[unroll]
        for r in 0..rows {
            weighted[r] = 0.0;
            if first + r < batch {
                let position = (first + r) * len + t;
                for s in 0..source_len {
                    weighted[r] += saved[at.weights + position * source_len + s]
                        * d_scores[r * source_capacity + s];
                }
            }
        }
        sync_cube();
        #[unroll]
        for r in 0..rows {
            if first + r < batch {
                let position = (first + r) * len + t;
                let mut s = UNIT_POS_X as usize;
                while s < source_len {
                    let at_score = r * source_capacity + s;
                    d_scores[at_score] = saved[at.weights + position * source_len + s]
                        * (d_scores[at_score] - weighted[r]);
                    s += threads;
                }
            }
        }
        sync_cube();
        // the scores
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    let row = first + r;
                    let position = row * len + t;
                    if gru {
                        // the candidate block's hidden side is scaled by the reset gate (for the
                        // hidden product below; the context product above has read the block)
                        gate_grads[r * width + 2 * hidden + unit] *=
                            saved[at.activations + position * act_width + unit];
                    }
                    if additive {
                        // scores = tanh(keys + q) @ v
                        let q = saved[at.queries + position * hidden + unit];
                        let v = parameters[at.score + unit];
                        let mut sum_query = 0.0f32;
                        let mut sum_score = 0.0f32;
                        for s in 0..source_len {
                            let key = (row * source_len + s) * hidden + unit;
                            let d_score = d_scores[r * source_capacity + s];
                            let energy = tanh(keys[key] + q);
                            let d_pre = (1.0 - energy * energy) * d_score * v;
                            sum_score += energy * d_score;
                            sum_query += d_pre;
                            out[grads.keys + key] += d_pre;
                        }
                        d_query[r * hidden + unit] = sum_query;
                        out[grads.queries + position * hidden + unit] = sum_query;
                        out[grads.score + row * hidden + unit] += sum_score;
                    } else {
                        // scores = keys @ s
                        let previous_hidden = if t == 0 {
                            initial[row * hidden + unit]
                        } else {
                            saved[(position - 1) * 2 * hidden + unit]
                        };
                        let mut sum = 0.0f32;
                        for s in 0..source_len {
                            let key = (row * source_len + s) * hidden + unit;
                            let d_score = d_scores[r * source_capacity + s];
                            out[grads.keys + key] += d_score * previous_hidden;
                            sum += d_score * keys[key];
                        }
                        out[grads.initial_hidden + row * hidden + unit] += sum;
                    }
                }
            }
            unit += threads;
        }
        sync_cube();
        // through the hidden product and the query product (read transposed)
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
                at.hidden_weight_t,
                unit,
                width,
                width,
                hidden,
                rows,
            );
            if additive {
                add_transposed_product(
                    &mut sums,
                    &d_query,
                    saved,
                    at.query_weight_t,
                    unit,
                    hidden,
                    hidden,
                    hidden,
                    rows,
                );
            }
            #[unroll]
            for r in 0..rows {
                if first + r < batch {
                    out[grads.initial_hidden + (first + r) * hidden + unit] += sums[r];
                }
            }
            unit += threads;
        }
        sync_cube();
    }
}

/// Where each part of the forward pass's `out` and of the packed `parameters` and `initial`
/// starts.
#[derive(CubeType, Clone, Copy)]
pub struct Offsets {
    weights: usize,
    activations: usize,
    queries: usize,
    hidden_weight: usize,
    hidden_bias: usize,
    context_weight: usize,
    query_weight: usize,
    score: usize,
    hidden_weight_t: usize,
    context_weight_t: usize,
    query_weight_t: usize,
    initial_memory: usize,
}

#[cube]
impl Offsets {
    /// The offsets for these sizes.
    pub fn new(
        batch: usize,
        len: usize,
        source_len: usize,
        #[comptime] kind: u32,
        #[comptime] hidden: usize,
        #[comptime] additive: bool,
    ) -> Offsets {
        let width = comptime![gates(kind) * hidden];
        let act_width = comptime![kept(kind) * hidden];
        let query_size = comptime![if additive { hidden * hidden } else { 1 }];
        let positions = batch * len;
        let weights = positions * 2 * hidden;
        let activations = weights + positions * source_len;
        let queries = activations + positions * act_width;
        let context_weight = hidden * width + width;
        let query_weight = context_weight + hidden * width;
        let hidden_weight_t = queries + positions * hidden;
        let context_weight_t = hidden_weight_t + hidden * width;
        Offsets {
            weights,
            activations,
            queries,
            hidden_weight: 0,
            hidden_bias: hidden * width,
            context_weight,
            query_weight,
            score: query_weight + query_size,
            hidden_weight_t,
            context_weight_t,
            query_weight_t: context_weight_t + hidden * width,
            initial_memory: batch * hidden,
        }
    }
}

/// Where each gradient starts in the backward pass's `out`.
#[derive(CubeType, Clone, Copy)]
pub struct GradOffsets {
    hidden_gates: usize,
    contexts: usize,
    queries: usize,
    keys: usize,
    score: usize,
    initial_hidden: usize,
    initial_memory: usize,
}

#[cube]
impl GradOffsets {
    /// The offsets for these sizes.
    pub fn new(
        batch: usize,
        len: usize,
        source_len: usize,
        #[comptime] kind: u32,
        #[comptime] hidden: usize,
    ) -> GradOffsets {
        let width = comptime![gates(kind) * hidden];
        let positions = batch * len;
        let hidden_gates = positions * width;
        let contexts = 2 * positions * width;
        let queries = contexts + positions * hidden;
        let keys = queries + positions * hidden;
        let score = keys + batch * source_len * hidden;
        let initial_hidden = score + batch * hidden;
        GradOffsets {
            hidden_gates,
            contexts,
            queries,
            keys,
            score,
            initial_hidden,
            initial_memory: initial_hidden + batch * hidden,
        }
    }
}
