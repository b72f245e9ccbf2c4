//! The model, named as the course names it: [`Embedding`](burn::nn::Embedding) ->
//! [`Encoder`] -> [`Attention`] -> [`Decoder`] -> output projection, assembled in [`Seq2Seq`].

pub mod activation;
pub mod attention;
pub mod cell;
pub mod decoder;
pub mod encoder;
pub mod init;
pub mod recurrence;
pub mod seq2seq;
pub mod stepwise;

pub use attention::{Attention, AttentionConfig, AttentionKind};
pub use cell::{CellKind, CellState, RecurrentCell, RecurrentCellConfig};
pub use decoder::{Decoder, DecoderConfig, DecoderOutput, GreedyOutput};
pub use encoder::{Encoder, EncoderConfig, EncoderOutput};
pub use init::InitKind;
pub use seq2seq::{Seq2Seq, Seq2SeqConfig};
pub use stepwise::{DecoderState, StepOutput};
