//! Attention: at each output step, a softmax over the source positions says where to look, and
//! the context vector is the weighted sum of the encoder states.
//!
//! `None` is the classic design without attention: the decoder gets the encoder's final state,
//! one fixed-size context vector for every step, however long the input.

use super::InitKind;
use super::activation::tanh;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::softmax;

menu_enum! {
    /// How the decoder scores source positions.
    pub enum AttentionKind {
        /// No attention: one fixed context vector (the encoder's final state) for every step.
        #[strum(message = "none (fixed context vector)")]
        None,
        /// Luong dot: `score = s · h`.
        #[strum(message = "dot (Luong)")]
        Dot,
        /// Luong general: `score = s · (W h)`.
        #[strum(message = "general (Luong)")]
        General,
        /// Bahdanau additive: `score = v · tanh(W h + U s)`.
        #[strum(message = "additive (Bahdanau)")]
        #[default]
        Additive,
    }
}

/// Configuration of an [`Attention`].
#[derive(Config, Debug)]
pub struct AttentionConfig {
    /// Size of the encoder and decoder hidden states.
    pub hidden_size: usize,
    /// Scoring function.
    #[config(default = "AttentionKind::Additive")]
    pub kind: AttentionKind,
    /// Weight initialisation.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
}

impl AttentionConfig {
    /// Builds the attention on `device`.
    pub fn init(&self, device: &Device) -> Attention {
        let linear = |input: usize, output: usize, bias: bool| {
            LinearConfig::new(input, output)
                .with_bias(bias)
                .with_initializer(self.init.initializer())
                .init(device)
        };
        let h = self.hidden_size;
        let (key, query, score) = match self.kind {
            AttentionKind::None | AttentionKind::Dot => (None, None, None),
            AttentionKind::General => (Some(linear(h, h, false)), None, None),
            AttentionKind::Additive => (
                Some(linear(h, h, true)),
                Some(linear(h, h, false)),
                Some(linear(h, 1, false)),
            ),
        };
        Attention {
            key,
            query,
            score,
            kind: self.kind,
        }
    }
}

/// Scores source positions against the decoder state.
#[derive(Module, Debug)]
pub struct Attention {
    /// `W`, applied to encoder states (general, additive).
    pub key: Option<Linear>,
    /// `U`, applied to the decoder state (additive).
    pub query: Option<Linear>,
    /// `v` (additive).
    pub score: Option<Linear>,
    /// Scoring function.
    #[module(skip)]
    pub kind: AttentionKind,
}

/// Per-sequence work done once before decoding: keys and the padding bias.
#[derive(Debug, Clone)]
pub struct AttentionMemory {
    /// Encoder states `[batch, source_len, hidden]` (the values).
    pub values: Tensor<3>,
    /// What queries are scored against `[batch, source_len, hidden]`.
    pub keys: Tensor<3>,
    /// 0 on real source tokens, -1e9 on PAD `[batch, source_len]`: after the softmax, PAD
    /// positions get exactly 0 weight.
    pub padding_bias: Tensor<2>,
}

impl Attention {
    /// Precomputes the keys of the encoder states once per batch.
    pub fn memory(&self, encoder_states: Tensor<3>, source_mask: Tensor<2>) -> AttentionMemory {
        let keys = match &self.key {
            Some(key) => key.forward(encoder_states.clone()),
            None => encoder_states.clone(),
        };
        AttentionMemory {
            values: encoder_states,
            keys,
            padding_bias: (source_mask - 1.0) * 1e9,
        }
    }

    /// Attends with decoder state `query` `[batch, hidden]`: returns the context vector
    /// `[batch, hidden]` and the weights `[batch, source_len]` (rows sum to 1, PAD gets 0).
    /// Must not be called for [`AttentionKind::None`].
    pub fn forward(&self, query: Tensor<2>, memory: &AttentionMemory) -> (Tensor<2>, Tensor<2>) {
        let scores: Tensor<2> = match (&self.query, &self.score) {
            (Some(query_weights), Some(score)) => {
                let query = query_weights.forward(query).unsqueeze_dim::<3>(1); // [batch, 1, hidden]
                let energy = tanh(memory.keys.clone() + query); // [batch, source_len, hidden]
                score.forward(energy).squeeze_dim(2)
            }
            _ => memory
                .keys
                .clone()
                .matmul(query.unsqueeze_dim::<3>(2)) // [batch, source_len, 1]
                .squeeze_dim(2),
        };
        let weights = softmax(scores + memory.padding_bias.clone(), 1); // [batch, source_len]
        let context = weights
            .clone()
            .unsqueeze_dim::<3>(1)
            .matmul(memory.values.clone()) // [batch, 1, hidden]
            .squeeze_dim(1);
        (context, weights)
    }
}
