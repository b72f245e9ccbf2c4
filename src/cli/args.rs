//! Command-line arguments.

use super::device::DeviceArg;
use crate::data::TaskKind;
use crate::model::{AttentionKind, CellKind, InitKind, ModelKind, NormPlacement, PositionKind};
use crate::train::RunConfig;
use crate::train::config::limits;
use crate::train::optimizer::OptimizerKind;
use crate::train::schedule::ScheduleKind;
use crate::train::search::{self, Strategy};
use crate::train::translate::MAX_OUTPUT_TOKENS;
use crate::viz::PlotName;
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::str::FromStr;
use strum::{EnumMessage, VariantArray};

/// Train and inspect a small seq2seq model with attention (the playground's engine, headless).
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on a task and write a checkpoint.
    Train(Box<TrainArgs>),
    /// Decode an input with a checkpoint and print the attention matrix.
    Translate(TranslateArgs),
    /// Print training steps/s and target tokens/s of the default model.
    Bench(BenchArgs),
    /// Print a task's data (vocabulary sizes, token ids of the train and validation pairs) as
    /// JSON, for peer implementations.
    Dataset(Box<DatasetArgs>),
}

/// A flag that takes one of an enum's names; `--help` lists them with their labels.
fn named<T>() -> impl clap::builder::TypedValueParser<Value = T>
where
    T: VariantArray + EnumMessage + Copy + Into<&'static str> + FromStr + Send + Sync + 'static,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let names = T::VARIANTS.iter().map(|&v| {
        let value = clap::builder::PossibleValue::new(v.into());
        match v.get_message() {
            Some(label) => value.help(label),
            None => value,
        }
    });
    clap::builder::PossibleValuesParser::new(names).try_map(|text| text.parse::<T>())
}

/// `--plots`' help, naming the files from the one list of plots.
fn plots_help() -> String {
    format!(
        "Write the plots ({}) as PNGs into this folder at each validation and at the end",
        PlotName::names().join(", ")
    )
}

/// A flag's help with its valid range, from the one table of limits the validation uses.
fn ranged<T: std::fmt::Display>(what: &str, range: &std::ops::RangeInclusive<T>) -> String {
    format!("{what} ({} to {})", range.start(), range.end())
}

