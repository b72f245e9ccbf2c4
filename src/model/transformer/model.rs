//! The Transformer module: embeddings and positions, the encoder and decoder stacks, the output
//! projection; teacher-forced scores, greedy decoding, and a step-by-step state for beam search
//! and sampling.

use super::dropout::{drawing, dropout, with_draws};
use super::layers::DecoderWeights;
use super::masks::{Masks, source_pad, target_blocked};
use super::norm::layer_norm;
use super::{DecoderLayer, EncoderLayer, Positions};
use crate::data::vocab::BOS;
use crate::model::linear;
use crate::model::recurrence::manual::on_cube;
use crate::model::{DecoderOutput, GreedyOutput};
use burn::nn::{Dropout, Embedding, LayerNorm, Linear};
use burn::prelude::*;

/// Encoder-decoder Transformer.
#[derive(Module, Debug)]
pub struct Transformer {
    /// Source token vectors.
    pub source_embedding: Embedding,
    /// Target token vectors (and, when tied, the output projection).
    pub target_embedding: Embedding,
    /// Position vectors, added on both sides.
    pub positions: Positions,
    /// Encoder layers, bottom first.
    pub encoder: Vec<EncoderLayer>,
    /// Decoder layers, bottom first.
    pub decoder: Vec<DecoderLayer>,
    /// Final norm of the encoder stack (pre-LN only).
    pub encoder_norm: Option<LayerNorm>,
    /// Final norm of the decoder stack (pre-LN only).
    pub decoder_norm: Option<LayerNorm>,
    /// Output projection (`None`: tied to the target embedding).
    pub output: Option<Linear>,
    /// Dropout on embeddings + positions.
    pub dropout: Dropout,
    /// Token vector width.
    pub d_model: usize,
    /// Attention heads per layer.
    pub heads: usize,
}

/// Every attention's weights, one tensor per layer, bottom first.
#[derive(Debug, Clone)]
pub struct LayerAttention {
    /// Encoder self-attention `[batch, heads, source_len, source_len]`.
    pub encoder: Vec<Tensor<4>>,
    /// Decoder masked self-attention `[batch, heads, target_len, target_len]`.
    pub decoder: Vec<Tensor<4>>,
    /// Cross-attention `[batch, heads, target_len, source_len]`.
    pub cross: Vec<Tensor<4>>,
}

impl LayerAttention {
    /// What the RNN plots show for a Transformer: the top layer's cross-attention averaged over
    /// its heads `[batch, target_len, source_len]`.
    pub fn summary(&self) -> Tensor<3> {
        let top = self
            .cross
            .last()
            .expect("at least one decoder layer")
            .clone();
        top.mean_dim(1).squeeze_dim(1)
    }
}

/// Attention weights `[batch, heads, query, key]` averaged over the heads `[batch, query, key]`.
fn heads_averaged(weights: &Tensor<4>) -> Tensor<3> {
    weights.clone().mean_dim(1).squeeze_dim(1)
}

/// Scores and every attention of a teacher-forced pass.
#[derive(Debug, Clone)]
pub struct TransformerOutput {
    /// Unnormalised scores `[batch, target_len, vocab]`.
    pub logits: Tensor<3>,
    /// Every layer's attention weights.
    pub attention: LayerAttention,
}

/// The encoder's result, read by every decoder layer.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Top encoder states `[batch, source_len, d_model]`.
    pub memory: Tensor<3>,
    /// PAD source positions `[batch, source_len]`.
    pub source_pad: Tensor<2, Bool>,
    /// Encoder self-attention, per layer.
    pub weights: Vec<Tensor<4>>,
}

/// The decoder's state between steps, one row per sequence or hypothesis: the encoder's output
/// and the tokens read so far (each step reads the whole prefix again; the model is small).
#[derive(Debug, Clone)]
pub struct TransformerState {
    /// Top encoder states `[rows, source_len, d_model]`.
    pub memory: Tensor<3>,
    /// PAD source positions `[rows, source_len]`.
    pub source_pad: Tensor<2, Bool>,
    /// Tokens read so far `[rows, steps]` (`None` before the first step).
    pub tokens: Option<Tensor<2, Int>>,
}

