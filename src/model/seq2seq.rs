//! The whole model, built from one config: the RNN encoder-decoder ([`RnnSeq2Seq`]) or the
//! [`Transformer`], behind the one interface the trainer, the decoding strategies and the plots
//! use.

use super::transformer::{NormPlacement, PositionKind, TransformerConfig, TransformerState};
use super::{
    AttentionKind, CellKind, DecoderConfig, DecoderOutput, DecoderState, EncoderConfig,
    GreedyOutput, InitKind, RnnSeq2Seq, Transformer,
};
use burn::module::{Module, ModuleVisitor};
use burn::prelude::*;

menu_enum! {
    /// Which architecture a run trains.
    pub enum ModelKind {
        /// Recurrent encoder and decoder (RNN, LSTM or GRU cells) with attention.
        #[strum(message = "RNN encoder-decoder")]
        #[default]
        Rnn,
        /// Encoder-decoder Transformer: self-attention, cross-attention, positions.
        #[strum(
            message = "Transformer",
            detailed_message = "a Transformer learns best near learning rate 0.001, or with a warm-up schedule"
        )]
        Transformer,
    }
}

/// Configuration of a [`Seq2Seq`] model: every architecture choice the page offers.
#[derive(Config, Debug, PartialEq)]
pub struct Seq2SeqConfig {
    /// Source vocabulary size.
    pub source_vocab_size: usize,
    /// Target vocabulary size.
    pub target_vocab_size: usize,
    /// RNN or Transformer.
    #[config(default = "ModelKind::Rnn")]
    pub kind: ModelKind,
    /// Embedding size (both sides); the Transformer's `d_model`.
    #[config(default = 32)]
    pub embedding_size: usize,
    /// Hidden state size (encoder and decoder; RNN only).
    #[config(default = 64)]
    pub hidden_size: usize,
    /// Recurrent cell (encoder and decoder; RNN only).
    #[config(default = "CellKind::Gru")]
    pub cell: CellKind,
    /// Stacked layers on each side (RNN 1-2, Transformer 1-4).
    #[config(default = 1)]
    pub layers: usize,
    /// Attention scoring (RNN only).
    #[config(default = "AttentionKind::Additive")]
    pub attention: AttentionKind,
    /// Weight initialisation.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
    /// Attention heads (Transformer only; divides `embedding_size`).
    #[config(default = 4)]
    pub heads: usize,
    /// Feed-forward inner size (Transformer only).
    #[config(default = 128)]
    pub ff_size: usize,
    /// Dropout while training (Transformer only).
    #[config(default = 0.1)]
    pub dropout: f64,
    /// Layer norm placement (Transformer only).
    #[config(default = "NormPlacement::Pre")]
    pub norm: NormPlacement,
    /// Positional encoding (Transformer only).
    #[config(default = "PositionKind::Sinusoidal")]
    pub positions: PositionKind,
    /// Output projection tied to the target embedding (Transformer only).
    #[config(default = false)]
    pub tied_embeddings: bool,
}

impl Seq2SeqConfig {
    /// Builds the model on `device`.
    pub fn init(&self, device: &Device) -> Seq2Seq {
        match self.kind {
            ModelKind::Rnn => Seq2Seq::Rnn(self.init_rnn(device)),
            ModelKind::Transformer => Seq2Seq::Transformer(self.transformer().init(device)),
        }
    }

    fn init_rnn(&self, device: &Device) -> RnnSeq2Seq {
        RnnSeq2Seq {
            encoder: EncoderConfig::new(
                self.source_vocab_size,
                self.embedding_size,
                self.hidden_size,
            )
            .with_cell(self.cell)
            .with_layers(self.layers)
            .with_init(self.init)
            .init(device),
            decoder: DecoderConfig::new(
                self.target_vocab_size,
                self.embedding_size,
                self.hidden_size,
            )
            .with_cell(self.cell)
            .with_layers(self.layers)
            .with_attention(self.attention)
            .with_init(self.init)
            .init(device),
        }
    }

    /// The Transformer this config describes (`d_model` = `embedding_size`).
    pub fn transformer(&self) -> TransformerConfig {
        TransformerConfig::new(self.source_vocab_size, self.target_vocab_size)
            .with_d_model(self.embedding_size)
            .with_heads(self.heads)
            .with_layers(self.layers)
            .with_ff_size(self.ff_size)
            .with_dropout(self.dropout)
            .with_norm(self.norm)
            .with_positions(self.positions)
            .with_tied_embeddings(self.tied_embeddings)
            .with_init(self.init)
    }
}

/// The model a run trains.
#[derive(Module, Debug)]
pub enum Seq2Seq {
    /// Recurrent encoder-decoder.
    Rnn(RnnSeq2Seq),
    /// Transformer encoder-decoder.
    Transformer(Transformer),
}

/// What a decoding strategy carries between steps, one row per hypothesis.
#[derive(Debug, Clone)]
pub enum SearchState {
    /// The RNN decoder's states.
    Rnn(Box<DecoderState>),
    /// The Transformer's encoder output and tokens so far.
    Transformer(Box<TransformerState>),
}

