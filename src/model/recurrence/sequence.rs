//! A recurrent layer over a whole sequence as one differentiable operation: the encoder's layers
//! (state carried unchanged over PAD) and the decoder without attention.

use super::cell_backward::step_backward;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
use super::kernels::{self, Gpu, Packed};
use super::manual::{ManualOp, Plain, apply, on_cube};
use super::{positions, previous_states};
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
use crate::model::Stretches;
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
    let (hidden, last) = if kind != CellKind::Lstm && on_cube(&output) {
        // the last state without a slice (see `LastPosition`)
        let (last, _) = apply(LastPosition, [output.clone().into_dispatch()]);
        let last = CellState {
            hidden: Tensor::<2>::from_dispatch(last),
            memory: None,
        };
        (output, last)
    } else if kind == CellKind::Lstm {
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

/// The last position of `[batch, len, width]`, `[batch, width]`, with its gradient written as
/// a concatenation (zeros, then the gradient) where a slice's is a zero tensor and a
/// slice-assign: burn's fusion settles that slice-assign, and the products after it in the
/// stream, unfused, which made two of them burn's tiled matmul each step (README, "The GPU
/// path"). Used on the GPU backend for a cell whose state is its output (RNN, GRU).
#[derive(Debug, Clone)]
struct LastPosition;

impl ManualOp<1> for LastPosition {
    type Saved = [usize; 3];

    fn forward(&self, [x]: [Plain; 1]) -> (Plain, [usize; 3], Vec<Plain>) {
        let x = x.get::<3>();
        let [batch, len, width] = x.dims();
        let last = x.narrow(1, len - 1, 1).reshape([batch, width]);
        (Plain::new(last), [batch, len, width], Vec::new())
    }

    fn backward(
        &self,
        [batch, len, width]: [usize; 3],
        grad: Plain,
        _: [bool; 1],
    ) -> [Option<Plain>; 1] {
        let grad = grad.get::<2>();
        let zeros = Tensor::<3>::zeros([batch, len - 1, width], &grad.device());
        [Some(Plain::new(Tensor::cat(
            vec![zeros, grad.reshape([batch, 1, width])],
            1,
        )))]
    }
}

/// The operation: inputs `[input_gates, weight, bias, initial hidden, initial memory, keep]`;
/// output `[batch, len, hidden]` (LSTM: `[batch, len, 2 * hidden]`, hidden then memory).
#[derive(Debug, Clone)]
struct SequenceOp {
    kind: CellKind,
    hidden_size: usize,
}

/// What the forward pass keeps.
// One per forward pass, moved once: no gain from boxing the larger variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum SequenceSaved {
    /// The step-by-step version's: per position, the cell's cache and the keep column; the
    /// hidden state each position started from `[batch, len, hidden]`; the weight.
    Steps {
        caches: Vec<StepCache>,
        previous: Tensor<3>,
        keep: Vec<Tensor<2>>,
        weight: Tensor<2>,
    },
    /// The GPU kernel's: `[its flat outputs (with the weight transposed), packed initial state,
    /// keep]`.
    #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
    Kernel([Plain; 3]),
}

impl ManualOp<6> for SequenceOp {
    type Saved = SequenceSaved;

    fn forward(&self, inputs: [Plain; 6]) -> (Plain, SequenceSaved, Vec<Plain>) {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if kernels::on_gpu(&inputs[0]) {
            return self.forward_on_gpu(inputs);
        }
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
        let state_at_start = state.hidden.clone();
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
        let previous = previous_states(state_at_start, hiddens.clone(), self.hidden_size);
        let mut output = hiddens;
        if lstm {
            output = Tensor::cat(vec![output, Tensor::stack::<3>(memories, 1)], 2);
        }
        let saved = SequenceSaved::Steps {
            caches,
            previous,
            keep,
            weight,
        };
        (Plain::new(output), saved, vec![])
    }

    fn backward(&self, saved: SequenceSaved, grad: Plain, needed: [bool; 6]) -> [Option<Plain>; 6] {
        let (caches, previous, keep, weight) = match saved {
            SequenceSaved::Steps {
                caches,
                previous,
                keep,
                weight,
            } => (caches, previous, keep, weight),
            #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
            SequenceSaved::Kernel(saved) => return self.backward_on_gpu(saved, grad, needed),
        };
        let grad = grad.get::<3>();
        let len = grad.dims()[1];
        let h = self.hidden_size;
        let lstm = self.kind == CellKind::Lstm;
        let weight_t = weight.transpose();
        let mut d_hidden: Option<Tensor<2>> = None;
        let mut d_memory: Option<Tensor<2>> = None;
        let mut d_input_gates = Vec::with_capacity(len);
        let mut d_hidden_gates = Vec::with_capacity(len);
        let grads = positions(grad);
        let steps = caches.into_iter().zip(keep).zip(grads).rev();
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
        SequenceGrads {
            input_gates: Tensor::stack::<3>(d_input_gates, 1),
            hidden_gates: Tensor::stack::<3>(d_hidden_gates, 1),
            previous,
            initial_hidden: d_hidden.expect("a gradient"),
            initial_memory: d_memory,
        }
        .into_inputs(needed, lstm)
    }
}