impl TransformerState {
    /// The state of the given rows (a row may be taken several times): `rows` `[n]`.
    pub fn select(&self, rows: Tensor<1, Int>) -> Self {
        Self {
            memory: self.memory.clone().select(0, rows.clone()),
            source_pad: self.source_pad.clone().select(0, rows.clone()),
            tokens: self.tokens.as_ref().map(|t| t.clone().select(0, rows)),
        }
    }
}

impl Transformer {
    /// Target vocabulary size.
    pub fn target_vocab_size(&self) -> usize {
        self.target_embedding.weight.dims()[0]
    }

    /// Token vectors scaled by `sqrt(d_model)`, plus positions, through dropout.
    fn embed(&self, embedding: &Embedding, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [_, len] = tokens.dims();
        let vectors = embedding.forward(tokens) * (self.d_model as f64).sqrt();
        let positions = self.positions.first(len).unsqueeze_dim::<3>(0);
        dropout(&self.dropout, vectors + positions)
    }

    /// Runs `pass` on `x` with its dropout masks drawn at once, `size` of them, when training
    /// (dropout on, a device with autodiff) on the GPU backend outside draws already in place;
    /// as it is otherwise.
    fn with_pass_draws<const D: usize, T>(
        &self,
        x: Tensor<D>,
        size: impl FnOnce() -> usize,
        pass: impl FnOnce(Tensor<D>) -> T,
    ) -> T {
        let pooled = self.dropout.prob > 0.0
            && self.dropout.training.is_enabled()
            && x.device().is_autodiff()
            && on_cube(&x)
            && !drawing();
        if pooled {
            let device = x.device();
            with_draws(size(), self.dropout.prob, &device, || pass(x))
        } else {
            pass(x)
        }
    }

    /// The dropout draws one encoder pass over `[batch, len]` takes: the embeddings', then per
    /// layer the attention weights', both residual branches' and the feed-forward hidden layer's.
    pub fn encoder_draws(&self, batch: usize, len: usize) -> usize {
        let d = self.d_model;
        let layers: usize = self
            .encoder
            .iter()
            .map(|layer| {
                let heads = layer.self_attention.n_heads;
                let hidden = layer.feed_forward.linear_inner.weight.dims()[1];
                heads * len * len + 2 * len * d + len * hidden
            })
            .sum();
        batch * (len * d + layers)
    }

    /// The dropout draws one decoder pass over `[batch, target_len]` reading `source_len`
    /// positions takes: the embeddings', then per layer both attentions' weights, the three
    /// residual branches' and the feed-forward hidden layer's.
    pub fn decoder_draws(&self, batch: usize, target_len: usize, source_len: usize) -> usize {
        let (d, t) = (self.d_model, target_len);
        let layers: usize = self
            .decoder
            .iter()
            .map(|layer| {
                let own = layer.self_attention.n_heads * t * t;
                let cross = layer.cross_attention.n_heads * t * source_len;
                let hidden = layer.feed_forward.linear_inner.weight.dims()[1];
                own + cross + 3 * t * d + t * hidden
            })
            .sum();
        batch * (t * d + layers)
    }

    /// Runs the encoder over `source` `[batch, source_len]` (`source_mask`: 1 = real token).
    /// Training on the GPU backend, every dropout mask of the pass comes from one draw
    /// ([`dropout`](super::dropout)).
    pub fn encode(&self, source: Tensor<2, Int>, source_mask: Tensor<2>) -> Encoded {
        let [batch, len] = source.dims();
        self.with_pass_draws(
            source_mask,
            || self.encoder_draws(batch, len),
            |source_mask| self.encode_pass(source, source_mask),
        )
    }

