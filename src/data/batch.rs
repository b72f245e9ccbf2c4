//! Batching: pad each batch to its longest sequence and build the masks the model and the loss
//! need. Kept as plain data so the page can draw the padding masks as they are.

use super::EncodedPair;
use super::vocab::{BOS, EOS, PAD};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// A padded batch, row-major `[batch, len]` matrices flattened into `Vec`s.
///
/// - `source`: source ids, padded with PAD.
/// - `target_input`: BOS + target ids, padded: what the decoder reads under teacher forcing.
/// - `target_output`: target ids + EOS, padded: what the decoder must predict.
/// - `source_mask`: 1 on real source tokens, 0 on PAD (attention must not look at PAD).
/// - `target_mask`: 1 where `target_input` holds a real token (BOS or a target token).
/// - `loss_mask`: 1 where `target_output` counts in the loss (target tokens and EOS), 0 on PAD.
///
/// `target_mask` and `loss_mask` have the same pattern, one position apart in meaning: the
/// decoder reads position t of `target_input` to predict position t of `target_output`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    /// Number of sequences.
    pub batch_size: usize,
    /// Padded source length.
    pub source_len: usize,
    /// Padded target length (target + EOS).
    pub target_len: usize,
    /// Source ids `[batch, source_len]`.
    pub source: Vec<usize>,
    /// Decoder inputs `[batch, target_len]`.
    pub target_input: Vec<usize>,
    /// Decoder outputs to predict `[batch, target_len]`.
    pub target_output: Vec<usize>,
    /// Source mask `[batch, source_len]`.
    pub source_mask: Vec<f32>,
    /// Target mask `[batch, target_len]`.
    pub target_mask: Vec<f32>,
    /// Loss mask `[batch, target_len]`.
    pub loss_mask: Vec<f32>,
}

impl Batch {
    /// Pads a set of examples into one batch.
    pub fn from_pairs(pairs: &[&EncodedPair]) -> Self {
        let batch_size = pairs.len();
        let source_len = pairs
            .iter()
            .map(|p| p.source.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let target_len = pairs.iter().map(|p| p.target.len() + 1).max().unwrap_or(1);
        let mut batch = Self {
            batch_size,
            source_len,
            target_len,
            source: vec![PAD; batch_size * source_len],
            target_input: vec![PAD; batch_size * target_len],
            target_output: vec![PAD; batch_size * target_len],
            source_mask: vec![0.0; batch_size * source_len],
            target_mask: vec![0.0; batch_size * target_len],
            loss_mask: vec![0.0; batch_size * target_len],
        };
        for (row, pair) in pairs.iter().enumerate() {
            let src = row * source_len;
            for (i, &id) in pair.source.iter().enumerate() {
                batch.source[src + i] = id;
                batch.source_mask[src + i] = 1.0;
            }
            let tgt = row * target_len;
            let decoder_input = std::iter::once(BOS).chain(pair.target.iter().copied());
            let decoder_output = pair.target.iter().copied().chain(std::iter::once(EOS));
            for (i, (input, output)) in decoder_input.zip(decoder_output).enumerate() {
                batch.target_input[tgt + i] = input;
                batch.target_output[tgt + i] = output;
                batch.target_mask[tgt + i] = 1.0;
                batch.loss_mask[tgt + i] = 1.0;
            }
        }
        batch
    }

    /// Number of positions that count in the loss.
    pub fn loss_tokens(&self) -> usize {
        self.loss_mask.iter().filter(|&&m| m > 0.0).count()
    }
}

/// Where a [`Batcher`] stands; with the seed and the example count it is the whole state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatcherPosition {
    /// Completed passes over the training data.
    pub epoch: usize,
    /// Examples of this epoch's order already drawn.
    pub cursor: usize,
}

/// Shuffled examples [`Batcher::at`] replays at most (epochs x examples; a checkpoint claiming
/// more is refused): days of training at the page's speed.
const MAX_REPLAYED_EXAMPLES: usize = 1_000_000_000;

/// Draws training batches epoch by epoch: shuffle, then walk the examples in order.
#[derive(Debug, Clone)]
pub struct Batcher {
    rng: StdRng,
    order: Vec<usize>,
    cursor: usize,
    epoch: usize,
}