/// Every setting of a run; unset ones keep the config file's or the default value.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// JSON config to start from (same format as the page's).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Task.
    #[arg(long, value_parser = named::<TaskKind>())]
    pub task: Option<TaskKind>,
    /// Shortest source of the symbol tasks (`addition`: fewest digits of a number).
    #[arg(long, help = ranged("Shortest source of the symbol tasks (addition: fewest digits of a number)", &limits::SEQUENCE_LEN))]
    pub min_len: Option<usize>,
    /// Longest source of the symbol tasks (`addition`: most digits of a number).
    #[arg(long, help = ranged("Longest source of the symbol tasks (addition: most digits of a number)", &limits::SEQUENCE_LEN))]
    pub max_len: Option<usize>,
    /// Pairs generated (train + validation).
    #[arg(long, help = ranged("Pairs generated (train + validation)", &limits::DATASET_SIZE))]
    pub dataset_size: Option<usize>,
    /// Share of the pairs kept for validation (the last ones).
    #[arg(long, help = ranged("Share of the pairs kept for validation (the last ones)", &limits::VALID_FRACTION))]
    pub valid_fraction: Option<f64>,
    /// Architecture.
    #[arg(long, value_parser = named::<ModelKind>())]
    pub model: Option<ModelKind>,
    /// Embedding size.
    #[arg(long, help = ranged("Embedding size, the Transformer's d_model", &limits::EMBEDDING_SIZE))]
    pub embedding: Option<usize>,
    /// Hidden size.
    #[arg(long, help = ranged("Hidden size", &limits::HIDDEN_SIZE))]
    pub hidden: Option<usize>,
    /// Recurrent cell.
    #[arg(long, value_parser = named::<CellKind>())]
    pub cell: Option<CellKind>,
    /// Layers on each side.
    #[arg(long, help = format!("{}; an RNN stacks at most {}", ranged("Layers on each side", &limits::LAYERS), limits::RNN_LAYERS))]
    pub layers: Option<usize>,
    /// Attention.
    #[arg(long, value_parser = named::<AttentionKind>())]
    pub attention: Option<AttentionKind>,
    /// Initialisation.
    #[arg(long, value_parser = named::<InitKind>())]
    pub init: Option<InitKind>,
    /// Transformer attention heads.
    #[arg(long, help = ranged("Transformer attention heads, dividing the embedding size", &limits::HEADS))]
    pub heads: Option<usize>,
    /// Transformer feed-forward size.
    #[arg(long, help = ranged("Transformer feed-forward size", &limits::FF_SIZE))]
    pub ff_size: Option<usize>,
    /// Transformer dropout while training.
    #[arg(long, help = ranged("Transformer dropout while training, 0 = off", &limits::DROPOUT))]
    pub dropout: Option<f64>,
    /// Transformer layer norm placement.
    #[arg(long, value_parser = named::<NormPlacement>())]
    pub norm: Option<NormPlacement>,
    /// Transformer positional encoding.
    #[arg(long, value_parser = named::<PositionKind>())]
    pub positions: Option<PositionKind>,
    /// Transformer: the output projection is the target embedding's transpose.
    #[arg(long)]
    pub tied_embeddings: bool,
    /// Adam learning rate.
    #[arg(long, help = ranged("Adam learning rate", &limits::LEARNING_RATE))]
    pub lr: Option<f64>,
    /// Sequences per step.
    #[arg(long, help = ranged("Sequences per step", &limits::BATCH_SIZE))]
    pub batch_size: Option<usize>,
    /// Teacher-forcing ratio.
    #[arg(long, help = ranged("Teacher-forcing ratio", &limits::TEACHER_FORCING))]
    pub teacher_forcing: Option<f64>,
    /// Gradient clipping by global norm (0 = off).
    #[arg(long, help = ranged("Gradient clipping by global norm, 0 = off", &limits::CLIP_NORM))]
    pub clip_norm: Option<f64>,
    /// Optimiser.
    #[arg(long, value_parser = named::<OptimizerKind>())]
    pub optimizer: Option<OptimizerKind>,
    /// SGD momentum.
    #[arg(long, help = ranged("SGD momentum", &limits::MOMENTUM))]
    pub momentum: Option<f64>,
    /// Weight decay.
    #[arg(long, help = ranged("Weight decay (L2 for Adam and SGD, decoupled for AdamW), 0 = off", &limits::WEIGHT_DECAY))]
    pub weight_decay: Option<f64>,
    /// Learning-rate schedule.
    #[arg(long, value_parser = named::<ScheduleKind>())]
    pub schedule: Option<ScheduleKind>,
    /// Warm-up steps.
    #[arg(long, help = ranged("Warm-up steps of the warm-up schedules", &limits::WARMUP_STEPS))]
    pub warmup_steps: Option<usize>,
    /// Decay steps.
    #[arg(long, help = ranged("The cosine's length after warm-up; the step schedule's period", &limits::DECAY_STEPS))]
    pub decay_steps: Option<usize>,
    /// Label smoothing.
    #[arg(long, help = ranged("Label smoothing, 0 = off", &limits::LABEL_SMOOTHING))]
    pub label_smoothing: Option<f64>,
    /// Seed of data, weights and batches.
    #[arg(long, help = ranged("Seed of data, weights and batches", &limits::SEED))]
    pub seed: Option<u64>,
}

