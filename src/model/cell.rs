//! One recurrent cell (vanilla RNN, GRU or LSTM) with its gates fused into two matrix products.
//!
//! burn has `Rnn`, `Gru` and `Lstm` modules, but they only run whole sequences and compute each
//! gate with its own pair of products. A seq2seq decoder must step one position at a time (its
//! input depends on attention over the previous state), and speed depends on the number of
//! kernels per step, so this cell splits the work:
//! [`project_input`](RecurrentCell::project_input) turns a whole sequence of inputs into gate
//! pre-activations in one product, and [`step`](RecurrentCell::step) adds the hidden product
//! (one more) and applies the gate equations. The equations are PyTorch's (GRU with the reset
//! gate applied after the hidden product).

use super::InitKind;
use super::activation::tanh;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

menu_enum! {
    /// Which recurrent cell.
    pub enum CellKind {
        /// Elman RNN: `h' = tanh(W x + U h + b)`; forgets fast, gradients vanish.
        #[strum(message = "RNN")]
        Rnn,
        /// Gated recurrent unit: update and reset gates.
        #[strum(message = "GRU")]
        #[default]
        Gru,
        /// Long short-term memory: input, forget, output gates and a cell memory.
        #[strum(message = "LSTM")]
        Lstm,
    }
}

impl CellKind {
    /// How many gate blocks the fused products compute.
    pub const fn gates(self) -> usize {
        match self {
            Self::Rnn => 1,
            Self::Gru => 3,
            Self::Lstm => 4,
        }
    }
}

/// The state a cell carries from one position to the next.
#[derive(Debug, Clone)]
pub struct CellState {
    /// Hidden state `[batch, hidden]`.
    pub hidden: Tensor<2>,
    /// LSTM cell memory `[batch, hidden]`; `None` for RNN and GRU.
    pub memory: Option<Tensor<2>>,
}

impl CellState {
    /// Zero state.
    pub fn zeros(kind: CellKind, batch: usize, hidden: usize, device: &Device) -> Self {
        Self {
            hidden: Tensor::zeros([batch, hidden], device),
            memory: (kind == CellKind::Lstm).then(|| Tensor::zeros([batch, hidden], device)),
        }
    }

    /// Keeps `self` where `keep` is 1 and `previous` where it is 0 (`keep`: `[batch, 1]`).
    /// The encoder uses it to carry the state unchanged across PAD positions.
    pub fn keep_where(self, previous: Self, keep: &Tensor<2>) -> Self {
        let blend = |new: Tensor<2>, old: Tensor<2>| old.clone() + (new - old) * keep.clone();
        Self {
            hidden: blend(self.hidden, previous.hidden),
            memory: match (self.memory, previous.memory) {
                (Some(new), Some(old)) => Some(blend(new, old)),
                (memory, _) => memory,
            },
        }
    }
}

/// Configuration of a [`RecurrentCell`].
#[derive(Config, Debug)]
pub struct RecurrentCellConfig {
    /// Input features per position.
    pub input_size: usize,
    /// Hidden state size.
    pub hidden_size: usize,
    /// Which cell.
    #[config(default = "CellKind::Gru")]
    pub kind: CellKind,
    /// Weight initialisation.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
}

impl RecurrentCellConfig {
    /// Builds the cell on `device`.
    pub fn init(&self, device: &Device) -> RecurrentCell {
        let width = self.kind.gates() * self.hidden_size;
        let linear = |input: usize| {
            LinearConfig::new(input, width)
                .with_initializer(self.init.initializer())
                .init(device)
        };
        RecurrentCell {
            input_gates: linear(self.input_size),
            hidden_gates: linear(self.hidden_size),
            kind: self.kind,
            hidden_size: self.hidden_size,
        }
    }
}

/// A recurrent cell with fused gates: `W x` for all gates in one product, `U h` in another.
#[derive(Module, Debug)]
pub struct RecurrentCell {
    /// Input-to-gates weights `[input, gates * hidden]`.
    pub input_gates: Linear,
    /// Hidden-to-gates weights `[hidden, gates * hidden]`.
    pub hidden_gates: Linear,
    /// Which cell.
    #[module(skip)]
    pub kind: CellKind,
    /// Hidden state size.
    pub hidden_size: usize,
}

impl RecurrentCell {
    /// Gate pre-activations from the input, for any number of positions at once:
    /// `[..., input]` -> `[..., gates * hidden]`.
    pub fn project_input<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.input_gates.forward(input)
    }

    /// The hidden product's bias `[gates * hidden]` (zeros if the layer was built without one).
    pub fn hidden_bias(&self) -> Tensor<1> {
        match &self.hidden_gates.bias {
            Some(bias) => bias.val(),
            None => Tensor::zeros(
                [self.kind.gates() * self.hidden_size],
                &self.hidden_gates.weight.device(),
            ),
        }
    }

    /// A zero state for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &Device) -> CellState {
        CellState::zeros(self.kind, batch, self.hidden_size, device)
    }

    /// One position: `projected_input` is `[batch, gates * hidden]` from
    /// [`project_input`](Self::project_input) (plus anything else added to the gates).
    pub fn step(&self, projected_input: Tensor<2>, state: CellState) -> CellState {
        let from_hidden = self.hidden_gates.forward(state.hidden.clone());
        gate_equations(
            self.kind,
            self.hidden_size,
            projected_input,
            from_hidden,
            state,
        )
        .0
    }
}

