//! The Transformer's configuration and its two architecture switches.

use super::layers::{DecoderLayerConfig, EncoderLayerConfig};
use super::norm::layer_norm_init;
use super::positions::PositionsConfig;
use super::{Positions, Transformer};
use crate::model::InitKind;
use burn::nn::{EmbeddingConfig, Initializer, LinearConfig};
use burn::prelude::*;

menu_enum! {
    /// Where each sublayer's layer norm sits.
    pub enum NormPlacement {
        /// `x + sublayer(norm(x))`, and a final norm on each stack: trains without warm-up.
        #[strum(message = "pre-LN (norm, sublayer, add)")]
        #[default]
        Pre,
        /// `norm(x + sublayer(x))`, as in the original paper: wants a learning-rate warm-up.
        #[strum(message = "post-LN (sublayer, add, norm; the 2017 paper's)")]
        Post,
    }
}

menu_enum! {
    /// How the model knows where each token stands.
    pub enum PositionKind {
        /// Fixed sines and cosines of geometric wavelengths (the 2017 paper's).
        #[strum(message = "sinusoidal (fixed)")]
        #[default]
        Sinusoidal,
        /// One trained vector per position.
        #[strum(message = "learned (one vector per position)")]
        Learned,
    }
}

/// Configuration of a [`Transformer`].
#[derive(Config, Debug, PartialEq)]
pub struct TransformerConfig {
    /// Source vocabulary size.
    pub source_vocab_size: usize,
    /// Target vocabulary size.
    pub target_vocab_size: usize,
    /// Width of every token's vector (`d_model`); a multiple of `heads`.
    #[config(default = 64)]
    pub d_model: usize,
    /// Attention heads per attention layer.
    #[config(default = 4)]
    pub heads: usize,
    /// Layers on each side.
    #[config(default = 2)]
    pub layers: usize,
    /// Inner size of each position-wise feed-forward block.
    #[config(default = 128)]
    pub ff_size: usize,
    /// Dropout after attention weights, sublayers and embeddings (training only).
    #[config(default = 0.1)]
    pub dropout: f64,
    /// Layer norm before or after each sublayer.
    #[config(default = "NormPlacement::Pre")]
    pub norm: NormPlacement,
    /// Sinusoidal or learned positions.
    #[config(default = "PositionKind::Sinusoidal")]
    pub positions: PositionKind,
    /// The output projection is the target embedding's transpose.
    #[config(default = false)]
    pub tied_embeddings: bool,
    /// Longest sequence (positions) the model reads or writes.
    #[config(default = 256)]
    pub max_len: usize,
    /// Weight initialisation of the linear layers.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
}

impl TransformerConfig {
    /// Builds the model on `device`.
    ///
    /// Embeddings start from `N(0, 1/d_model)` and are scaled by `sqrt(d_model)` when read, so
    /// a token's vector and its position's have the same size (and a tied output projection
    /// starts with unit-scale scores).
    pub fn init(&self, device: &Device) -> Transformer {
        let d = self.d_model;
        let embedding = |vocab: usize| {
            EmbeddingConfig::new(vocab, d)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: (d as f64).powf(-0.5),
                })
                .init(device)
        };
        let pre = self.norm == NormPlacement::Pre;
        let final_norm = || pre.then(|| layer_norm_init(d, device));
        let encoder = (0..self.layers)
            .map(|_| {
                EncoderLayerConfig::new(d, self.heads, self.ff_size)
                    .with_dropout(self.dropout)
                    .with_norm(self.norm)
                    .with_init(self.init)
                    .init(device)
            })
            .collect();
        let decoder = (0..self.layers)
            .map(|_| {
                DecoderLayerConfig::new(d, self.heads, self.ff_size)
                    .with_dropout(self.dropout)
                    .with_norm(self.norm)
                    .with_init(self.init)
                    .init_decoder(device)
            })
            .collect();
        Transformer {
            source_embedding: embedding(self.source_vocab_size),
            target_embedding: embedding(self.target_vocab_size),
            positions: PositionsConfig::new(d, self.max_len)
                .with_kind(self.positions)
                .init(device),
            encoder,
            decoder,
            encoder_norm: final_norm(),
            decoder_norm: final_norm(),
            output: (!self.tied_embeddings).then(|| {
                LinearConfig::new(d, self.target_vocab_size)
                    .with_initializer(self.init.initializer())
                    .init(device)
            }),
            dropout: burn::nn::DropoutConfig::new(self.dropout).init(),
            d_model: d,
            heads: self.heads,
        }
    }
}

impl Positions {
    /// The positions a config describes (for the plot of the encoding matrix).
    pub fn of(config: &TransformerConfig, device: &Device) -> Self {
        PositionsConfig::new(config.d_model, config.max_len)
            .with_kind(config.positions)
            .init(device)
    }
}