    /// [`encode`](Self::encode)'s pass.
    fn encode_pass(&self, source: Tensor<2, Int>, source_mask: Tensor<2>) -> Encoded {
        let source_pad = source_pad(source_mask);
        let mut x = self.embed(&self.source_embedding, source);
        let mut weights = Vec::with_capacity(self.encoder.len());
        for layer in &self.encoder {
            let (next, w) = layer.forward(x, source_pad.clone());
            x = next;
            weights.push(w);
        }
        if let Some(norm) = &self.encoder_norm {
            x = layer_norm(norm, x);
        }
        Encoded {
            memory: x,
            source_pad,
            weights,
        }
    }

    /// Runs the decoder over `target_input` `[batch, target_len]` (BOS + target so far):
    /// scores of the next token at every position, and each layer's weights. Training on the
    /// GPU backend, every dropout mask of the pass comes from one draw.
    fn decode(
        &self,
        memory: Tensor<3>,
        source_pad: Tensor<2, Bool>,
        target_input: Tensor<2, Int>,
    ) -> (Tensor<3>, Vec<DecoderWeights>) {
        let [batch, target_len] = target_input.dims();
        let source_len = source_pad.dims()[1];
        self.with_pass_draws(
            memory,
            || self.decoder_draws(batch, target_len, source_len),
            |memory| self.decode_pass(memory, source_pad, target_input),
        )
    }

    /// [`decode`](Self::decode)'s pass.
    fn decode_pass(
        &self,
        memory: Tensor<3>,
        source_pad: Tensor<2, Bool>,
        target_input: Tensor<2, Int>,
    ) -> (Tensor<3>, Vec<DecoderWeights>) {
        let blocked = target_blocked(target_input.clone());
        let mut y = self.embed(&self.target_embedding, target_input);
        let mut weights = Vec::with_capacity(self.decoder.len());
        for layer in &self.decoder {
            let (next, w) = layer.forward(y, memory.clone(), blocked.clone(), source_pad.clone());
            y = next;
            weights.push(w);
        }
        if let Some(norm) = &self.decoder_norm {
            y = layer_norm(norm, y);
        }
        let logits = match &self.output {
            Some(output) => linear::forward(output, y),
            None => {
                let table = self.target_embedding.weight.val(); // [vocab, d_model]
                let [batch, len, d] = y.dims();
                y.reshape([batch * len, d])
                    .matmul(table.transpose())
                    .reshape([batch, len, self.target_vocab_size()])
            }
        };
        (logits, weights)
    }

    /// Teacher-forced scores and every attention's weights.
    pub fn forward_all(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
    ) -> TransformerOutput {
        let encoded = self.encode(source, source_mask);
        let (logits, decoder) = self.decode(encoded.memory, encoded.source_pad, target_input);
        let (decoder, cross) = decoder
            .into_iter()
            .map(|w| (w.self_attention, w.cross))
            .unzip();
        TransformerOutput {
            logits,
            attention: LayerAttention {
                encoder: encoded.weights,
                decoder,
                cross,
            },
        }
    }

    /// Teacher-forced scores, with the top layer's head-averaged cross-attention.
    pub fn forward(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
    ) -> DecoderOutput {
        let all = self.forward_all(source, source_mask, target_input);
        DecoderOutput {
            attention: Some(all.attention.summary()),
            logits: all.logits,
        }
    }

