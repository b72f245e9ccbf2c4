//! The model, named as the course names it: [`Embedding`](burn::nn::Embedding) ->
//! [`Encoder`] -> [`Attention`] -> [`Decoder`] -> output projection, assembled in
//! [`RnnSeq2Seq`]; or the [`Transformer`] the course leads to. [`Seq2Seq`] is either.

pub mod activation;
pub mod attention;
pub mod cell;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod concat;
pub mod decoder;
pub mod encoder;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod fusion;
pub mod init;
pub mod linear;
pub mod recurrence;
pub mod rnn_seq2seq;
pub mod seq2seq;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod small_matmul;
pub mod stepwise;
pub mod stretches;
pub mod transformer;

pub use attention::{Attention, AttentionConfig, AttentionKind};
pub use cell::{CellKind, CellState, RecurrentCell, RecurrentCellConfig};
pub use decoder::{Decoder, DecoderConfig, DecoderOutput, GreedyOutput};
pub use encoder::{Encoder, EncoderConfig, EncoderOutput};
pub use init::InitKind;
pub use rnn_seq2seq::RnnSeq2Seq;
pub use seq2seq::{ModelKind, SearchState, Seq2Seq, Seq2SeqConfig};
pub use stepwise::{DecoderState, StepOutput};
pub use stretches::Stretches;
pub use transformer::{NormPlacement, PositionKind, Transformer, TransformerConfig};
