//! The Transformer encoder-decoder the course leads to: self-attention instead of recurrence,
//! positions added to the embeddings, every layer's attention weights kept for the plots.
//!
//! Built from burn's modules ([`MultiHeadAttention`](burn::nn::attention::MultiHeadAttention),
//! [`LayerNorm`](burn::nn::LayerNorm), [`PositionWiseFeedForward`](burn::nn::transformer::PositionWiseFeedForward),
//! [`Embedding`](burn::nn::Embedding)); the layers are written out so that each returns its
//! weights and can put its layer norm before (pre-LN) or after (post-LN) the residual sum. The
//! layer norms run with a hand-written backward pass ([`norm`]).

pub mod config;
pub mod layers;
pub mod masks;
pub mod model;
pub mod norm;
pub mod positions;

pub use config::{NormPlacement, PositionKind, TransformerConfig};
pub use layers::{DecoderLayer, EncoderLayer};
pub use masks::Masks;
pub use model::{LayerAttention, Transformer, TransformerOutput, TransformerState};
pub use positions::Positions;
