//! One encoder layer (self-attention, feed-forward) and one decoder layer (masked
//! self-attention, cross-attention, feed-forward), each sublayer wrapped in a residual sum and a
//! layer norm placed before or after it.

use super::NormPlacement;
use super::attention::attend;
use super::dropout::dropout;
use super::norm::{layer_norm, layer_norm_init};
use crate::model::InitKind;
use crate::model::linear;
use burn::nn::attention::{MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::transformer::{PositionWiseFeedForward, PositionWiseFeedForwardConfig};
use burn::nn::{Dropout, DropoutConfig, LayerNorm};
use burn::prelude::*;

/// Configuration of an [`EncoderLayer`].
#[derive(Config, Debug)]
pub struct EncoderLayerConfig {
    /// Token vector width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Feed-forward inner size.
    pub ff_size: usize,
    /// Dropout (training only).
    #[config(default = 0.1)]
    pub dropout: f64,
    /// Norm before or after each sublayer.
    #[config(default = "NormPlacement::Pre")]
    pub norm: NormPlacement,
    /// Weight initialisation.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
}

/// Configuration of a [`DecoderLayer`] (the same choices as an encoder layer).
pub type DecoderLayerConfig = EncoderLayerConfig;

impl EncoderLayerConfig {
    fn attention(&self, device: &Device) -> MultiHeadAttention {
        MultiHeadAttentionConfig::new(self.d_model, self.heads)
            .with_dropout(self.dropout)
            .with_initializer(self.init.initializer())
            .init(device)
    }

    fn block(&self, device: &Device) -> Block {
        Block {
            norm: layer_norm_init(self.d_model, device),
            dropout: DropoutConfig::new(self.dropout).init(),
            pre_norm: self.norm == NormPlacement::Pre,
        }
    }

    fn feed_forward(&self, device: &Device) -> PositionWiseFeedForward {
        PositionWiseFeedForwardConfig::new(self.d_model, self.ff_size)
            .with_dropout(self.dropout)
            .with_initializer(self.init.initializer())
            .init(device)
    }

    /// Builds an encoder layer on `device`.
    pub fn init(&self, device: &Device) -> EncoderLayer {
        EncoderLayer {
            self_attention: self.attention(device),
            attention_block: self.block(device),
            feed_forward: self.feed_forward(device),
            feed_forward_block: self.block(device),
        }
    }

    /// Builds a decoder layer on `device`.
    pub fn init_decoder(&self, device: &Device) -> DecoderLayer {
        DecoderLayer {
            self_attention: self.attention(device),
            self_attention_block: self.block(device),
            cross_attention: self.attention(device),
            cross_attention_block: self.block(device),
            feed_forward: self.feed_forward(device),
            feed_forward_block: self.block(device),
        }
    }
}

/// The residual wrapper of one sublayer: its layer norm, its dropout and where the norm sits.
#[derive(Module, Debug)]
pub struct Block {
    /// The sublayer's layer norm.
    pub norm: LayerNorm,
    /// Dropout on the sublayer's output.
    pub dropout: Dropout,
    /// Norm before the sublayer (pre-LN) rather than after the sum (post-LN).
    pub pre_norm: bool,
}

impl Block {
    /// `x + sublayer(norm(x))` (pre-LN) or `norm(x + sublayer(x))` (post-LN); the sublayer's
    /// second result (attention weights) is passed through.
    fn wrap<T>(
        &self,
        x: Tensor<3>,
        sublayer: impl FnOnce(Tensor<3>) -> (Tensor<3>, T),
    ) -> (Tensor<3>, T) {
        if self.pre_norm {
            let (out, extra) = sublayer(layer_norm(&self.norm, x.clone()));
            (x + dropout(&self.dropout, out), extra)
        } else {
            let (out, extra) = sublayer(x.clone());
            (
                layer_norm(&self.norm, x + dropout(&self.dropout, out)),
                extra,
            )
        }
    }
}

/// `block` applied to `x` `[batch, len, d_model]`, as `PositionWiseFeedForward::forward`
/// computes it, with its linear layers' backward passes as one kernel each on the GPU
/// ([`linear`](crate::model::linear)).
fn feed_forward(block: &PositionWiseFeedForward, x: Tensor<3>) -> Tensor<3> {
    let hidden = block
        .activation
        .forward(linear::forward(&block.linear_inner, x));
    linear::forward(&block.linear_outer, dropout(&block.dropout, hidden))
}

/// Self-attention over the source, then a position-wise feed-forward block.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    /// Every source position attends to every real source position.
    pub self_attention: MultiHeadAttention,
    /// Its residual wrapper.
    pub attention_block: Block,
    /// Two linear layers with a GELU between, the same at every position.
    pub feed_forward: PositionWiseFeedForward,
    /// Its residual wrapper.
    pub feed_forward_block: Block,
}