impl RunArgs {
    /// The config these arguments describe, validated.
    pub fn to_config(&self) -> Result<RunConfig, String> {
        let mut config = match &self.config {
            Some(path) => {
                let json = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                serde_json::from_str(&json).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => RunConfig::default(),
        };
        let (t, m, r) = (&mut config.task, &mut config.model, &mut config.train);
        macro_rules! set {
            ($($field:expr => $value:expr),* $(,)?) => { $(if let Some(v) = $value { $field = v; })* };
        }
        set!(
            t.kind => self.task, t.min_len => self.min_len, t.max_len => self.max_len,
            t.dataset_size => self.dataset_size, t.valid_fraction => self.valid_fraction,
            m.embedding_size => self.embedding,
            m.hidden_size => self.hidden, m.cell => self.cell, m.layers => self.layers,
            m.attention => self.attention, m.init => self.init, r.learning_rate => self.lr,
            m.kind => self.model, m.heads => self.heads, m.ff_size => self.ff_size,
            m.dropout => self.dropout, m.norm => self.norm, m.positions => self.positions,
            r.batch_size => self.batch_size, r.teacher_forcing => self.teacher_forcing,
            r.clip_norm => self.clip_norm, r.optimizer => self.optimizer,
            r.momentum => self.momentum, r.weight_decay => self.weight_decay,
            r.schedule => self.schedule, r.warmup_steps => self.warmup_steps,
            r.decay_steps => self.decay_steps, r.label_smoothing => self.label_smoothing,
        );
        if self.tied_embeddings {
            m.tied_embeddings = true;
        }
        if let Some(seed) = self.seed {
            t.seed = seed;
            r.seed = seed;
        }
        config.validate().map_err(config_errors)?;
        Ok(config)
    }

    /// A note for each flag given that `config`'s task does not read (`--min-len` with `dates`:
    /// its pairs have lengths of their own), as the page turns those controls off.
    pub fn unused_flag_notes(&self, config: &RunConfig) -> Vec<String> {
        let task = config.task.kind;
        [
            ("--min-len", "task.min_len", self.min_len.is_some()),
            ("--max-len", "task.max_len", self.max_len.is_some()),
        ]
        .into_iter()
        .filter(|&(_, path, given)| given && task.unused_settings().contains(&path))
        .map(|(flag, _, _)| {
            let why = task.get_detailed_message().unwrap_or("it does not read it");
            format!(
                "note: {flag} is not used by the {} task ({why})",
                <&str>::from(task)
            )
        })
        .collect()
    }
}

/// Refused config values as one line for the terminal.
pub fn config_errors(errors: Vec<crate::train::ConfigError>) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `train` arguments.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The run's settings.
    #[command(flatten)]
    pub run: RunArgs,
    /// Go on with the run saved in this file (by `train` or the page's Save) instead of starting
    /// a new one; its own settings are used and the run settings above must not be given.
    #[arg(long, conflicts_with_all = ["config", "task", "min_len", "max_len", "dataset_size", "valid_fraction", "model", "embedding", "hidden", "cell", "layers", "attention", "init", "heads", "ff_size", "dropout", "norm", "positions", "tied_embeddings", "lr", "batch_size", "teacher_forcing", "clip_norm", "optimizer", "momentum", "weight_decay", "schedule", "warmup_steps", "decay_steps", "label_smoothing", "seed", "data"])]
    pub resume: Option<PathBuf>,
    /// Train on your own `source<TAB>target` file instead of a task (the page's parser and
    /// limits: every refused line is reported by number and reason, the good ones are used).
    #[arg(long, conflicts_with_all = ["task", "min_len", "max_len", "dataset_size"])]
    pub data: Option<PathBuf>,
    /// Where to train: cpu (burn flex) or wgpu (needs the `wgpu` feature). A checkpoint written
    /// on one loads on the other and in the page.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// Train until this step count (a resumed run counts from its saved step).
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Validate with beam search of this width instead of greedy decoding (length
    /// normalisation 0.6).
    #[arg(long, help = ranged("Validate with beam search of this width instead of greedy decoding", &search::WIDTH))]
    pub valid_beam: Option<usize>,
    /// Validate every this many steps.
    #[arg(long, default_value_t = 250)]
    pub eval_every: usize,
    /// Checkpoint written at the end.
    #[arg(long, default_value = "checkpoints/model.s2s")]
    pub checkpoint: PathBuf,
    /// Write the plots as PNGs into this folder at each validation and at the end.
    #[arg(long, help = plots_help())]
    pub plots: Option<PathBuf>,
}

/// `translate` arguments.
#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// Checkpoint written by `train`.
    #[arg(long, default_value = "checkpoints/model.s2s")]
    pub checkpoint: PathBuf,
    /// Where to decode: cpu (burn flex) or wgpu (needs the `wgpu` feature).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// The input to decode.
    pub input: String,
    /// Beam search with this many hypotheses instead of greedy decoding.
    #[arg(long, conflicts_with = "sample", help = ranged("Beam search with this many hypotheses instead of greedy decoding", &search::WIDTH))]
    pub beam: Option<usize>,
    /// Beam search's length normalisation.
    #[arg(long, default_value_t = 0.6, help = ranged("Beam search's length normalisation alpha, GNMT's ((5 + len) / 6)^alpha; 0 ranks by raw log-probability", &search::ALPHA))]
    pub alpha: f64,
    /// Print this many of the beam's best hypotheses, with their scores.
    #[arg(long, default_value_t = 1)]
    pub nbest: usize,
    /// Draw the output from the model's distribution instead of taking the likeliest tokens.
    #[arg(long)]
    pub sample: bool,
    /// Sampling temperature.
    #[arg(long, default_value_t = 1.0, help = ranged("Sampling temperature: above 1 flatter, below 1 sharper", &search::TEMPERATURE))]
    pub temperature: f64,
    /// Sample among the k likeliest tokens only (0 = all).
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Seed of the sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// At most this many output tokens (EOS included); unset: as long as the data suggests.
    #[arg(long, help = ranged("At most this many output tokens, <eos> included (unset: as long as the data suggests)", &(1..=MAX_OUTPUT_TOKENS)))]
    pub max_len: Option<usize>,
}

impl TranslateArgs {
    /// The decoding strategy these arguments ask for, checked against its ranges.
    pub fn strategy(&self) -> Result<Strategy, String> {
        let strategy = match (self.beam, self.sample) {
            (Some(width), _) => Strategy::Beam {
                width,
                alpha: self.alpha,
            },
            (None, true) => Strategy::Sample {
                temperature: self.temperature,
                top_k: self.top_k,
                seed: self.seed,
            },
            (None, false) => Strategy::Greedy,
        };
        strategy
            .check()
            .map_err(|e| format!("--{e}").replace("--beam width", "--beam"))?;
        if let Some(max_len) = self
            .max_len
            .filter(|n| !(1..=MAX_OUTPUT_TOKENS).contains(n))
        {
            return Err(format!(
                "--max-len {max_len}: must be between 1 and {MAX_OUTPUT_TOKENS}"
            ));
        }
        Ok(strategy)
    }
}