/// What one step of a cell computed, kept for its hand-written backward pass
/// (see [`crate::model::recurrence`]); every tensor is `[batch, hidden]`.
// One cache per position, kept until the backward pass: no gain from boxing the larger variants.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum StepCache {
    /// Elman RNN: the new hidden state.
    Rnn {
        /// `tanh` of the summed gates.
        hidden: Tensor<2>,
    },
    /// GRU.
    Gru {
        /// Reset gate.
        reset: Tensor<2>,
        /// Update gate.
        update: Tensor<2>,
        /// Candidate state `n`.
        candidate: Tensor<2>,
        /// The hidden product's candidate block (before the reset gate scales it).
        hidden_candidate: Tensor<2>,
        /// The previous hidden state.
        previous: Tensor<2>,
    },
    /// LSTM.
    Lstm {
        /// Input gate.
        input: Tensor<2>,
        /// Forget gate.
        forget: Tensor<2>,
        /// `tanh` of the candidate block.
        candidate: Tensor<2>,
        /// Output gate.
        output: Tensor<2>,
        /// The previous memory.
        previous_memory: Tensor<2>,
        /// `tanh` of the new memory.
        memory_tanh: Tensor<2>,
    },
}

/// The gate equations of one step: from the input-side gate pre-activations `projected_input`
/// and the hidden-side ones `from_hidden` (`[batch, gates * hidden]` each) and the previous
/// state, the new state and what its backward pass needs.
pub fn gate_equations(
    kind: CellKind,
    hidden_size: usize,
    projected_input: Tensor<2>,
    from_hidden: Tensor<2>,
    state: CellState,
) -> (CellState, StepCache) {
    match kind {
        CellKind::Rnn => {
            let hidden = tanh(projected_input + from_hidden);
            let cache = StepCache::Rnn {
                hidden: hidden.clone(),
            };
            (
                CellState {
                    hidden,
                    memory: None,
                },
                cache,
            )
        }
        CellKind::Gru => {
            // The reset and update gates read the sum of both products, so the sum is taken
            // before slicing: 4 slices a step instead of 6 (each slice costs two GPU kernels in
            // the backward pass: zeros, then a slice-assign). Same numbers either way.
            let h = hidden_size;
            let summed = projected_input.clone() + from_hidden.clone();
            let reset = sigmoid(summed.clone().narrow(1, 0, h));
            let update = sigmoid(summed.narrow(1, h, h));
            let n_x = projected_input.narrow(1, 2 * h, h);
            let n_h = from_hidden.narrow(1, 2 * h, h);
            let candidate = tanh(n_x + reset.clone() * n_h.clone());
            // h' = (1 - z) * n + z * h  =  n + z * (h - n)
            let hidden =
                candidate.clone() + update.clone() * (state.hidden.clone() - candidate.clone());
            let cache = StepCache::Gru {
                reset,
                update,
                candidate,
                hidden_candidate: n_h,
                previous: state.hidden,
            };
            (
                CellState {
                    hidden,
                    memory: None,
                },
                cache,
            )
        }
        CellKind::Lstm => {
            let [i, f, g, o] = chunks(projected_input + from_hidden);
            let previous_memory = state
                .memory
                .expect("an LSTM state always carries its memory");
            let (input, forget, candidate, output) = (sigmoid(i), sigmoid(f), tanh(g), sigmoid(o));
            let memory =
                forget.clone() * previous_memory.clone() + input.clone() * candidate.clone();
            let memory_tanh = tanh(memory.clone());
            let hidden = output.clone() * memory_tanh.clone();
            let cache = StepCache::Lstm {
                input,
                forget,
                candidate,
                output,
                previous_memory,
                memory_tanh,
            };
            (
                CellState {
                    hidden,
                    memory: Some(memory),
                },
                cache,
            )
        }
    }
}

/// Splits `[batch, N * hidden]` into N blocks of `[batch, hidden]`.
fn chunks<const N: usize>(gates: Tensor<2>) -> [Tensor<2>; N] {
    gates
        .chunk(N, 1)
        .try_into()
        .unwrap_or_else(|_| unreachable!("gate width is a multiple of the block count"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn every_cell_keeps_the_state_shape() {
        let device = Device::flex();
        for &kind in CellKind::VARIANTS {
            let cell = RecurrentCellConfig::new(3, 5).with_kind(kind).init(&device);
            let x = Tensor::<3>::ones([2, 4, 3], &device);
            let projected = cell.project_input(x);
            assert_eq!(projected.dims(), [2, 4, 5 * kind.gates()]);
            let step_input = projected.narrow(1, 0, 1).squeeze_dim::<2>(1);
            let state = cell.step(step_input, cell.zero_state(2, &device));
            assert_eq!(state.hidden.dims(), [2, 5]);
            assert_eq!(state.memory.is_some(), kind == CellKind::Lstm);
        }
    }
}
