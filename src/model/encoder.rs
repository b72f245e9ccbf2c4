//! The encoder: embeds the source and runs 1-2 stacked recurrent layers over it.

use super::recurrence::{SequenceInputs, run_sequence};
use super::{CellKind, CellState, InitKind, RecurrentCell, RecurrentCellConfig};
use burn::nn::{Embedding, EmbeddingConfig};
use burn::prelude::*;

/// Configuration of an [`Encoder`].
#[derive(Config, Debug)]
pub struct EncoderConfig {
    /// Source vocabulary size.
    pub vocab_size: usize,
    /// Embedding size.
    pub embedding_size: usize,
    /// Hidden state size.
    pub hidden_size: usize,
    /// Recurrent cell.
    #[config(default = "CellKind::Gru")]
    pub cell: CellKind,
    /// Stacked layers.
    #[config(default = 1)]
    pub layers: usize,
    /// Weight initialisation.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
}

impl EncoderConfig {
    /// Builds the encoder on `device`.
    pub fn init(&self, device: &Device) -> Encoder {
        let layers = (0..self.layers.max(1))
            .map(|layer| {
                let input = if layer == 0 {
                    self.embedding_size
                } else {
                    self.hidden_size
                };
                RecurrentCellConfig::new(input, self.hidden_size)
                    .with_kind(self.cell)
                    .with_init(self.init)
                    .init(device)
            })
            .collect();
        Encoder {
            embedding: EmbeddingConfig::new(self.vocab_size, self.embedding_size).init(device),
            layers,
        }
    }
}

/// Embedding followed by stacked recurrent layers.
#[derive(Module, Debug)]
pub struct Encoder {
    /// Source token embeddings `[vocab, embedding]`.
    pub embedding: Embedding,
    /// Recurrent layers, bottom first.
    pub layers: Vec<RecurrentCell>,
}

/// What the encoder hands the decoder.
#[derive(Debug, Clone)]
pub struct EncoderOutput {
    /// Top layer's hidden state at every source position `[batch, source_len, hidden]`: what
    /// attention looks at.
    pub states: Tensor<3>,
    /// Each layer's state after the last real (non-PAD) token: the fixed-size context.
    pub final_states: Vec<CellState>,
}

impl Encoder {
    /// Encodes `source` `[batch, source_len]` whose real tokens are 1 in `source_mask`
    /// `[batch, source_len]`. Over PAD positions the state is carried unchanged, so
    /// `final_states` is the state after each sequence's own last token.
    pub fn forward(&self, source: Tensor<2, Int>, source_mask: Tensor<2>) -> EncoderOutput {
        let batch = source.dims()[0];
        let device = source.device();
        let mut inputs = self.embedding.forward(source); // [batch, source_len, embedding]
        let mut final_states = Vec::with_capacity(self.layers.len());
        for cell in &self.layers {
            let layer = run_sequence(
                cell.kind,
                SequenceInputs {
                    input_gates: cell.project_input(inputs), // [batch, source_len, gates * hidden]
                    weight: cell.hidden_gates.weight.val(),
                    bias: cell.hidden_bias(),
                    initial: cell.zero_state(batch, &device),
                    keep: source_mask.clone(),
                },
            );
            inputs = layer.hidden; // [batch, source_len, hidden]
            final_states.push(layer.last);
        }
        EncoderOutput {
            states: inputs,
            final_states,
        }
    }
}
