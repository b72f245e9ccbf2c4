//! The RNN encoder-decoder: a recurrent encoder reads the source, a recurrent decoder writes the
//! target, reading the source through attention (or one fixed context vector without it).

use super::{Decoder, DecoderOutput, Encoder, GreedyOutput};
use burn::prelude::*;

/// Encoder-decoder with (optional) attention.
#[derive(Module, Debug)]
pub struct RnnSeq2Seq {
    /// Reads the source.
    pub encoder: Encoder,
    /// Writes the target.
    pub decoder: Decoder,
}

impl RnnSeq2Seq {
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