impl EncoderLayer {
    /// `x` `[batch, source_len, d_model]`, `source_pad` `[batch, source_len]` (true = PAD):
    /// the new states and the attention weights `[batch, heads, source_len, source_len]`.
    pub fn forward(&self, x: Tensor<3>, source_pad: Tensor<2, Bool>) -> (Tensor<3>, Tensor<4>) {
        let (x, weights) = self.attention_block.wrap(x, |h| {
            attend(
                &self.self_attention,
                h.clone(),
                h.clone(),
                h,
                Some(source_pad),
                None,
            )
        });
        let (x, ()) = self
            .feed_forward_block
            .wrap(x, |h| (feed_forward(&self.feed_forward, h), ()));
        (x, weights)
    }
}

/// Masked self-attention over the target so far, cross-attention to the source, feed-forward.
#[derive(Module, Debug)]
pub struct DecoderLayer {
    /// Each target position attends to itself and the real positions before it.
    pub self_attention: MultiHeadAttention,
    /// Its residual wrapper.
    pub self_attention_block: Block,
    /// Each target position attends to the real source positions.
    pub cross_attention: MultiHeadAttention,
    /// Its residual wrapper.
    pub cross_attention_block: Block,
    /// The position-wise feed-forward block.
    pub feed_forward: PositionWiseFeedForward,
    /// Its residual wrapper.
    pub feed_forward_block: Block,
}

/// The attention weights of one decoder layer.
#[derive(Debug, Clone)]
pub struct DecoderWeights {
    /// Masked self-attention `[batch, heads, target_len, target_len]`.
    pub self_attention: Tensor<4>,
    /// Cross-attention `[batch, heads, target_len, source_len]`.
    pub cross: Tensor<4>,
}

impl DecoderLayer {
    /// `y` `[batch, target_len, d_model]`, the encoder's output `memory`, the decoder's
    /// self-attention mask `target_blocked` `[batch, target_len, target_len]` (true = blocked:
    /// a later position or PAD) and `source_pad` `[batch, source_len]`.
    pub fn forward(
        &self,
        y: Tensor<3>,
        memory: Tensor<3>,
        target_blocked: Tensor<3, Bool>,
        source_pad: Tensor<2, Bool>,
    ) -> (Tensor<3>, DecoderWeights) {
        let (y, self_weights) = self.self_attention_block.wrap(y, |h| {
            attend(
                &self.self_attention,
                h.clone(),
                h.clone(),
                h,
                None,
                Some(target_blocked),
            )
        });
        let (y, cross) = self.cross_attention_block.wrap(y, |h| {
            attend(
                &self.cross_attention,
                h,
                memory.clone(),
                memory,
                Some(source_pad),
                None,
            )
        });
        let (y, ()) = self
            .feed_forward_block
            .wrap(y, |h| (feed_forward(&self.feed_forward, h), ()));
        (
            y,
            DecoderWeights {
                self_attention: self_weights,
                cross,
            },
        )
    }
}
