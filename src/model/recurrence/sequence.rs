//! A recurrent layer over a whole sequence as one differentiable operation: the encoder's layers
//! (state carried unchanged over PAD) and the decoder without attention.

use super::cell_backward::step_backward;
use super::manual::{ManualOp, Plain, apply};
use super::positions;
use crate::model::cell::{CellKind, CellState, StepCache, gate_equations};
use burn::prelude::*;
use burn::tensor::module::linear;

/// The inputs of [`run_sequence`].
#[derive(Debug, Clone)]
pub struct SequenceInputs {
    /// Input-side gate pre-activations for every position `[batch, len, gates * hidden]`.
    pub input_gates: Tensor<3>,
    /// Hidden-to-gates weight `[hidden, gates * hidden]`.
    pub weight: Tensor<2>,
    /// Hidden-to-gates bias `[gates * hidden]`.
    pub bias: Tensor<1>,
    /// The state before the first position.
    pub initial: CellState,
    /// 1 where the position is real, 0 where it is PAD (the state is carried over)
    /// `[batch, len]`.
    pub keep: Tensor<2>,
}

/// The layer's outputs.
#[derive(Debug, Clone)]
pub struct SequenceOutput {
    /// Hidden state at every position `[batch, len, hidden]`.
    pub hidden: Tensor<3>,
    /// The state after the last position.
    pub last: CellState,
}

/// Runs the cell over the sequence: the same numbers as stepping
/// [`RecurrentCell::step`](crate::model::RecurrentCell::step) position by position, with one
/// hand-written backward step for the whole sequence.
pub fn run_sequence(kind: CellKind, inputs: SequenceInputs) -> SequenceOutput {
    let [batch, len, _] = inputs.input_gates.dims();
    let hidden_size = inputs.weight.dims()[0];
    let device = inputs.input_gates.device();
    // LSTM: the memory rides along as the second half of the output
    let memory = inputs
        .initial
        .memory
        .unwrap_or_else(|| Tensor::zeros([1, 1], &device));
    let op = SequenceOp { kind, hidden_size };
    let (output, _) = apply(
        op,
        [
            inputs.input_gates.into_dispatch(),
            inputs.weight.into_dispatch(),
            inputs.bias.into_dispatch(),
            inputs.initial.hidden.into_dispatch(),
            memory.into_dispatch(),
            inputs.keep.into_dispatch(),
        ],
    );
    let output = Tensor::<3>::from_dispatch(output);
    let last = |offset: usize| {
        output
            .clone()
            .slice([0..batch, len - 1..len, offset..offset + hidden_size])
            .reshape([batch, hidden_size])
    };
    let (hidden, last) = if kind == CellKind::Lstm {
        let last = CellState {
            hidden: last(0),
            memory: Some(last(hidden_size)),
        };
        (output.clone().narrow(2, 0, hidden_size), last)
    } else {
        let last = CellState {
            hidden: last(0),
            memory: None,
        };
        (output, last)
    };
    SequenceOutput { hidden, last }
}

/// The operation: inputs `[input_gates, weight, bias, initial hidden, initial memory, keep]`;
/// output `[batch, len, hidden]` (LSTM: `[batch, len, 2 * hidden]`, hidden then memory).
#[derive(Debug, Clone)]
struct SequenceOp {
    kind: CellKind,
    hidden_size: usize,
}

/// What the forward pass keeps: per position, the cell's cache, the previous hidden state, and
/// the keep column; and the weight.
#[derive(Debug, Clone)]
struct SequenceSaved {
    caches: Vec<StepCache>,
    /// The hidden state each position started from `[batch, len, hidden]`.
    previous: Tensor<3>,
    keep: Vec<Tensor<2>>,
    weight: Tensor<2>,
}

impl ManualOp<6> for SequenceOp {
    type Saved = SequenceSaved;

