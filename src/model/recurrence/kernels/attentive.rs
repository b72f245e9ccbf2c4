//! The one-layer decoder with attention under teacher forcing in one kernel launch forward and
//! one backward: one cube per batch row walks the target positions; at each it attends with the
//! previous state (additive, or dot against precomputed keys: Luong dot and general), adds the
//! context's gates to the true token's and steps the cell. Same equations as
//! [`run_attentive`](crate::model::recurrence::run_attentive)'s step-by-step version.
//!
//! Every tensor is contiguous; indices are computed by hand (see [`super::sequence`]).

use super::cell::{GRU, LSTM, gates, kept, step_backward, step_forward, tanh};
use cubecl::prelude::*;

/// Forward. Inputs: `token_gates [batch, len, G h]`, `values`, `keys [batch, source, h]`,
/// `parameters` (the hidden-side weight `[h, G h]` and bias `[G h]`, the context weight
/// `[h, G h]`, then for additive attention the query weight `[h, h]` and the score vector
/// `[h]`; one element each otherwise), `initial` (the hidden state `[batch, h]`, then for LSTM
/// the memory), `padding_bias [batch, source]`. Writes to `out` the features `[batch, len, 2 h]`
/// (state, context), the attention weights `[batch, len, source]`, the step activations
/// `[batch, len, kept h]` and (additive) the queries `[batch, len, h]`, in that order.
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
    len: u32,
    source_len: u32,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
    #[comptime] additive: bool,
    #[comptime] source_capacity: usize,
) {
    let blocks = comptime![gates(kind)];
    let width = comptime![gates(kind) * hidden];
    let act_width = comptime![kept(kind) * hidden];
    let lstm = comptime![kind == LSTM];
    let row = CUBE_POS_X as usize;
    let threads = CUBE_DIM_X as usize;
    let len = len as usize;
    let source_len = source_len as usize;
    let batch = CUBE_COUNT_X as usize;
    let at = Offsets::new(batch, len, source_len, kind, hidden, additive);
    let mut state = Shared::<[f32]>::new_slice(comptime![2 * hidden]);
    let mut context = Shared::<[f32]>::new_slice(hidden);
    let mut query = Shared::<[f32]>::new_slice(hidden);
    let mut scores = Shared::<[f32]>::new_slice(source_capacity);
    let mut unit = UNIT_POS_X as usize;
    while unit < hidden {
        state[unit] = initial[row * hidden + unit];
        unit += threads;
    }
    sync_cube();
    for t in 0..len {
        let current = (t % 2) * hidden;
        let next = hidden - current;
        let position = row * len + t;
        if additive {
            let mut unit = UNIT_POS_X as usize;
            while unit < hidden {
                let mut sum = 0.0f32;
                for k in 0..hidden {
                    sum += state[current + k] * parameters[at.query_weight + k * hidden + unit];
                }
                query[unit] = sum;
                out[at.queries + position * hidden + unit] = sum;
                unit += threads;
            }
            sync_cube();
        }
        let mut s = UNIT_POS_X as usize;
        while s < source_len {
            let key = (row * source_len + s) * hidden;
            let mut sum = 0.0f32;
            if additive {
                for j in 0..hidden {
                    sum += parameters[at.score + j] * tanh(keys[key + j] + query[j]);
                }
            } else {
                for j in 0..hidden {
                    sum += keys[key + j] * state[current + j];
                }
            }
            scores[s] = sum + padding_bias[row * source_len + s];
            s += threads;
        }
        sync_cube();
        // softmax over the source positions (every unit computes the same max and sum)
        let mut max = scores[0];
        for s in 1..source_len {
            if scores[s] > max {
                max = scores[s];
            }
        }
        let mut total = 0.0f32;
        for s in 0..source_len {
            total += (scores[s] - max).exp();
        }
        let mut s = UNIT_POS_X as usize;
        while s < source_len {
            out[at.weights + position * source_len + s] = (scores[s] - max).exp() / total;
            s += threads;
        }
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            let mut sum = 0.0f32;
            for s in 0..source_len {
                sum += (scores[s] - max).exp() / total
                    * values[(row * source_len + s) * hidden + unit];
            }
            context[unit] = sum;
            out[position * 2 * hidden + hidden + unit] = sum;
            unit += threads;
        }
        sync_cube();
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            let mut input = Array::<f32>::new(blocks);
            let mut recurrent = Array::<f32>::new(blocks);
            #[unroll]
            for block in 0..blocks {
                input[block] = token_gates[position * width + block * hidden + unit];
                recurrent[block] = parameters[at.hidden_bias + block * hidden + unit];
            }
            for k in 0..hidden {
                let state_k = state[current + k];
                let context_k = context[k];
                #[unroll]
                for block in 0..blocks {
                    let weight_at = k * width + block * hidden + unit;
                    input[block] += context_k * parameters[at.context_weight + weight_at];
                    recurrent[block] += state_k * parameters[at.hidden_weight + weight_at];
                }
            }
            let mut previous_memory = 0.0f32;
            if lstm {
                if t == 0 {
                    previous_memory = initial[at.initial_memory + row * hidden + unit];
                } else {
                    previous_memory =
                        out[at.activations + (position - 1) * act_width + 5 * hidden + unit];
                }
            }
            let new_hidden = step_forward(
                &input,
                &recurrent,
                state[current + unit],
                previous_memory,
                out,
                at.activations + position * act_width,
                unit,
                kind,
                hidden,
            );
            out[position * 2 * hidden + unit] = new_hidden;
            state[next + unit] = new_hidden;
            unit += threads;
        }
        sync_cube();
    }
}

