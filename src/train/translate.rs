//! Translating one input with greedy decoding, with the attention matrix to show for it.

use super::Trainer;
use super::tensors::{DeviceError, read_floats, read_ids};
use crate::data::EncodedPair;
use crate::data::batch::Batch;
use crate::data::vocab::EOS;
use crate::train::tensors::BatchTensors;
use burn::module::Module;
use serde::Serialize;

/// Longest output decoded for one input.
pub const MAX_OUTPUT_TOKENS: usize = 128;

/// A decoded input, ready to print or draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Translation {
    /// Source tokens as read (unknown ones kept as typed).
    pub source_tokens: Vec<String>,
    /// Source tokens not in the vocabulary (read as `<unk>`).
    pub unknown_tokens: Vec<String>,
    /// Output tokens, EOS excluded.
    pub output_tokens: Vec<String>,
    /// The output as text.
    pub output_text: String,
    /// Whether the decoder stopped with EOS (rather than at the length limit).
    pub finished: bool,
    /// Attention rows, one per output step (EOS step included when reached), one column per
    /// source token; `None` for a model without attention.
    pub attention: Option<Vec<Vec<f32>>>,
}

impl Trainer {
    /// Greedily decodes `text`.
    pub async fn translate(&self, text: &str) -> Result<Translation, DeviceError> {
        let vocab = &self.data().vocabularies;
        let (source_tokens, source) = vocab.encode_source(text);
        let unknown_tokens = source_tokens
            .iter()
            .filter(|t| !vocab.source.contains(t))
            .cloned()
            .collect();
        let pair = EncodedPair {
            source_text: text.to_string(),
            target_text: String::new(),
            source,
            target: Vec::new(),
        };
        let batch = Batch::from_pairs(&[&pair]);
        let steps = (self.data().max_target_len() + 1)
            .max(2 * source_tokens.len() + 2)
            .min(MAX_OUTPUT_TOKENS);
        let tensors = BatchTensors::new(&batch, &self.inference_device());
        let greedy = self
            .model()
            .valid()
            .greedy(tensors.source, tensors.source_mask, steps);
        let ids = read_ids(greedy.tokens).await?;
        let end = ids.iter().position(|&id| id == EOS);
        let shown_steps = end.map_or(steps, |e| e + 1);
        let attention = match greedy.output.attention {
            Some(weights) => {
                let flat = read_floats(vec![weights]).await?.remove(0);
                let width = batch.source_len;
                Some(
                    flat.chunks(width)
                        .take(shown_steps)
                        .map(|row| row[..pair.source.len()].to_vec())
                        .collect(),
                )
            }
            None => None,
        };
        let output_tokens = vocab.target.decode(&ids);
        Ok(Translation {
            output_text: vocab.target_tokenizer.join(&output_tokens),
            source_tokens,
            unknown_tokens,
            output_tokens,
            finished: end.is_some(),
            attention,
        })
    }
}
