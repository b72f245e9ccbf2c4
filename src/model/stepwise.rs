//! The decoder one step at a time, its state held as rows (one per sequence or hypothesis) that
//! a search can reorder between steps: [`Decoder::begin`], [`Decoder::step`] and
//! [`DecoderState::select`]. The decoding loop ([`Decoder::run`]) takes its steps through the
//! same [`Decoder::advance`], and beam search and sampling (`train::search`) through
//! [`Decoder::step`].

use super::attention::AttentionMemory;
use super::{AttentionKind, CellState, Decoder, EncoderOutput};
use burn::prelude::*;

/// What the decoder carries from one step to the next, one row per hypothesis.
#[derive(Debug, Clone)]
pub struct DecoderState {
    /// Each layer's state.
    pub layers: Vec<CellState>,
    /// The encoder states attention reads (`None` without attention).
    pub memory: Option<AttentionMemory>,
    /// Without attention: the one context vector, and its gates.
    pub fixed_context: Option<(Tensor<2>, Tensor<2>)>,
}

/// One step's result.
#[derive(Debug, Clone)]
pub struct StepOutput {
    /// Top layer's new hidden state `[rows, hidden]`.
    pub top: Tensor<2>,
    /// The context vector it read `[rows, hidden]`.
    pub context: Tensor<2>,
    /// Attention weights `[rows, source_len]` (`None` without attention).
    pub attention: Option<Tensor<2>>,
}

impl DecoderState {
    /// The state of the given rows (a row may be taken several times): `rows` `[n]`.
    pub fn select(&self, rows: Tensor<1, Int>) -> Self {
        let pick2 = |t: &Tensor<2>| t.clone().select(0, rows.clone());
        let pick3 = |t: &Tensor<3>| t.clone().select(0, rows.clone());
        Self {
            layers: self
                .layers
                .iter()
                .map(|s| CellState {
                    hidden: pick2(&s.hidden),
                    memory: s.memory.as_ref().map(pick2),
                })
                .collect(),
            memory: self.memory.as_ref().map(|m| AttentionMemory {
                values: pick3(&m.values),
                keys: pick3(&m.keys),
                padding_bias: pick2(&m.padding_bias),
            }),
            fixed_context: self
                .fixed_context
                .as_ref()
                .map(|(context, gates)| (pick2(context), pick2(gates))),
        }
    }
}

impl Decoder {
    /// The state before the first step: the encoder's final states, its keys for attention.
    pub fn begin(&self, encoded: &EncoderOutput, source_mask: Tensor<2>) -> DecoderState {
        let attends = self.attention.kind != AttentionKind::None;
        let fixed_context = (!attends).then(|| {
            // Without attention: the encoder's final state is the one context vector.
            let context = encoded
                .final_states
                .last()
                .expect("the encoder has at least one layer")
                .hidden
                .clone();
            let gates = self.context_gates.forward(context.clone());
            (context, gates)
        });
        DecoderState {
            layers: encoded.final_states.clone(),
            memory: attends.then(|| self.attention.memory(encoded.states.clone(), source_mask)),
            fixed_context,
        }
    }

    /// One step from the bottom layer's input gates for this step's token `[rows, gates *
    /// hidden]`: attention, every layer, the new state.
    pub fn advance(&self, state: &mut DecoderState, token_gates: Tensor<2>) -> StepOutput {
        let query = state
            .layers
            .last()
            .expect("at least one layer")
            .hidden
            .clone();
        let (context, context_gates, attention) = match (&state.memory, &state.fixed_context) {
            (Some(memory), _) => {
                let (context, weights) = self.attention.forward(query, memory);
                let gates = self.context_gates.forward(context.clone());
                (context, gates, Some(weights))
            }
            (None, Some((context, gates))) => (context.clone(), gates.clone(), None),
            (None, None) => unreachable!("begin sets a memory or a fixed context"),
        };
        let mut layer_input = token_gates + context_gates;
        for (layer, cell) in self.layers.iter().enumerate() {
            if layer > 0 {
                layer_input = cell.project_input(state.layers[layer - 1].hidden.clone());
            }
            state.layers[layer] = cell.step(layer_input.clone(), state.layers[layer].clone());
        }
        StepOutput {
            top: state
                .layers
                .last()
                .expect("at least one layer")
                .hidden
                .clone(),
            context,
            attention,
        }
    }

    /// One step reading `previous` `[rows, 1]`: the scores of the next token `[rows, vocab]`
    /// and what the step saw.
    pub fn step(
        &self,
        state: &mut DecoderState,
        previous: Tensor<2, Int>,
    ) -> (Tensor<2>, StepOutput) {
        let token_gates = self.layers[0]
            .project_input(self.embedding.forward(previous))
            .squeeze_dim(1);
        let output = self.advance(state, token_gates);
        let logits = self.output.forward(Tensor::cat(
            vec![output.top.clone(), output.context.clone()],
            1,
        ));
        (logits, output)
    }
}
