//! The backward pass of one cell step, by hand (the forward pass is
//! [`gate_equations`](crate::model::cell::gate_equations)).

use super::side_by_side;
use crate::model::cell::StepCache;
use burn::prelude::*;

/// The gradients of one cell step.
#[derive(Debug, Clone)]
pub struct StepGrads {
    /// Of the input-side gate pre-activations `[batch, gates * hidden]`.
    pub input_gates: Tensor<2>,
    /// Of the hidden-side gate pre-activations (the hidden product plus its bias).
    pub hidden_gates: Tensor<2>,
    /// Of the previous hidden state, other than through the hidden product (GRU's `z * h`).
    pub previous_hidden: Option<Tensor<2>>,
    /// Of the previous memory (LSTM).
    pub previous_memory: Option<Tensor<2>>,
}

/// `x * (1 - x)`: the derivative of a sigmoid whose value is `x`.
fn sigmoid_slope(x: Tensor<2>) -> Tensor<2> {
    x.clone() * (x.neg() + 1.0)
}

/// `1 - x²`: the derivative of a tanh whose value is `x`.
fn tanh_slope(x: Tensor<2>) -> Tensor<2> {
    x.clone().neg() * x + 1.0
}

/// Backward through one step: `hidden` is the gradient of the new hidden state, `memory` that of
/// the new memory (LSTM; `None` means zero).
pub fn step_backward(cache: StepCache, hidden: Tensor<2>, memory: Option<Tensor<2>>) -> StepGrads {
    match cache {
        StepCache::Rnn { hidden: value } => {
            let gates = hidden * tanh_slope(value);
            StepGrads {
                input_gates: gates.clone(),
                hidden_gates: gates,
                previous_hidden: None,
                previous_memory: None,
            }
        }
        StepCache::Gru {
            reset,
            update,
            candidate,
            hidden_candidate,
            previous,
        } => {
            // h' = n + z (h - n),  n = tanh(x_n + r * h_n),  r, z = sigmoid(...)
            let d_candidate = hidden.clone() * (update.clone().neg() + 1.0);
            let d_update = hidden.clone() * (previous - candidate.clone());
            let previous_hidden = hidden * update.clone();
            let d_n = d_candidate * tanh_slope(candidate);
            let d_reset = d_n.clone() * hidden_candidate;
            let d_r = d_reset * sigmoid_slope(reset.clone());
            let d_z = d_update * sigmoid_slope(update);
            StepGrads {
                input_gates: side_by_side([d_r.clone(), d_z.clone(), d_n.clone()]),
                hidden_gates: side_by_side([d_r, d_z, d_n * reset]),
                previous_hidden: Some(previous_hidden),
                previous_memory: None,
            }
        }
        StepCache::Lstm {
            input,
            forget,
            candidate,
            output,
            previous_memory,
            memory_tanh,
        } => {
            // c' = f c + i g,  h' = o tanh(c')
            let d_output = hidden.clone() * memory_tanh.clone();
            let through_hidden = hidden * output.clone() * tanh_slope(memory_tanh);
            let d_memory = match memory {
                Some(memory) => memory + through_hidden,
                None => through_hidden,
            };
            let d_forget = d_memory.clone() * previous_memory;
            let d_input = d_memory.clone() * candidate.clone();
            let d_candidate = d_memory.clone() * input.clone();
            let previous_memory = d_memory * forget.clone();
            let gates = side_by_side([
                d_input * sigmoid_slope(input),
                d_forget * sigmoid_slope(forget),
                d_candidate * tanh_slope(candidate),
                d_output * sigmoid_slope(output),
            ]);
            StepGrads {
                input_gates: gates.clone(),
                hidden_gates: gates,
                previous_hidden: None,
                previous_memory: Some(previous_memory),
            }
        }
    }
}
