//! The whole model: encoder and decoder, built from one config.

use super::{
    AttentionKind, CellKind, Decoder, DecoderConfig, DecoderOutput, Encoder, EncoderConfig,
    GreedyOutput, InitKind,
};
use burn::prelude::*;

/// Configuration of a [`Seq2Seq`] model: every architecture choice the page offers.
#[derive(Config, Debug, PartialEq)]
pub struct Seq2SeqConfig {
    /// Source vocabulary size.
    pub source_vocab_size: usize,
    /// Target vocabulary size.
    pub target_vocab_size: usize,
    /// Embedding size (both sides).
    #[config(default = 32)]
    pub embedding_size: usize,
    /// Hidden state size (encoder and decoder).
    #[config(default = 64)]
    pub hidden_size: usize,
    /// Recurrent cell (encoder and decoder).
    #[config(default = "CellKind::Gru")]
    pub cell: CellKind,
    /// Stacked recurrent layers (1-2).
    #[config(default = 1)]
    pub layers: usize,
    /// Attention scoring.
    #[config(default = "AttentionKind::Additive")]
    pub attention: AttentionKind,
    /// Weight initialisation.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
}

impl Seq2SeqConfig {
    /// Builds the model on `device`.
    pub fn init(&self, device: &Device) -> Seq2Seq {
        Seq2Seq {
            encoder: EncoderConfig::new(
                self.source_vocab_size,
                self.embedding_size,
                self.hidden_size,
            )
            .with_cell(self.cell)
            .with_layers(self.layers)
            .with_init(self.init)
            .init(device),
            decoder: DecoderConfig::new(
                self.target_vocab_size,
                self.embedding_size,
                self.hidden_size,
            )
            .with_cell(self.cell)
            .with_layers(self.layers)
            .with_attention(self.attention)
            .with_init(self.init)
            .init(device),
        }
    }
}

/// Encoder-decoder with (optional) attention.
#[derive(Module, Debug)]
pub struct Seq2Seq {
    /// Reads the source.
    pub encoder: Encoder,
    /// Writes the target.
    pub decoder: Decoder,
}

impl Seq2Seq {
    /// Teacher-forced scores: `source` `[batch, source_len]`, `source_mask` (1 = real token),
    /// `target_input` `[batch, target_len]` (BOS + target).
    pub fn forward(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
    ) -> DecoderOutput {
        let encoded = self.encoder.forward(source, source_mask.clone());
        self.decoder
            .forward_teacher_forced(&encoded, source_mask, target_input)
    }

    /// Scores under scheduled sampling: like [`forward`](Self::forward), but each sequence
    /// reads the true previous token only where `use_truth` `[batch, target_len]` is true, and
    /// its own previous guess elsewhere.
    pub fn forward_scheduled(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
        use_truth: Tensor<2, Bool>,
    ) -> DecoderOutput {
        let encoded = self.encoder.forward(source, source_mask.clone());
        self.decoder
            .scheduled(&encoded, source_mask, target_input, use_truth)
    }

    /// Greedy decoding for `steps` steps from BOS.
    pub fn greedy(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        steps: usize,
    ) -> GreedyOutput {
        let encoded = self.encoder.forward(source, source_mask.clone());
        self.decoder.greedy(&encoded, source_mask, steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttentionKind;

    #[test]
    fn greedy_decoding_of_zero_steps_is_empty_not_a_panic() {
        let device = Device::flex();
        for attention in [AttentionKind::Additive, AttentionKind::None] {
            let model = Seq2SeqConfig::new(7, 9)
                .with_hidden_size(8)
                .with_attention(attention)
                .init(&device);
            let source = Tensor::<2, Int>::from_data([[3, 4, 5], [4, 5, 0]], &device);
            let mask = Tensor::<2>::from_data([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]], &device);
            let empty = model.greedy(source.clone(), mask.clone(), 0);
            assert_eq!(empty.tokens.dims(), [2, 0]);
            assert_eq!(empty.output.logits.dims(), [2, 0, 9]);
            assert_eq!(
                empty.output.attention.map(|a| a.dims()),
                (attention != AttentionKind::None).then_some([2, 0, 3])
            );
            let three = model.greedy(source, mask, 3);
            assert_eq!(three.tokens.dims(), [2, 3]);
        }
    }
}