impl Batcher {
    /// A batcher over `len` examples, shuffled from `seed`.
    pub fn new(len: usize, seed: u64) -> Self {
        let mut batcher = Self {
            rng: StdRng::seed_from_u64(seed),
            order: (0..len).collect(),
            cursor: 0,
            epoch: 0,
        };
        batcher.order.shuffle(&mut batcher.rng);
        batcher
    }

    /// Completed passes over the training data.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Where the batcher is: epoch and position in that epoch's order.
    pub fn position(&self) -> BatcherPosition {
        BatcherPosition {
            epoch: self.epoch,
            cursor: self.cursor,
        }
    }

    /// The batcher over `len` examples from `seed`, at `position`: the same state as the one
    /// that got there by drawing batches (each epoch's shuffle is replayed). Fails when the
    /// position does not fit `len` examples.
    pub fn at(len: usize, seed: u64, position: BatcherPosition) -> Result<Self, String> {
        if position.cursor > len {
            return Err(format!(
                "batch position {} is past the {len} training examples",
                position.cursor
            ));
        }
        if position.epoch.saturating_mul(len.max(1)) > MAX_REPLAYED_EXAMPLES {
            return Err(format!("epoch {} is implausibly large", position.epoch));
        }
        let mut batcher = Self::new(len, seed);
        for _ in 0..position.epoch {
            batcher.order.shuffle(&mut batcher.rng);
        }
        batcher.epoch = position.epoch;
        batcher.cursor = position.cursor;
        Ok(batcher)
    }

    /// Indices of the next `batch_size` examples; a new epoch reshuffles.
    pub fn next_indices(&mut self, batch_size: usize) -> Vec<usize> {
        let batch_size = batch_size.clamp(1, self.order.len().max(1));
        let mut indices = Vec::with_capacity(batch_size);
        while indices.len() < batch_size && !self.order.is_empty() {
            if self.cursor == self.order.len() {
                self.cursor = 0;
                self.epoch += 1;
                self.order.shuffle(&mut self.rng);
            }
            indices.push(self.order[self.cursor]);
            self.cursor += 1;
        }
        indices
    }

    /// The next training batch.
    pub fn next_batch(&mut self, examples: &[EncodedPair], batch_size: usize) -> Batch {
        let indices = self.next_indices(batch_size);
        let pairs: Vec<&EncodedPair> = indices.iter().map(|&i| &examples[i]).collect();
        Batch::from_pairs(&pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(source: &[usize], target: &[usize]) -> EncodedPair {
        EncodedPair {
            source_text: String::new(),
            target_text: String::new(),
            source: source.to_vec(),
            target: target.to_vec(),
        }
    }

    #[test]
    fn pads_to_the_longest_and_masks_padding() {
        let a = pair(&[5, 6, 7], &[8, 9]);
        let b = pair(&[5], &[8]);
        let batch = Batch::from_pairs(&[&a, &b]);
        assert_eq!((batch.source_len, batch.target_len), (3, 3));
        assert_eq!(batch.source, vec![5, 6, 7, 5, PAD, PAD]);
        assert_eq!(batch.source_mask, vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(batch.target_input, vec![BOS, 8, 9, BOS, 8, PAD]);
        assert_eq!(batch.target_output, vec![8, 9, EOS, 8, EOS, PAD]);
        assert_eq!(batch.loss_mask, vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
        assert_eq!(batch.target_mask, batch.loss_mask);
        assert_eq!(batch.loss_tokens(), 5);
    }

    #[test]
    fn every_example_is_seen_once_per_epoch() {
        let mut batcher = Batcher::new(10, 1);
        let mut seen: Vec<usize> = (0..5).flat_map(|_| batcher.next_indices(2)).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(batcher.epoch(), 0);
        batcher.next_indices(2);
        assert_eq!(batcher.epoch(), 1);
    }

    #[test]
    fn a_batcher_rebuilt_at_its_position_draws_the_same_batches() {
        let mut walked = Batcher::new(10, 3);
        for size in [3, 4, 7, 2, 9, 1] {
            walked.next_indices(size);
        }
        let mut rebuilt = Batcher::at(10, 3, walked.position()).unwrap();
        assert_eq!(rebuilt.position(), walked.position());
        for size in [5, 8, 3, 10] {
            assert_eq!(rebuilt.next_indices(size), walked.next_indices(size));
        }
        let past_the_end = BatcherPosition {
            epoch: 0,
            cursor: 11,
        };
        assert!(Batcher::at(10, 3, past_the_end).is_err());
    }
}