/// Backward: from `grad` (shaped like the features) and what the forward pass wrote (`saved`),
/// writes to `out` the gradients of the token gates and of the hidden-side gates `[batch, len,
/// G h]`, of the contexts and (additive) the queries `[batch, len, h]`, of the keys `[batch,
/// source, h]`, of the score vector per batch row `[batch, h]` (summed over rows by the caller)
/// and of the initial hidden state and memory `[batch, h]` (these two also carry the running
/// state gradient during the walk), in that order.
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
    len: u32,
    source_len: u32,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
    #[comptime] additive: bool,
    #[comptime] source_capacity: usize,
) {
    let blocks = comptime![gates(kind)];
    let width = comptime![gates(kind) * hidden];
    let act_width = comptime![kept(kind) * hidden];
    let lstm = comptime![kind == LSTM];
    let gru = comptime![kind == GRU];
    let row = CUBE_POS_X as usize;
    let threads = CUBE_DIM_X as usize;
    let len = len as usize;
    let source_len = source_len as usize;
    let batch = CUBE_COUNT_X as usize;
    let at = Offsets::new(batch, len, source_len, kind, hidden, additive);
    let grads = GradOffsets::new(batch, len, source_len, kind, hidden);
    let mut gate_grads = Shared::<[f32]>::new_slice(comptime![gates(kind) * hidden]);
    let mut d_context = Shared::<[f32]>::new_slice(hidden);
    let mut d_query = Shared::<[f32]>::new_slice(hidden);
    let mut d_scores = Shared::<[f32]>::new_slice(source_capacity);
    let mut unit = UNIT_POS_X as usize;
    while unit < hidden {
        out[grads.initial_hidden + row * hidden + unit] = 0.0;
        out[grads.initial_memory + row * hidden + unit] = 0.0;
        out[grads.score + row * hidden + unit] = 0.0;
        for s in 0..source_len {
            out[grads.keys + (row * source_len + s) * hidden + unit] = 0.0;
        }
        unit += threads;
    }
    for step in 0..len {
        let t = len - 1 - step;
        let position = row * len + t;
        // the cell
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
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
                    previous_memory =
                        saved[at.activations + (position - 1) * act_width + 5 * hidden + unit];
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
                gate_grads[block * hidden + unit] = input[block];
            }
            out[grads.initial_hidden + row * hidden + unit] = previous[0];
            out[grads.initial_memory + row * hidden + unit] = previous[1];
            unit += threads;
        }
        sync_cube();
        // input = token gates + context @ C
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            let mut sum = grad[position * 2 * hidden + hidden + unit];
            for g in 0..width {
                sum += gate_grads[g] * parameters[at.context_weight + unit * width + g];
            }
            d_context[unit] = sum;
            out[grads.contexts + position * hidden + unit] = sum;
            unit += threads;
        }
        sync_cube();
        // context = weights @ values
        let mut s = UNIT_POS_X as usize;
        while s < source_len {
            let mut sum = 0.0f32;
            for k in 0..hidden {
                sum += d_context[k] * values[(row * source_len + s) * hidden + k];
            }
            d_scores[s] = sum;
            s += threads;
        }
        sync_cube();
        // softmax: d_scores = w * (d_w - sum(w * d_w))
        let mut weighted = 0.0f32;
        for s in 0..source_len {
            weighted += saved[at.weights + position * source_len + s] * d_scores[s];
        }
        sync_cube();
        let mut s = UNIT_POS_X as usize;
        while s < source_len {
            d_scores[s] = saved[at.weights + position * source_len + s] * (d_scores[s] - weighted);
            s += threads;
        }
        sync_cube();
        // the scores
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            if additive {
                // scores = tanh(keys + q) @ v
                let q = saved[at.queries + position * hidden + unit];
                let v = parameters[at.score + unit];
                let mut sum_query = 0.0f32;
                let mut sum_score = 0.0f32;
                for s in 0..source_len {
                    let key = (row * source_len + s) * hidden + unit;
                    let energy = tanh(keys[key] + q);
                    let d_pre = (1.0 - energy * energy) * d_scores[s] * v;
                    sum_score += energy * d_scores[s];
                    sum_query += d_pre;
                    out[grads.keys + key] += d_pre;
                }
                d_query[unit] = sum_query;
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
                    out[grads.keys + key] += d_scores[s] * previous_hidden;
                    sum += d_scores[s] * keys[key];
                }
                out[grads.initial_hidden + row * hidden + unit] += sum;
            }
            unit += threads;
        }
        sync_cube();
        // through the hidden product (and the query product)
        let mut unit = UNIT_POS_X as usize;
        while unit < hidden {
            let mut sum = 0.0f32;
            for g in 0..width {
                let mut gate = gate_grads[g];
                if gru {
                    // the candidate block's hidden side is scaled by the reset gate
                    if g >= 2 * hidden {
                        gate *= saved[at.activations + position * act_width + g - 2 * hidden];
                    }
                }
                sum += gate * parameters[at.hidden_weight + unit * width + g];
            }
            if additive {
                for j in 0..hidden {
                    sum += d_query[j] * parameters[at.query_weight + unit * hidden + j];
                }
            }
            out[grads.initial_hidden + row * hidden + unit] += sum;
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
        Offsets {
            weights,
            activations,
            queries,
            hidden_weight: 0,
            hidden_bias: hidden * width,
            context_weight,
            query_weight,
            score: query_weight + query_size,
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