impl SearchState {
    /// The state of the given rows (a row may be taken several times): `rows` `[n]`.
    pub fn select(&self, rows: Tensor<1, Int>) -> Self {
        match self {
            Self::Rnn(state) => Self::Rnn(Box::new(state.select(rows))),
            Self::Transformer(state) => Self::Transformer(Box::new(state.select(rows))),
        }
    }
}

impl Seq2Seq {
    /// Teacher-forced scores: `source` `[batch, source_len]`, `source_mask` (1 = real token),
    /// `target_input` `[batch, target_len]` (BOS + target).
    pub fn forward(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
    ) -> DecoderOutput {
        match self {
            Self::Rnn(model) => model.forward(source, source_mask, target_input),
            Self::Transformer(model) => model.forward(source, source_mask, target_input),
        }
    }

    /// Scores under scheduled sampling: each sequence reads the true previous token only where
    /// `use_truth` `[batch, target_len]` is true, and its own previous guess elsewhere.
    pub fn forward_scheduled(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
        use_truth: Tensor<2, Bool>,
    ) -> DecoderOutput {
        match self {
            Self::Rnn(model) => {
                model.forward_scheduled(source, source_mask, target_input, use_truth)
            }
            Self::Transformer(model) => {
                model.forward_scheduled(source, source_mask, target_input, use_truth)
            }
        }
    }

    /// Greedy decoding for `steps` steps from BOS.
    pub fn greedy(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        steps: usize,
    ) -> GreedyOutput {
        match self {
            Self::Rnn(model) => model.greedy(source, source_mask, steps),
            Self::Transformer(model) => model.greedy(source, source_mask, steps),
        }
    }

    /// The decoding state before the first step.
    pub fn begin(&self, source: Tensor<2, Int>, source_mask: Tensor<2>) -> SearchState {
        match self {
            Self::Rnn(model) => {
                let encoded = model.encoder.forward(source, source_mask.clone());
                SearchState::Rnn(Box::new(model.decoder.begin(&encoded, source_mask)))
            }
            Self::Transformer(model) => {
                SearchState::Transformer(Box::new(model.begin(source, source_mask)))
            }
        }
    }

    /// One decoding step reading `previous` `[rows, 1]`: the scores of the next token
    /// `[rows, vocab]`.
    ///
    /// # Panics
    /// When `state` was begun by the other kind of model.
    pub fn step(&self, state: &mut SearchState, previous: Tensor<2, Int>) -> Tensor<2> {
        match (self, state) {
            (Self::Rnn(model), SearchState::Rnn(state)) => model.decoder.step(state, previous).0,
            (Self::Transformer(model), SearchState::Transformer(state)) => {
                model.step(state, previous).0
            }
            _ => panic!("a decoding state steps only with the model that began it"),
        }
    }

    /// Target vocabulary size.
    pub fn target_vocab_size(&self) -> usize {
        match self {
            Self::Rnn(model) => model.decoder.output.weight.dims()[1],
            Self::Transformer(model) => model.target_vocab_size(),
        }
    }

    /// The source and target embedding tables `[vocab, embedding]`.
    pub fn embeddings(&self) -> (Tensor<2>, Tensor<2>) {
        match self {
            Self::Rnn(model) => (
                model.encoder.embedding.weight.val(),
                model.decoder.embedding.weight.val(),
            ),
            Self::Transformer(model) => (
                model.source_embedding.weight.val(),
                model.target_embedding.weight.val(),
            ),
        }
    }

    /// Visits the parameters with the architecture's own paths (`encoder.embedding.weight`),
    /// without the variant's name that [`Module::visit`] puts first: the names checkpoints and
    /// the peers' weight files use.
    pub fn visit_architecture<V: ModuleVisitor>(&self, visitor: &mut V) {
        match self {
            Self::Rnn(model) => model.visit(visitor),
            Self::Transformer(model) => model.visit(visitor),
        }
    }

    /// The RNN model, if this is one.
    pub fn rnn(&self) -> Option<&RnnSeq2Seq> {
        match self {
            Self::Rnn(model) => Some(model),
            Self::Transformer(_) => None,
        }
    }

    /// The Transformer, if this is one.
    pub fn transformer(&self) -> Option<&Transformer> {
        match self {
            Self::Transformer(model) => Some(model),
            Self::Rnn(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttentionKind;

    #[test]
    fn greedy_decoding_of_zero_steps_is_empty_not_a_panic() {
        let device = Device::flex();
        for attention in [AttentionKind::Additive, AttentionKind::None] {
            let model = Seq2SeqConfig::new(7, 9)
                .with_hidden_size(8)
                .with_attention(attention)
                .init(&device);
            let source = Tensor::<2, Int>::from_data([[3, 4, 5], [4, 5, 0]], &device);
            let mask = Tensor::<2>::from_data([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]], &device);
            let empty = model.greedy(source.clone(), mask.clone(), 0);
            assert_eq!(empty.tokens.dims(), [2, 0]);
            assert_eq!(empty.output.logits.dims(), [2, 0, 9]);
            assert_eq!(
                empty.output.attention.map(|a| a.dims()),
                (attention != AttentionKind::None).then_some([2, 0, 3])
            );
            let three = model.greedy(source, mask, 3);
            assert_eq!(three.tokens.dims(), [2, 3]);
        }
    }
}