    /// Scheduled sampling in two passes (Mihaylova and Martins, 2019): a teacher-forced pass
    /// whose guesses take no gradient, then the scored pass reading, at each position, the
    /// true previous token where `use_truth` `[batch, target_len]` is true and the first
    /// pass's guess elsewhere (BOS at the first position).
    pub fn forward_scheduled(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
        use_truth: Tensor<2, Bool>,
    ) -> DecoderOutput {
        let [batch, len] = target_input.dims();
        let encoded = self.encode(source.clone(), source_mask.clone());
        let (first, _) = self.decode(
            encoded.memory.clone().detach(),
            encoded.source_pad.clone(),
            target_input.clone(),
        );
        let guesses = first.argmax(2).squeeze_dim::<2>(2); // guess for position t + 1
        let bos = Tensor::<2, Int>::full([batch, 1], BOS as i64, &guesses.device());
        let previous_guess = Tensor::cat(vec![bos, guesses.narrow(1, 0, len - 1)], 1);
        let mixed = previous_guess.mask_where(use_truth, target_input);
        let (logits, weights) = self.decode(encoded.memory, encoded.source_pad, mixed);
        DecoderOutput {
            logits,
            attention: weights.last().map(|w| heads_averaged(&w.cross)),
        }
    }

    /// Greedy decoding for `steps` steps from BOS, each step reading all earlier guesses; the
    /// scores and attention are those of the final pass over the whole guessed prefix.
    pub fn greedy(
        &self,
        source: Tensor<2, Int>,
        source_mask: Tensor<2>,
        steps: usize,
    ) -> GreedyOutput {
        let [batch, source_len] = source.dims();
        let device = source.device();
        let encoded = self.encode(source, source_mask);
        if steps == 0 {
            return GreedyOutput {
                tokens: Tensor::<2, Int>::zeros([batch, 0], &device),
                output: DecoderOutput {
                    logits: Tensor::zeros([batch, 0, self.target_vocab_size()], &device),
                    attention: Some(Tensor::zeros([batch, 0, source_len], &device)),
                },
            };
        }
        let mut input = Tensor::<2, Int>::full([batch, 1], BOS as i64, &device);
        for step in 0..steps - 1 {
            let (logits, _) = self.decode(
                encoded.memory.clone(),
                encoded.source_pad.clone(),
                input.clone(),
            );
            let next = logits.narrow(1, step, 1).argmax(2).squeeze_dim::<2>(2);
            input = Tensor::cat(vec![input, next], 1);
        }
        let (logits, weights) = self.decode(encoded.memory, encoded.source_pad, input);
        GreedyOutput {
            tokens: logits.clone().argmax(2).squeeze_dim(2),
            output: DecoderOutput {
                logits,
                attention: weights.last().map(|w| heads_averaged(&w.cross)),
            },
        }
    }

    /// The state before the first step.
    pub fn begin(&self, source: Tensor<2, Int>, source_mask: Tensor<2>) -> TransformerState {
        let encoded = self.encode(source, source_mask);
        TransformerState {
            memory: encoded.memory,
            source_pad: encoded.source_pad,
            tokens: None,
        }
    }

    /// One step reading `previous` `[rows, 1]`: the scores of the next token `[rows, vocab]`
    /// and the top layer's head-averaged cross-attention of this step `[rows, source_len]`.
    pub fn step(
        &self,
        state: &mut TransformerState,
        previous: Tensor<2, Int>,
    ) -> (Tensor<2>, Tensor<2>) {
        let tokens = match state.tokens.take() {
            Some(tokens) => Tensor::cat(vec![tokens, previous], 1),
            None => previous,
        };
        let [rows, len] = tokens.dims();
        let (logits, weights) = self.decode(
            state.memory.clone(),
            state.source_pad.clone(),
            tokens.clone(),
        );
        state.tokens = Some(tokens);
        let vocab = self.target_vocab_size();
        let last = logits.narrow(1, len - 1, 1).reshape([rows, vocab]);
        let cross = heads_averaged(&weights.last().expect("at least one decoder layer").cross)
            .narrow(1, len - 1, 1);
        let source_len = cross.dims()[2];
        (last, cross.reshape([rows, source_len]))
    }

    /// The masks the model applies to a batch (for the masks plot).
    pub fn masks(source_mask: Tensor<2>, target_input: Tensor<2, Int>) -> Masks {
        Masks::new(source_mask, target_input)
    }
}
