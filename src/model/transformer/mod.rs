//! The Transformer encoder-decoder the course leads to: self-attention instead of recurrence,
//! positions added to the embeddings, every layer's attention weights kept for the plots.
//!
//! Built from burn's modules ([`MultiHeadAttention`](burn::nn::attention::MultiHeadAttention),
//! [`LayerNorm`](burn::nn::LayerNorm), [`PositionWiseFeedForward`](burn::nn::transformer::PositionWiseFeedForward),
//! [`Embedding`](burn::nn::Embedding)); the layers are written out so that each returns its
//! weights and can put its layer norm before (pre-LN) or after (post-LN) the residual sum. The
//! layer norms and the attentions' cores run with hand-written backward passes on the GPU
//! ([`norm`], [`attention`]).

#[cfg(test)]
use burn::prelude::Tensor;

pub mod attention;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod attention_kernel;
pub mod config;
pub mod dropout;
pub mod layers;
pub mod masks;
pub mod model;
pub mod norm;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod norm_kernel;
pub mod positions;

pub use config::{NormPlacement, PositionKind, TransformerConfig};
pub use layers::{DecoderLayer, EncoderLayer};
pub use masks::Masks;
pub use model::{LayerAttention, Transformer, TransformerOutput, TransformerState};
pub use positions::Positions;

/// Asserts two tensors of any rank hold the same values to a relative 1e-5 (tests of the
/// hand-written backward passes against burn's).
#[cfg(test)]
pub(crate) fn assert_close<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
    let a: Vec<f32> = a.into_data().iter::<f32>().collect();
    let b: Vec<f32> = b.into_data().iter::<f32>().collect();
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}
