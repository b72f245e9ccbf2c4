//! One cell step for one hidden unit, forward and backward, inside a kernel: the same equations
//! as [`gate_equations`](crate::model::cell::gate_equations) and
//! [`step_backward`](crate::model::recurrence::cell_backward::step_backward).
//!
//! What a step keeps (`activations`, per unit, block `a` at `base + a * hidden + unit`):
//! RNN `[tanh]`; GRU `[reset, update, candidate, hidden candidate]`; LSTM `[input, forget,
//! candidate, output, tanh(memory), memory]`.

use cubecl::prelude::*;

/// Elman RNN (one gate block).
pub const RNN: u32 = 0;
/// GRU (three gate blocks).
pub const GRU: u32 = 1;
/// LSTM (four gate blocks).
pub const LSTM: u32 = 2;

/// Gate blocks per cell kind.
pub const fn gates(kind: u32) -> usize {
    match kind {
        RNN => 1,
        GRU => 3,
        _ => 4,
    }
}

/// Blocks a step keeps per unit for the backward pass.
pub const fn kept(kind: u32) -> usize {
    match kind {
        RNN => 1,
        GRU => 4,
        _ => 6,
    }
}

/// `1 / (1 + e^-x)`.
#[cube]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `tanh` as `2 sigmoid(2x) - 1`, like [`crate::model::activation::tanh`] (never NaN for a
/// large input, unlike an `exp`-based `tanh` in some shader compilers).
#[cube]
pub fn tanh(x: f32) -> f32 {
    2.0 * sigmoid(2.0 * x) - 1.0
}

/// One step of unit `unit`: `input` and `recurrent` are its input-side and hidden-side gate
/// pre-activations (one per block); returns the new hidden value and writes what the backward
/// pass needs (LSTM: the new memory too) to `activations` at `base`.
#[cube]
#[allow(clippy::too_many_arguments, unused_assignments)]
pub fn step_forward(
    input: &Array<f32>,
    recurrent: &Array<f32>,
    previous_hidden: f32,
    previous_memory: f32,
    activations: &mut Tensor<f32>,
    base: usize,
    unit: usize,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
) -> f32 {
    let mut new_hidden = 0.0f32;
    if comptime![kind == RNN] {
        new_hidden = tanh(input[0] + recurrent[0]);
        activations[base + unit] = new_hidden;
    } else if comptime![kind == GRU] {
        let reset = sigmoid(input[0] + recurrent[0]);
        let update = sigmoid(input[1] + recurrent[1]);
        let candidate = tanh(input[2] + reset * recurrent[2]);
        new_hidden = candidate + update * (previous_hidden - candidate);
        activations[base + unit] = reset;
        activations[base + hidden + unit] = update;
        activations[base + 2 * hidden + unit] = candidate;
        activations[base + 3 * hidden + unit] = recurrent[2];
    } else {
        let input_gate = sigmoid(input[0] + recurrent[0]);
        let forget = sigmoid(input[1] + recurrent[1]);
        let candidate = tanh(input[2] + recurrent[2]);
        let output = sigmoid(input[3] + recurrent[3]);
        let memory = forget * previous_memory + input_gate * candidate;
        let memory_tanh = tanh(memory);
        new_hidden = output * memory_tanh;
        activations[base + unit] = input_gate;
        activations[base + hidden + unit] = forget;
        activations[base + 2 * hidden + unit] = candidate;
        activations[base + 3 * hidden + unit] = output;
        activations[base + 4 * hidden + unit] = memory_tanh;
        activations[base + 5 * hidden + unit] = memory;
    }
    new_hidden
}

/// Backward through one step of unit `unit`, from the gradients of its new hidden value and
/// (LSTM) new memory: writes the gradients of the input-side (`input`) and hidden-side
/// (`recurrent`) gate pre-activations, and in `previous` those of the previous hidden value
/// other than through the hidden product (GRU's `z * h`) and of the previous memory (LSTM).
#[cube]
#[allow(clippy::too_many_arguments)]
pub fn step_backward(
    activations: &Tensor<f32>,
    base: usize,
    unit: usize,
    previous_hidden: f32,
    previous_memory: f32,
    d_hidden: f32,
    d_memory: f32,
    input: &mut Array<f32>,
    recurrent: &mut Array<f32>,
    previous: &mut Array<f32>,
    #[comptime] kind: u32,
    #[comptime] hidden: usize,
) {
    if comptime![kind == RNN] {
        let value = activations[base + unit];
        let gate = d_hidden * (1.0 - value * value);
        input[0] = gate;
        recurrent[0] = gate;
        previous[0] = 0.0;
        previous[1] = 0.0;
    } else if comptime![kind == GRU] {
        let reset = activations[base + unit];
        let update = activations[base + hidden + unit];
        let candidate = activations[base + 2 * hidden + unit];
        let hidden_candidate = activations[base + 3 * hidden + unit];
        let d_candidate = d_hidden * (1.0 - update);
        let d_update = d_hidden * (previous_hidden - candidate);
        let d_n = d_candidate * (1.0 - candidate * candidate);
        let d_r = d_n * hidden_candidate * reset * (1.0 - reset);
        let d_z = d_update * update * (1.0 - update);
        input[0] = d_r;
        input[1] = d_z;
        input[2] = d_n;
        recurrent[0] = d_r;
        recurrent[1] = d_z;
        recurrent[2] = d_n * reset;
        previous[0] = d_hidden * update;
        previous[1] = 0.0;
    } else {
        let input_gate = activations[base + unit];
        let forget = activations[base + hidden + unit];
        let candidate = activations[base + 2 * hidden + unit];
        let output = activations[base + 3 * hidden + unit];
        let memory_tanh = activations[base + 4 * hidden + unit];
        let d_output = d_hidden * memory_tanh;
        let d_mem = d_memory + d_hidden * output * (1.0 - memory_tanh * memory_tanh);
        let d_forget = d_mem * previous_memory;
        let d_input = d_mem * candidate;
        let d_candidate = d_mem * input_gate;
        let gate_i = d_input * input_gate * (1.0 - input_gate);
        let gate_f = d_forget * forget * (1.0 - forget);
        let gate_g = d_candidate * (1.0 - candidate * candidate);
        let gate_o = d_output * output * (1.0 - output);
        input[0] = gate_i;
        input[1] = gate_f;
        input[2] = gate_g;
        input[3] = gate_o;
        recurrent[0] = gate_i;
        recurrent[1] = gate_f;
        recurrent[2] = gate_g;
        recurrent[3] = gate_o;
        previous[0] = 0.0;
        previous[1] = d_mem * forget;
    }
}
