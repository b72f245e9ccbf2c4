//! Translating one input (greedy, beam search or sampling), with the attention matrix to show
//! for the chosen output and, for beam search, the n-best list and the search tree.

use super::Trainer;
use super::search::{Strategy, beam_search, sample};
use super::tensors::{DeviceError, read_floats, read_ids};
use crate::data::EncodedPair;
use crate::data::batch::Batch;
use crate::data::snapshot::{BeamNodeView, BeamView};
use crate::data::vocab::{BOS, EOS};
use crate::train::tensors::BatchTensors;
use burn::module::Module;
use burn::prelude::*;
use serde::Serialize;

/// Longest output decoded for one input.
pub const MAX_OUTPUT_TOKENS: usize = 128;

/// A decoded input, ready to print or draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Translation {
    /// Source tokens as read (unknown ones kept as typed).
    pub source_tokens: Vec<String>,
    /// Source tokens not in the vocabulary (read as `<unk>`).
    pub unknown_tokens: Vec<String>,
    /// Output tokens, EOS excluded.
    pub output_tokens: Vec<String>,
    /// The output as text.
    pub output_text: String,
    /// Whether the decoder stopped with EOS (rather than at the length limit).
    pub finished: bool,
    /// Attention rows, one per output step (EOS step included when reached), one column per
    /// source token; `None` for a model without attention.
    pub attention: Option<Vec<Vec<f32>>>,
    /// Beam search's final hypotheses, best first (one entry for greedy and sampling).
    #[serde(default)]
    pub nbest: Vec<Candidate>,
    /// Beam search's lattice, as the beam view draws it (`None` for greedy and sampling).
    #[serde(default)]
    pub beam: Option<BeamView>,
}

impl Translation {
    /// The same decoding with the n-best list's `rank`-th output as the one shown (its tokens,
    /// text and attention); unchanged when there is no such rank.
    pub fn showing(mut self, rank: usize) -> Self {
        if let Some(candidate) = self.nbest.get(rank).filter(|_| rank > 0).cloned() {
            self.output_text = candidate.text;
            self.output_tokens = candidate.tokens;
            self.finished = candidate.finished;
            self.attention = candidate.attention;
        }
        self
    }
}

/// One output of a search, as text, with its scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Candidate {
    /// The output as text.
    pub text: String,
    /// Its tokens.
    pub tokens: Vec<String>,
    /// Sum of its tokens' log-probabilities.
    pub log_prob: f64,
    /// The score it was ranked by (length-normalised for beam search).
    pub score: f64,
    /// Whether it ended with EOS.
    pub finished: bool,
    /// Its attention rows (as [`Translation::attention`]); `None` without attention.
    #[serde(default)]
    pub attention: Option<Vec<Vec<f32>>>,
}

/// An input ready to decode.
struct Input {
    source_tokens: Vec<String>,
    unknown_tokens: Vec<String>,
    pair: EncodedPair,
    batch: Batch,
    tensors: BatchTensors,
    steps: usize,
}

impl Trainer {
    /// Greedily decodes `text`.
    pub async fn translate(&self, text: &str) -> Result<Translation, DeviceError> {
        self.decode(text, Strategy::Greedy).await
    }

    /// Decodes `text` with `strategy`.
    pub async fn decode(&self, text: &str, strategy: Strategy) -> Result<Translation, DeviceError> {
        self.decode_at_most(text, strategy, None).await
    }

    /// Decodes `text` with `strategy` for at most `max_len` output steps (EOS included; `None`:
    /// the longest training target + 1 or twice the input + 2, whichever is more), never more
    /// than [`MAX_OUTPUT_TOKENS`].
    pub async fn decode_at_most(
        &self,
        text: &str,
        strategy: Strategy,
        max_len: Option<usize>,
    ) -> Result<Translation, DeviceError> {
        let vocab = &self.data().vocabularies;
        let mut input = self.read_input(text);
        if let Some(max_len) = max_len {
            input.steps = max_len.clamp(1, MAX_OUTPUT_TOKENS);
        }
        let (tensors, steps) = (&input.tensors, input.steps);
        let (nbest, beam) = match strategy {
            Strategy::Greedy => return self.greedy_translation(input).await,
            Strategy::Beam { width, alpha } => {
                let mut results = beam_search(
                    &self.model().valid(),
                    tensors.source.clone(),
                    tensors.source_mask.clone(),
                    width,
                    alpha,
                    steps,
                )
                .await?;
                let result = results.remove(0);
                let view = BeamView {
                    source_text: text.to_string(),
                    best_row: result.nbest.first().map_or(0, |best| best.beam_row),
                    steps: result
                        .steps
                        .iter()
                        .map(|nodes| {
                            nodes
                                .iter()
                                .map(|n| BeamNodeView {
                                    parent: n.parent,
                                    token: vocab.target.token(n.token).to_string(),
                                    log_prob: n.log_prob,
                                    survives: n.survives,
                                })
                                .collect()
                        })
                        .collect(),
                };
                (result.nbest, Some(view))
            }
            Strategy::Sample {
                temperature,
                top_k,
                seed,
            } => {
                let drawn = sample(
                    &self.model().valid(),
                    tensors.source.clone(),
                    tensors.source_mask.clone(),
                    temperature,
                    top_k,
                    seed,
                    steps,
                )
                .await?;
                (drawn, None)
            }
        };
        // Each output's attention: the model read again along it (teacher forced).
        let source_len = input.pair.source.len();
        let mut candidates = Vec::with_capacity(nbest.len());
        for h in &nbest {
            let tokens = vocab.target.decode(&h.tokens);
            candidates.push(Candidate {
                text: vocab.target_tokenizer.join(&tokens),
                tokens,
                log_prob: h.log_prob,
                score: h.score,
                finished: h.finished,
                attention: self
                    .attention_along(tensors, &h.tokens, h.finished, source_len)
                    .await?,
            });
        }
        let best = candidates.first().cloned().unwrap_or_default();
        Ok(Translation {
            output_text: best.text,
            source_tokens: input.source_tokens,
            unknown_tokens: input.unknown_tokens,
            output_tokens: best.tokens,
            finished: best.finished,
            attention: best.attention,
            nbest: candidates,
            beam,
        })
    }

