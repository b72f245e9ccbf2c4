//! The validation examples one by one, as the page's error browser lists them: input,
//! reference, greedy output, whether it is exactly right and its sentence chrF.

use super::Trainer;
use super::chrf::ChrfStats;
use super::metrics::SequenceScore;
use super::search::Strategy;
use super::tensors::{BatchTensors, DeviceError};
use super::trainer::{EVAL_BATCH, decoded_rows};
use crate::data::{Batch, EncodedPair};
use burn::module::Module;
use serde::Serialize;

/// One validation example and what the model makes of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExampleResult {
    /// Its place in the validation split.
    pub index: usize,
    /// The input.
    pub source: String,
    /// What it should give (as the target vocabulary reads it).
    pub reference: String,
    /// What greedy decoding gives.
    pub output: String,
    /// Right up to and including `<eos>`.
    pub exact: bool,
    /// Sentence chrF of the output, 0-100.
    pub chrf: f32,
}

impl Trainer {
    /// The first `limit` validation examples, decoded greedily in batches (one read each).
    pub async fn validation_examples(
        &self,
        limit: usize,
    ) -> Result<Vec<ExampleResult>, DeviceError> {
        let valid = &self.data().valid;
        let examples = &valid[..valid.len().min(limit)];
        let vocab = &self.data().vocabularies;
        let model = self.model().valid();
        let device = self.inference_device();
        let mut results = Vec::with_capacity(examples.len());
        for (chunk_index, chunk) in examples.chunks(EVAL_BATCH).enumerate() {
            let pairs: Vec<&EncodedPair> = chunk.iter().collect();
            let batch = Batch::from_pairs(&pairs);
            let tensors = BatchTensors::new(&batch, &device);
            let tokens = decoded_rows(
                &model,
                tensors.source,
                tensors.source_mask,
                batch.target_len,
                Strategy::Greedy,
            )
            .await?;
            for (row, pair) in chunk.iter().enumerate() {
                let predicted = &tokens[row * batch.target_len..(row + 1) * batch.target_len];
                let mut score = SequenceScore::default();
                score.add(predicted, &pair.target);
                let (output, reference) = (
                    vocab.target_text(predicted),
                    vocab.target_text(&pair.target),
                );
                let mut chrf = ChrfStats::default();
                chrf.add(&output, &reference);
                results.push(ExampleResult {
                    index: chunk_index * EVAL_BATCH + row,
                    source: pair.source_text.clone(),
                    reference,
                    output,
                    exact: score.exact == 1,
                    chrf: chrf.score() as f32,
                });
            }
        }
        Ok(results)
    }
}