    fn forward(&self, inputs: [Plain; 6]) -> (Plain, SequenceSaved, Vec<Plain>) {
        let [input_gates, weight, bias, hidden, memory, keep] = inputs;
        let input_gates = input_gates.get::<3>();
        let len = input_gates.dims()[1];
        let (weight, bias) = (weight.get::<2>(), bias.get::<1>());
        let keep: Vec<Tensor<2>> = keep.get::<2>().chunk(len, 1);
        let lstm = self.kind == CellKind::Lstm;
        let mut state = CellState {
            hidden: hidden.get::<2>(),
            memory: lstm.then(|| memory.get::<2>()),
        };
        let initial = state.hidden.clone().unsqueeze_dim::<3>(1);
        let (mut caches, mut hiddens, mut memories) = (vec![], vec![], vec![]);
        for (position, gates) in positions(input_gates).into_iter().enumerate() {
            let from_hidden = linear(state.hidden.clone(), weight.clone(), Some(bias.clone()));
            let (next, cache) = gate_equations(
                self.kind,
                self.hidden_size,
                gates,
                from_hidden,
                state.clone(),
            );
            caches.push(cache);
            state = next.keep_where(state, &keep[position]);
            hiddens.push(state.hidden.clone());
            if let Some(memory) = &state.memory {
                memories.push(memory.clone());
            }
        }
        let hiddens = Tensor::stack::<3>(hiddens, 1);
        // the hidden state each position started from: the initial one, then each output but the last
        let previous = match len {
            1 => initial,
            _ => Tensor::cat(vec![initial, hiddens.clone().narrow(1, 0, len - 1)], 1),
        };
        let mut output = hiddens;
        if lstm {
            output = Tensor::cat(vec![output, Tensor::stack::<3>(memories, 1)], 2);
        }
        let saved = SequenceSaved {
            caches,
            previous,
            keep,
            weight,
        };
        (Plain::new(output), saved, vec![])
    }

    fn backward(&self, saved: SequenceSaved, grad: Plain, needed: [bool; 6]) -> [Option<Plain>; 6] {
        let grad = grad.get::<3>();
        let [batch, len, _] = grad.dims();
        let h = self.hidden_size;
        let lstm = self.kind == CellKind::Lstm;
        let weight_t = saved.weight.transpose();
        let mut d_hidden: Option<Tensor<2>> = None;
        let mut d_memory: Option<Tensor<2>> = None;
        let mut d_input_gates = Vec::with_capacity(len);
        let mut d_hidden_gates = Vec::with_capacity(len);
        let grads = positions(grad);
        let steps = saved.caches.into_iter().zip(saved.keep).zip(grads).rev();
        for ((cache, keep), grad) in steps {
            let (grad_hidden, grad_memory) = if lstm {
                (grad.clone().narrow(1, 0, h), Some(grad.narrow(1, h, h)))
            } else {
                (grad, None)
            };
            let d_h = add(Some(grad_hidden), d_hidden.take()).expect("a gradient");
            let d_c = add(grad_memory, d_memory.take());
            // state = previous + (new - previous) * keep
            let d_new_h = d_h.clone() * keep.clone();
            let carried_h = d_h - d_new_h.clone();
            let (d_new_c, carried_c) = match d_c {
                Some(d_c) => {
                    let d_new = d_c.clone() * keep;
                    (Some(d_new.clone()), Some(d_c - d_new))
                }
                None => (None, None),
            };
            let step = step_backward(cache, d_new_h, d_new_c);
            let through_product = step.hidden_gates.clone().matmul(weight_t.clone());
            d_hidden = add(Some(carried_h + through_product), step.previous_hidden);
            d_memory = add(carried_c, step.previous_memory);
            d_input_gates.push(step.input_gates);
            d_hidden_gates.push(step.hidden_gates);
        }
        d_input_gates.reverse();
        d_hidden_gates.reverse();
        let [input_gates, weight, bias, hidden, memory, _] = needed;
        let d_hidden_gates = Tensor::stack::<3>(d_hidden_gates, 1); // [batch, len, gates * h]
        let gates = d_hidden_gates.dims()[2];
        let d_hidden_gates = d_hidden_gates.reshape([batch * len, gates]);
        let previous = saved.previous.reshape([batch * len, h]);
        [
            input_gates.then(|| Plain::new(Tensor::stack::<3>(d_input_gates, 1))),
            weight.then(|| Plain::new(previous.transpose().matmul(d_hidden_gates.clone()))),
            bias.then(|| Plain::new(d_hidden_gates.sum_dim(0).reshape([gates]))),
            hidden.then(|| Plain::new(d_hidden.expect("a gradient"))),
            (memory && lstm).then(|| Plain::new(d_memory.expect("an LSTM memory gradient"))),
            None,
        ]
    }
}

/// The sum of two optional gradients.
pub(super) fn add(a: Option<Tensor<2>>, b: Option<Tensor<2>>) -> Option<Tensor<2>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    }
}
