//! The run configuration: one serde struct holds every choice (task, model, training), and
//! [`RunConfig::validate`] says which values are out of range and why.

use super::optimizer::OptimizerKind;
use super::schedule::ScheduleKind;
use crate::data::TaskConfig;
use crate::model::{
    AttentionKind, CellKind, InitKind, ModelKind, NormPlacement, PositionKind, Seq2SeqConfig,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Architecture choices (vocabulary sizes come from the data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSettings {
    /// RNN encoder-decoder or Transformer.
    pub kind: ModelKind,
    /// Embedding size (the Transformer's `d_model`).
    pub embedding_size: usize,
    /// Hidden state size (RNN).
    pub hidden_size: usize,
    /// Recurrent cell (RNN).
    pub cell: CellKind,
    /// Stacked layers on each side (RNN at most 2).
    pub layers: usize,
    /// Attention scoring (RNN).
    pub attention: AttentionKind,
    /// Weight initialisation.
    pub init: InitKind,
    /// Attention heads (Transformer; must divide the embedding size).
    pub heads: usize,
    /// Feed-forward inner size (Transformer).
    pub ff_size: usize,
    /// Dropout while training (Transformer).
    pub dropout: f64,
    /// Layer norm before or after each sublayer (Transformer).
    pub norm: NormPlacement,
    /// Positional encoding (Transformer).
    pub positions: PositionKind,
    /// Output projection tied to the target embedding (Transformer).
    pub tied_embeddings: bool,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            kind: ModelKind::Rnn,
            embedding_size: 32,
            hidden_size: 64,
            cell: CellKind::Gru,
            layers: 1,
            attention: AttentionKind::Additive,
            init: InitKind::Xavier,
            heads: 4,
            ff_size: 128,
            dropout: 0.1,
            norm: NormPlacement::Pre,
            positions: PositionKind::Sinusoidal,
            tied_embeddings: false,
        }
    }
}

impl ModelSettings {
    /// The burn model config for the given vocabulary sizes.
    pub fn seq2seq(&self, source_vocab_size: usize, target_vocab_size: usize) -> Seq2SeqConfig {
        Seq2SeqConfig::new(source_vocab_size, target_vocab_size)
            .with_kind(self.kind)
            .with_embedding_size(self.embedding_size)
            .with_hidden_size(self.hidden_size)
            .with_cell(self.cell)
            .with_layers(self.layers)
            .with_attention(self.attention)
            .with_init(self.init)
            .with_heads(self.heads)
            .with_ff_size(self.ff_size)
            .with_dropout(self.dropout)
            .with_norm(self.norm)
            .with_positions(self.positions)
            .with_tied_embeddings(self.tied_embeddings)
    }
}

/// Optimisation choices; all can change between steps without losing progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSettings {
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Sequences per step.
    pub batch_size: usize,
    /// Teacher-forcing ratio (scheduled sampling): the probability that each decoder position of
    /// each sequence reads the true previous token rather than its own previous guess.
    pub teacher_forcing: f64,
    /// Gradients are scaled down so their global L2 norm is at most this; 0 turns clipping off.
    pub clip_norm: f64,
    /// Seed of the weights, the batch order and the teacher-forcing draws.
    pub seed: u64,
    /// The optimiser (changing it starts its moments afresh).
    pub optimizer: OptimizerKind,
    /// SGD's momentum.
    pub momentum: f64,
    /// Weight decay: L2 for Adam and SGD, decoupled for AdamW (0 = none).
    pub weight_decay: f64,
    /// How the learning rate changes over the run (`learning_rate` is its base).
    pub schedule: ScheduleKind,
    /// Warm-up steps of the warm-up schedules.
    pub warmup_steps: usize,
    /// The cosine's length after warm-up; the step schedule's period.
    pub decay_steps: usize,
    /// Label smoothing: the target's share given evenly to every token (0 = none).
    pub label_smoothing: f64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            learning_rate: 0.005,
            batch_size: 32,
            teacher_forcing: 1.0,
            clip_norm: 1.0,
            seed: 7,
            optimizer: OptimizerKind::Adam,
            momentum: 0.9,
            weight_decay: 0.0,
            schedule: ScheduleKind::Constant,
            warmup_steps: 200,
            decay_steps: 2000,
            label_smoothing: 0.0,
        }
    }
}

/// Everything that defines a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Task and data.
    pub task: TaskConfig,
    /// Architecture.
    pub model: ModelSettings,
    /// Optimisation.
    pub train: TrainSettings,
}

/// A value out of its valid range, named by its path in the config (`train.learning_rate`).
#[derive(Debug, Clone, PartialEq, Error, Serialize)]
#[error("{field} = {value}: {reason}")]
pub struct ConfigError {
    /// Dotted path of the field.
    pub field: String,
    /// The refused value.
    pub value: String,
    /// Why, with the valid range.
    pub reason: String,
}

