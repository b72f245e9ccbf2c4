//! A task's data ready for training: tokenised, encoded, split into train and validation.

use super::{TaskConfig, Tokenizer, Vocab};
use serde::{Deserialize, Serialize};

/// One example: the texts and their token ids (no BOS/EOS; batching adds them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedPair {
    /// Source text as given.
    pub source_text: String,
    /// Target text as given.
    pub target_text: String,
    /// Source token ids.
    pub source: Vec<usize>,
    /// Target token ids.
    pub target: Vec<usize>,
}

/// Vocabularies and tokenisers of both sides: what a checkpoint must carry to translate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vocabularies {
    /// How source text is tokenised.
    pub source_tokenizer: Tokenizer,
    /// How target text is tokenised.
    pub target_tokenizer: Tokenizer,
    /// Source vocabulary.
    pub source: Vocab,
    /// Target vocabulary.
    pub target: Vocab,
}

impl Vocabularies {
    /// The target text of `ids` (read up to the first EOS), as the target tokeniser joins it.
    pub fn target_text(&self, ids: &[usize]) -> String {
        self.target_tokenizer.join(&self.target.decode(ids))
    }

    /// Tokenises and encodes a source text; also returns the tokens (unknown ones included).
    pub fn encode_source(&self, text: &str) -> (Vec<String>, Vec<usize>) {
        let tokens = self.source_tokenizer.tokenize(text);
        let ids = self.source.encode(&tokens);
        (tokens, ids)
    }
}

/// Train and validation examples with their vocabularies.
#[derive(Debug, Clone)]
pub struct TaskData {
    /// Tokenisers and vocabularies.
    pub vocabularies: Vocabularies,
    /// Training examples.
    pub train: Vec<EncodedPair>,
    /// Validation examples.
    pub valid: Vec<EncodedPair>,
}

impl TaskData {
    /// Generates a built-in task.
    pub fn from_task(config: &TaskConfig) -> Self {
        let (source_tokenizer, target_tokenizer) = config.kind.tokenizers();
        Self::from_pairs(
            &config.generate(),
            source_tokenizer,
            target_tokenizer,
            config.valid_fraction,
        )
    }

    /// Tokenises text pairs and splits them: the last `valid_fraction` of the pairs (at least
    /// one when there are two or more) is validation; vocabularies come from training pairs only.
    pub fn from_pairs(
        pairs: &[(String, String)],
        source_tokenizer: Tokenizer,
        target_tokenizer: Tokenizer,
        valid_fraction: f64,
    ) -> Self {
        let tokenized: Vec<(Vec<String>, Vec<String>)> = pairs
            .iter()
            .map(|(s, t)| (source_tokenizer.tokenize(s), target_tokenizer.tokenize(t)))
            .collect();
        let valid_len = if pairs.len() >= 2 {
            ((pairs.len() as f64 * valid_fraction.clamp(0.0, 0.5)).round() as usize).max(1)
        } else {
            0
        };
        let train_len = pairs.len() - valid_len;
        let source = Vocab::build(tokenized[..train_len].iter().map(|(s, _)| s.as_slice()));
        let target = Vocab::build(tokenized[..train_len].iter().map(|(_, t)| t.as_slice()));
        let encode = |i: usize| EncodedPair {
            source_text: pairs[i].0.clone(),
            target_text: pairs[i].1.clone(),
            source: source.encode(&tokenized[i].0),
            target: target.encode(&tokenized[i].1),
        };
        let train = (0..train_len).map(encode).collect();
        let valid = (train_len..pairs.len()).map(encode).collect();
        Self {
            vocabularies: Vocabularies {
                source_tokenizer,
                target_tokenizer,
                source,
                target,
            },
            train,
            valid,
        }
    }

    /// Longest target (in tokens) over train and validation.
    pub fn max_target_len(&self) -> usize {
        self.train
            .iter()
            .chain(&self.valid)
            .map(|p| p.target.len())
            .max()
            .unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TaskKind;

    #[test]
    fn same_seed_same_data_and_split_sizes() {
        let config = TaskConfig {
            dataset_size: 100,
            ..TaskConfig::default()
        };
        let a = TaskData::from_task(&config);
        let b = TaskData::from_task(&config);
        assert_eq!(a.train, b.train);
        assert_eq!(a.valid.len(), 10);
        assert_eq!(a.train.len(), 90);
        let first = &a.train[0];
        let reversed: String = first.source_text.chars().rev().collect();
        assert_eq!(first.target_text, reversed);
    }

    #[test]
    fn zh_en_keeps_the_course_example_in_training() {
        let config = TaskConfig {
            kind: TaskKind::ZhEn,
            dataset_size: 400,
            ..TaskConfig::default()
        };
        let data = TaskData::from_task(&config);
        assert!(data.train.iter().any(|p| p.source_text == "我有一支笔"));
        assert_eq!(data.train.len() + data.valid.len(), 400);
    }
}
