//! Training: the run configuration, masked cross-entropy, gradient clipping by global norm, the
//! step loop with Adam and teacher forcing, greedy decoding, validation metrics, checkpoints.

pub mod adam;
pub mod bleu;
pub mod checkpoint;
pub mod chrf;
pub mod clipping;
pub mod compare;
pub mod config;
pub mod crosscheck;
pub mod examples;
pub mod fields;
pub mod generalisation;
pub mod heads;
pub mod loss;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod loss_kernel;
pub mod metrics;
pub mod optimizer;
pub mod plot_data;
pub mod schedule;
pub mod search;
pub mod seeded_init;
pub mod tensors;
pub mod trainer;
pub mod translate;
pub mod weights;

pub use adam::{Adam, AdamSettings, AdamState};
pub use checkpoint::{Checkpoint, CheckpointError};
pub use clipping::clip_by_global_norm;
pub use compare::Comparison;
pub use config::{ConfigError, ModelSettings, RunConfig, TrainSettings};
pub use crosscheck::{CrosscheckStep, crosscheck, crosscheck_runs};
pub use examples::ExampleResult;
pub use generalisation::{Gap, GapNote, gap};
pub use loss::masked_cross_entropy;
pub use metrics::{Evaluation, StepMetrics};
pub use plot_data::PlotExample;
pub use search::Strategy;
pub use tensors::DeviceError;
pub use trainer::Trainer;
pub use translate::{Candidate, Translation};