/// Valid ranges, read by the table of fields ([`super::fields`]) that validation, the CLI's help
/// and the page's controls ([`crate::controls`]) share.
pub mod limits {
    use std::ops::RangeInclusive;
    /// Embedding size.
    pub const EMBEDDING_SIZE: RangeInclusive<usize> = 2..=256;
    /// Hidden size.
    pub const HIDDEN_SIZE: RangeInclusive<usize> = 2..=512;
    /// Layers on each side (the Transformer's range; an RNN stacks at most
    /// [`RNN_LAYERS`]).
    pub const LAYERS: RangeInclusive<usize> = 1..=4;
    /// Layers of an RNN encoder or decoder.
    pub const RNN_LAYERS: usize = 2;
    /// Transformer attention heads.
    pub const HEADS: RangeInclusive<usize> = 1..=16;
    /// Transformer feed-forward size.
    pub const FF_SIZE: RangeInclusive<usize> = 2..=1024;
    /// Dropout probability.
    pub const DROPOUT: RangeInclusive<f64> = 0.0..=0.9;
    /// Learning rate.
    pub const LEARNING_RATE: RangeInclusive<f64> = 1e-6..=10.0;
    /// Batch size.
    pub const BATCH_SIZE: RangeInclusive<usize> = 1..=512;
    /// Teacher-forcing ratio.
    pub const TEACHER_FORCING: RangeInclusive<f64> = 0.0..=1.0;
    /// Clip norm (0 = off).
    pub const CLIP_NORM: RangeInclusive<f64> = 0.0..=1000.0;
    /// Symbol sequence length.
    pub const SEQUENCE_LEN: RangeInclusive<usize> = 1..=64;
    /// Dataset size.
    pub const DATASET_SIZE: RangeInclusive<usize> = 10..=100_000;
    /// Validation share.
    pub const VALID_FRACTION: RangeInclusive<f64> = 0.01..=0.5;
    /// SGD momentum.
    pub const MOMENTUM: RangeInclusive<f64> = 0.0..=0.999;
    /// Weight decay.
    pub const WEIGHT_DECAY: RangeInclusive<f64> = 0.0..=1.0;
    /// Warm-up steps.
    pub const WARMUP_STEPS: RangeInclusive<usize> = 0..=100_000;
    /// Decay steps.
    pub const DECAY_STEPS: RangeInclusive<usize> = 1..=1_000_000;
    /// Label smoothing.
    pub const LABEL_SMOOTHING: RangeInclusive<f64> = 0.0..=0.5;
    /// Seed: what a page's number input holds exactly (JavaScript numbers are doubles).
    pub const SEED: RangeInclusive<u64> = 0..=u32::MAX as u64;
}

impl RunConfig {
    /// Every out-of-range value, or `Ok` when the run can start. The ranges are
    /// [`RUN_NUMBERS`](super::fields::RUN_NUMBERS), the table the page and `--help` read.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        if self.task.min_len > self.task.max_len {
            errors.push(ConfigError {
                field: "task.min_len".into(),
                value: self.task.min_len.to_string(),
                reason: format!("must not exceed task.max_len ({})", self.task.max_len),
            });
        }
        let model = &self.model;
        // (a count outside every architecture's range is reported by the table below)
        if model.kind == ModelKind::Rnn
            && model.layers > limits::RNN_LAYERS
            && limits::LAYERS.contains(&model.layers)
        {
            errors.push(ConfigError {
                field: "model.layers".into(),
                value: model.layers.to_string(),
                reason: format!(
                    "an RNN encoder-decoder stacks at most {} layers (a Transformer up to {})",
                    limits::RNN_LAYERS,
                    limits::LAYERS.end()
                ),
            });
        }
        if model.kind == ModelKind::Transformer
            && model.heads > 0
            && !model.embedding_size.is_multiple_of(model.heads)
        {
            errors.push(ConfigError {
                field: "model.heads".into(),
                value: model.heads.to_string(),
                reason: format!(
                    "must divide the embedding size ({}): each head reads an equal share",
                    model.embedding_size
                ),
            });
        }
        for field in &super::fields::RUN_NUMBERS {
            let value = (field.read)(self);
            if !field.allows(value) {
                errors.push(ConfigError {
                    field: field.path.to_string(),
                    value: value.to_string(),
                    reason: format!("must be between {} and {}", field.min, field.max),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Parses a JSON config (missing fields take their defaults) and validates it.
    pub fn from_json(json: &str) -> Result<Self, Vec<ConfigError>> {
        let config: Self = serde_json::from_str(json).map_err(|e| {
            vec![ConfigError {
                field: "config".into(),
                value: String::new(),
                reason: format!("not a valid config: {e}"),
            }]
        })?;
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_the_default_model_is_the_benchmarked_one() {
        let config = RunConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.model.embedding_size, 32);
        assert_eq!(config.model.hidden_size, 64);
        assert_eq!(config.train.batch_size, 32);
    }

    #[test]
    fn out_of_range_values_are_named() {
        let mut config = RunConfig::default();
        config.train.learning_rate = 0.0;
        config.model.layers = 3;
        config.task.min_len = 9;
        let errors = config.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["task.min_len", "model.layers", "train.learning_rate"]
        );
        assert_eq!(
            errors[1].to_string(),
            "model.layers = 3: an RNN encoder-decoder stacks at most 2 layers (a Transformer up to 4)"
        );
    }

    #[test]
    fn json_fills_defaults_and_refuses_unknown_fields() {
        let config = RunConfig::from_json(r#"{"model":{"attention":"dot"}}"#).unwrap();
        assert_eq!(config.model.attention, AttentionKind::Dot);
        assert_eq!(config.train, TrainSettings::default());
        let errors = RunConfig::from_json(r#"{"model":{"atention":"dot"}}"#).unwrap_err();
        assert!(errors[0].reason.contains("unknown field"), "{errors:?}");
    }
}
