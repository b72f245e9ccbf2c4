//! The numeric fields of a [`RunConfig`] as one table: path, range, whether whole, what 0
//! means. The validation ([`RunConfig::validate`]) checks every value against it and the page's
//! controls take their ranges from it ([`crate::controls`]).

use super::config::{RunConfig, limits};

/// A numeric field of a [`RunConfig`]: where it lives, its range, and how to read it.
#[derive(Debug, Clone, Copy)]
pub struct NumberField {
    /// Dotted path in the config (`train.learning_rate`), as the page's controls name it.
    pub path: &'static str,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// Whole numbers only.
    pub whole: bool,
    /// What 0 means when it is a switch rather than a size ("off").
    pub zero_means: Option<&'static str>,
    /// Reads the field from a config.
    pub read: fn(&RunConfig) -> f64,
}

impl NumberField {
    /// Whether `value` is in range.
    pub fn allows(&self, value: f64) -> bool {
        value >= self.min && value <= self.max
    }
}

const fn whole(range: &std::ops::RangeInclusive<usize>) -> (f64, f64) {
    (*range.start() as f64, *range.end() as f64)
}

const fn real(range: &std::ops::RangeInclusive<f64>) -> (f64, f64) {
    (*range.start(), *range.end())
}

macro_rules! field {
    ($path:literal, $range:expr, $whole:expr, $zero:expr, |$c:ident| $read:expr) => {
        NumberField {
            path: $path,
            min: $range.0,
            max: $range.1,
            whole: $whole,
            zero_means: $zero,
            read: |$c: &RunConfig| $read as f64,
        }
    };
}

/// Every numeric field of a run, in the order validation reports them.
pub const RUN_NUMBERS: [NumberField; 20] = [
    field!(
        "task.min_len",
        whole(&limits::SEQUENCE_LEN),
        true,
        None,
        |c| c.task.min_len
    ),
    field!(
        "task.max_len",
        whole(&limits::SEQUENCE_LEN),
        true,
        None,
        |c| c.task.max_len
    ),
    field!(
        "task.dataset_size",
        whole(&limits::DATASET_SIZE),
        true,
        None,
        |c| c.task.dataset_size
    ),
    field!(
        "task.valid_fraction",
        real(&limits::VALID_FRACTION),
        false,
        None,
        |c| c.task.valid_fraction
    ),
    field!(
        "model.embedding_size",
        whole(&limits::EMBEDDING_SIZE),
        true,
        None,
        |c| c.model.embedding_size
    ),
    field!(
        "model.hidden_size",
        whole(&limits::HIDDEN_SIZE),
        true,
        None,
        |c| c.model.hidden_size
    ),
    field!("model.layers", whole(&limits::LAYERS), true, None, |c| c
        .model
        .layers),
    field!("model.heads", whole(&limits::HEADS), true, None, |c| c
        .model
        .heads),
    field!("model.ff_size", whole(&limits::FF_SIZE), true, None, |c| c
        .model
        .ff_size),
    field!(
        "model.dropout",
        real(&limits::DROPOUT),
        false,
        Some("off"),
        |c| c.model.dropout
    ),
    field!(
        "train.learning_rate",
        real(&limits::LEARNING_RATE),
        false,
        None,
        |c| c.train.learning_rate
    ),
    field!(
        "train.batch_size",
        whole(&limits::BATCH_SIZE),
        true,
        None,
        |c| c.train.batch_size
    ),
    field!(
        "train.teacher_forcing",
        real(&limits::TEACHER_FORCING),
        false,
        None,
        |c| c.train.teacher_forcing
    ),
    field!(
        "train.clip_norm",
        real(&limits::CLIP_NORM),
        false,
        Some("off"),
        |c| c.train.clip_norm
    ),
    field!(
        "train.momentum",
        real(&limits::MOMENTUM),
        false,
        None,
        |c| c.train.momentum
    ),
    field!(
        "train.weight_decay",
        real(&limits::WEIGHT_DECAY),
        false,
        Some("off"),
        |c| c.train.weight_decay
    ),
    field!(
        "train.warmup_steps",
        whole(&limits::WARMUP_STEPS),
        true,
        None,
        |c| c.train.warmup_steps
    ),
    field!(
        "train.decay_steps",
        whole(&limits::DECAY_STEPS),
        true,
        None,
        |c| c.train.decay_steps
    ),
    field!(
        "train.label_smoothing",
        real(&limits::LABEL_SMOOTHING),
        false,
        Some("off"),
        |c| c.train.label_smoothing
    ),
    field!(
        "train.seed",
        (*limits::SEED.start() as f64, *limits::SEED.end() as f64),
        true,
        None,
        |c| c.train.seed
    ),
];