/// `dataset` arguments.
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// The run's settings (only the task's are used).
    #[command(flatten)]
    pub run: RunArgs,
}

/// The model `bench` trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchModel {
    /// Batch 32, embedding 32, hidden 64 (the page's default sizes).
    Default,
    /// Batch 256, embedding 128, hidden 512.
    Large,
    /// The Transformer: batch 32, d_model 64, 2 layers each side, 4 heads, feed-forward 128, no
    /// dropout.
    Transformer,
}

/// `bench` arguments.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Where to train: cpu (burn flex) or wgpu (needs the `wgpu` feature).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// Which model sizes.
    #[arg(long, value_enum, default_value_t = BenchModel::Default)]
    pub model: BenchModel,
    /// Recurrent cell instead of the model's GRU.
    #[arg(long, value_parser = named::<CellKind>())]
    pub cell: Option<CellKind>,
    /// Attention instead of the model's additive.
    #[arg(long, value_parser = named::<AttentionKind>())]
    pub attention: Option<AttentionKind>,
    /// Dropout instead of the model's (the Transformer's bench model has none, as its PyTorch
    /// twin; the page's default is 0.1).
    #[arg(long, help = ranged("Dropout instead of the model's (the Transformer's bench model has none; the page's default is 0.1)", &limits::DROPOUT))]
    pub dropout: Option<f64>,
    /// Batch size instead of the model's.
    #[arg(long, help = ranged("Batch size instead of the model's", &limits::BATCH_SIZE))]
    pub batch: Option<usize>,
    /// Hidden size instead of the model's (the recurrent models').
    #[arg(long, help = ranged("Hidden size instead of the model's (the recurrent models')", &limits::HIDDEN_SIZE))]
    pub hidden: Option<usize>,
    /// Also count GPU kernel launches per step, by kind (wgpu; from cubecl's profiler log).
    #[arg(long)]
    pub count_launches: bool,
    /// With `--device wgpu`: let a shader bind at most this many storage buffers, as a
    /// browser's WebGPU does (Chromium gives the page 10). burn's fusion then fuses what it
    /// fuses in the page; native adapters allow far more.
    #[arg(long, value_parser = clap::value_parser!(u32).range(4..))]
    pub storage_buffers: Option<u32>,
    /// With `--device wgpu`: batch rows each cube of the recurrent kernels takes instead of the
    /// choice by batch size (same results; measures how the work is best shared out on a GPU).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub rows_per_cube: Option<u32>,
    /// Before timing, train this many steps with plain SGD from the same weights on the CPU and
    /// on `--device`, and print how far every weight is apart after each (with SGD a weight
    /// moves by the learning rate times its gradient, so a wrong gradient shows).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub crosscheck: Option<u32>,
    /// Timed steps.
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Untimed warm-up steps.
    #[arg(long, default_value_t = 10)]
    pub warmup: usize,
    /// Print one JSON line instead of text.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_lists_every_range_from_the_limits() {
        let mut command = Cli::command();
        let train = command
            .find_subcommand_mut("train")
            .expect("a train command");
        let help = train.render_long_help().to_string();
        for expected in [
            format!(
                "Hidden size ({} to {})",
                limits::HIDDEN_SIZE.start(),
                limits::HIDDEN_SIZE.end()
            ),
            "Layers on each side (1 to 4); an RNN stacks at most 2".to_string(),
            "Transformer attention heads, dividing the embedding size (1 to 16)".to_string(),
            "pre-LN (norm, sublayer, add)".to_string(),
            "warm-up, then 1/sqrt(step) (the Transformer paper's)".to_string(),
            "Label smoothing, 0 = off (0 to 0.5)".to_string(),
            "Sequences per step (1 to 512)".to_string(),
            "Adam learning rate (0.000001 to 10)".to_string(),
            "Longest source of the symbol tasks (addition: most digits of a number) (1 to 64)"
                .to_string(),
            "Share of the pairs kept for validation (the last ones) (0.01 to 0.5)".to_string(),
            "Seed of data, weights and batches (0 to 4294967295)".to_string(),
            "additive (Bahdanau)".to_string(),
            "Chinese → English".to_string(),
            "addition".to_string(),
            "embedding-3d, attention, padding-mask, curves".to_string(),
        ] {
            assert!(
                help.contains(&expected),
                "`{expected}` missing from:\n{help}"
            );
        }
    }
}
