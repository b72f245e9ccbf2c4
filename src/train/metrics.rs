//! What a step and an evaluation report.

use crate::data::vocab::EOS;
use serde::{Deserialize, Serialize};

/// One optimiser step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// Steps done, this one included.
    pub step: usize,
    /// Completed passes over the training data.
    pub epoch: usize,
    /// Masked cross-entropy of this step's batch.
    pub loss: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// Share of decoder positions that read the true previous token (scheduled sampling: 1 is
    /// full teacher forcing, 0 free running).
    pub teacher_forced: f32,
    /// Target tokens in the batch (loss positions).
    pub target_tokens: usize,
    /// The loss was NaN, infinite or far above chance: the run went back to the last weights
    /// whose loss was sane (`step` says which).
    pub diverged: bool,
}

/// Validation results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Step the model was at.
    pub step: usize,
    /// Teacher-forced masked cross-entropy.
    pub loss: f32,
    /// Share of target positions (EOS included) the decoded output got right (it ends at its
    /// first EOS).
    pub token_accuracy: f32,
    /// Share of sequences that greedy decoding got exactly right (up to and including EOS).
    pub exact_accuracy: f32,
    /// Validation examples scored.
    pub examples: usize,
    /// Corpus BLEU of the greedy outputs, 0-100 (sacreBLEU's default; by character for
    /// character-level targets).
    #[serde(default)]
    pub bleu: f32,
    /// Corpus chrF of the greedy outputs, 0-100 (sacreBLEU's default).
    #[serde(default)]
    pub chrf: f32,
}

/// Counts of a greedy decoding against its targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequenceScore {
    /// Target positions (EOS included) predicted right.
    pub correct_tokens: usize,
    /// Target positions (EOS included).
    pub total_tokens: usize,
    /// Sequences right up to and including EOS.
    pub exact: usize,
    /// Sequences.
    pub sequences: usize,
}

impl SequenceScore {
    /// Scores one prediction (decoded ids, any length) against a target (ids without EOS).
    /// The output ends at its first EOS: positions after it count as wrong, whatever a
    /// decoder that ran on wrote there.
    pub fn add(&mut self, predicted: &[usize], target: &[usize]) {
        let end = predicted
            .iter()
            .position(|&id| id == EOS)
            .map_or(predicted.len(), |e| e + 1);
        let predicted = &predicted[..end];
        let expected = target.iter().copied().chain(std::iter::once(EOS));
        let mut all_right = true;
        for (i, want) in expected.enumerate() {
            let right = predicted.get(i) == Some(&want);
            self.correct_tokens += usize::from(right);
            all_right &= right;
            self.total_tokens += 1;
        }
        self.exact += usize::from(all_right);
        self.sequences += 1;
    }

    /// Token accuracy in [0, 1].
    pub fn token_accuracy(&self) -> f32 {
        self.correct_tokens as f32 / self.total_tokens.max(1) as f32
    }

    /// Exact-sequence accuracy in [0, 1].
    pub fn exact_accuracy(&self) -> f32 {
        self.exact as f32 / self.sequences.max(1) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eos_must_be_predicted_for_an_exact_match() {
        let mut score = SequenceScore::default();
        score.add(&[5, 6, EOS, 9], &[5, 6]);
        score.add(&[5, 6, 7], &[5, 6]);
        score.add(&[5, 7, EOS], &[5, 6]);
        assert_eq!(score.exact, 1);
        assert_eq!((score.correct_tokens, score.total_tokens), (7, 9));
        assert_eq!(score.exact_accuracy(), 1.0 / 3.0);
    }

    #[test]
    fn nothing_after_the_first_eos_counts() {
        // An early EOS ends the output: the 9 a decoder wrote after it is not a right token.
        let mut score = SequenceScore::default();
        score.add(&[5, EOS, 9], &[5, 9]);
        assert_eq!(
            (score.correct_tokens, score.total_tokens, score.exact),
            (1, 3, 0)
        );
    }
}