    /// The attention rows of the model reading `tokens` after BOS (one per output step, the EOS
    /// step included when `finished`), `source_len` columns each.
    async fn attention_along(
        &self,
        tensors: &BatchTensors,
        tokens: &[usize],
        finished: bool,
        source_len: usize,
    ) -> Result<Option<Vec<Vec<f32>>>, DeviceError> {
        let device = self.inference_device();
        let input: Vec<i64> = std::iter::once(BOS as i64)
            .chain(tokens.iter().map(|&t| t as i64))
            .collect();
        let input =
            Tensor::<1, Int>::from_data(input.as_slice(), &device).reshape([1, input.len()]);
        let output = self.model().valid().forward(
            tensors.source.clone(),
            tensors.source_mask.clone(),
            input,
        );
        let Some(weights) = output.attention else {
            return Ok(None);
        };
        let [_, rows, width] = weights.dims();
        let flat = read_floats(vec![weights]).await?.remove(0);
        let shown = if finished { rows } else { rows - 1 };
        Ok(Some(
            flat.chunks(width)
                .take(shown)
                .map(|row| row[..source_len].to_vec())
                .collect(),
        ))
    }

    /// The input as the model reads it: tokens, the unknown ones, a batch of one, and how many
    /// steps decoding may take.
    fn read_input(&self, text: &str) -> Input {
        let vocab = &self.data().vocabularies;
        let (source_tokens, source) = vocab.encode_source(text);
        let unknown_tokens = source_tokens
            .iter()
            .filter(|t| !vocab.source.contains(t))
            .cloned()
            .collect();
        let pair = EncodedPair {
            source_text: text.to_string(),
            target_text: String::new(),
            source,
            target: Vec::new(),
        };
        let batch = Batch::from_pairs(&[&pair]);
        let steps = (self.data().max_target_len() + 1)
            .max(2 * source_tokens.len() + 2)
            .min(MAX_OUTPUT_TOKENS);
        let tensors = BatchTensors::new(&batch, &self.inference_device());
        Input {
            source_tokens,
            unknown_tokens,
            pair,
            batch,
            tensors,
            steps,
        }
    }

    /// Greedy decoding of an input.
    async fn greedy_translation(&self, input: Input) -> Result<Translation, DeviceError> {
        let vocab = &self.data().vocabularies;
        let Input {
            source_tokens,
            unknown_tokens,
            pair,
            batch,
            tensors,
            steps,
        } = input;
        let greedy = self
            .model()
            .valid()
            .greedy(tensors.source, tensors.source_mask, steps);
        let ids = read_ids(greedy.tokens).await?;
        let end = ids.iter().position(|&id| id == EOS);
        let shown_steps = end.map_or(steps, |e| e + 1);
        let attention = match greedy.output.attention {
            Some(weights) => {
                let flat = read_floats(vec![weights]).await?.remove(0);
                let width = batch.source_len;
                Some(
                    flat.chunks(width)
                        .take(shown_steps)
                        .map(|row| row[..pair.source.len()].to_vec())
                        .collect(),
                )
            }
            None => None,
        };
        let output_tokens = vocab.target.decode(&ids);
        let output_text = vocab.target_tokenizer.join(&output_tokens);
        let log_prob = 0.0; // greedy keeps no score; the n-best entry says what it chose
        Ok(Translation {
            nbest: vec![Candidate {
                text: output_text.clone(),
                tokens: output_tokens.clone(),
                log_prob,
                score: log_prob,
                finished: end.is_some(),
                attention: attention.clone(),
            }],
            beam: None,
            output_text,
            source_tokens,
            unknown_tokens,
            output_tokens,
            finished: end.is_some(),
            attention,
        })
    }
}