/// What both versions of the backward pass compute per position; the weight's gradients follow
/// from them in one product over all positions.
struct SequenceGrads {
    /// `[batch, len, gates * hidden]`.
    input_gates: Tensor<3>,
    /// `[batch, len, gates * hidden]`.
    hidden_gates: Tensor<3>,
    /// The hidden state each position started from `[batch, len, hidden]`.
    previous: Tensor<3>,
    initial_hidden: Tensor<2>,
    initial_memory: Option<Tensor<2>>,
}

impl SequenceGrads {
    /// The gradients of the operation's inputs (`needed` as in [`ManualOp::backward`]).
    fn into_inputs(self, needed: [bool; 6], lstm: bool) -> [Option<Plain>; 6] {
        let [input_gates, weight, bias, hidden, memory, _] = needed;
        let [batch, len, gates] = self.hidden_gates.dims();
        let h = self.previous.dims()[2];
        let d_hidden_gates = self.hidden_gates.reshape([batch * len, gates]);
        let previous = self.previous.reshape([batch * len, h]);
        let initial_memory = self.initial_memory;
        [
            input_gates.then(|| Plain::new(self.input_gates)),
            weight.then(|| Plain::new(previous.transpose().matmul(d_hidden_gates.clone()))),
            bias.then(|| Plain::new(d_hidden_gates.sum_dim(0).reshape([gates]))),
            hidden.then(|| Plain::new(self.initial_hidden)),
            (memory && lstm).then(|| Plain::new(initial_memory.expect("an LSTM memory gradient"))),
            None,
        ]
    }
}

#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
impl SequenceOp {
    /// Width of the output at each position (LSTM: hidden then memory).
    fn output_width(&self) -> usize {
        match self.kind {
            CellKind::Lstm => 2 * self.hidden_size,
            _ => self.hidden_size,
        }
    }

    /// The forward pass on the GPU: one kernel walks the positions.
    fn forward_on_gpu(&self, inputs: [Plain; 6]) -> (Plain, SequenceSaved, Vec<Plain>) {
        let [input_gates, weight, bias, hidden, memory, keep] = inputs;
        let parameters = Packed::pack(vec![Packed::flat(weight.get::<2>()), bias.get::<1>()]);
        let initial = Packed::initial_state(self.kind, &hidden, &memory);
        let flat = Gpu::sequence_forward(
            &input_gates,
            &parameters,
            &initial,
            &keep,
            self.kind,
            self.hidden_size,
        );
        let [batch, len, _] = input_gates.get::<3>().dims();
        let output = Stretches::new(flat.clone()).next([batch, len, self.output_width()]);
        let saved = [Plain::new(flat), initial, keep];
        (Plain::new(output), SequenceSaved::Kernel(saved), vec![])
    }

    /// The backward pass on the GPU: one kernel walks the positions back.
    fn backward_on_gpu(
        &self,
        saved: [Plain; 3],
        grad: Plain,
        needed: [bool; 6],
    ) -> [Option<Plain>; 6] {
        let [outputs, initial, keep] = &saved;
        let h = self.hidden_size;
        let [batch, len, _] = grad.get::<3>().dims();
        let grads = Gpu::sequence_backward(&grad, [outputs, initial, keep], self.kind, h);
        let width = self.kind.gates() * h;
        let mut grads = Stretches::new(grads);
        let d_input = grads.next([batch, len, width]);
        let d_hidden_gates = grads.next([batch, len, width]);
        let d_hidden = grads.next([batch, h]);
        let d_memory = grads.next([batch, h]);
        let output = Stretches::new(outputs.get()).next([batch, len, self.output_width()]);
        let initial = Stretches::new(initial.get()).next([batch, h]);
        let previous = previous_states(initial, output, h);
        let lstm = self.kind == CellKind::Lstm;
        SequenceGrads {
            input_gates: d_input,
            hidden_gates: d_hidden_gates,
            previous,
            initial_hidden: d_hidden,
            initial_memory: lstm.then_some(d_memory),
        }
        .into_inputs(needed, lstm)
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
