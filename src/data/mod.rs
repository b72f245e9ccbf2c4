//! Data: built-in tasks, vocabularies, tokenisation, batching with padding and masks, and the
//! parser for a person's own `source<TAB>target` dataset.
//!
//! Everything here is plain Rust data (no tensors), so the page can draw it as it is.

pub mod batch;
pub mod dataset;
pub mod own_dataset;
pub mod snapshot;
pub mod tasks;
pub mod tokenize;
pub mod user_dataset;
pub mod vocab;

pub use batch::{Batch, Batcher, BatcherPosition};
pub use dataset::{EncodedPair, TaskData};
pub use own_dataset::{DatasetReport, OwnDataset};
pub use snapshot::{
    AttentionView, BeamNodeView, BeamView, EmbeddingTable, MaskView, PlotData, TokenGrid, TokenKind,
};
pub use tasks::{TaskConfig, TaskKind};
pub use tokenize::Tokenizer;
pub use user_dataset::{DatasetError, DatasetLimits, parse_user_dataset};
pub use vocab::{SpecialToken, Vocab};
