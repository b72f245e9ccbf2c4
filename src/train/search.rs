//! Decoding strategies beyond greedy: beam search and temperature sampling with top-k.
//!
//! Both run on the device for a whole batch at once, hypotheses as rows (`batch * width`), with
//! no per-hypothesis loop and no read until the end: each step is a handful of tensor
//! operations, and one asynchronous read brings back every step's choices, from which the host
//! rebuilds the hypotheses (and, for beam search, the search tree).

use super::tensors::{DeviceError, read_floats, read_ids};
use crate::data::vocab::{BOS, EOS, PAD};
use crate::model::Seq2Seq;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// Beam widths offered.
pub const WIDTH: std::ops::RangeInclusive<usize> = 1..=MAX_WIDTH;
/// Widest beam.
pub const MAX_WIDTH: usize = 16;
/// Length normalisation offered.
pub const ALPHA: std::ops::RangeInclusive<f64> = 0.0..=2.0;
/// Sampling temperatures offered.
pub const TEMPERATURE: std::ops::RangeInclusive<f64> = 0.01..=10.0;
/// A score below this marks a hypothesis that never existed (the first step's empty beams).
const IMPOSSIBLE: f32 = -1e8;

menu_enum! {
    /// The strategies by name, for menus.
    pub enum StrategyKind {
        /// The likeliest token at each step.
        #[strum(message = "greedy")]
        #[default]
        Greedy,
        /// Beam search.
        #[strum(message = "beam search")]
        Beam,
        /// Temperature sampling with top-k.
        #[strum(message = "sampling")]
        Sample,
    }
}

/// How to pick the output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Strategy {
    /// The most likely token at each step.
    Greedy,
    /// Keep the `width` best partial outputs at each step; rank the finished ones by
    /// log-probability divided by GNMT's length penalty `((5 + len) / 6)^alpha`.
    Beam {
        /// Hypotheses kept (1 to [`MAX_WIDTH`]).
        width: usize,
        /// Length normalisation (0 = none: raw log-probability).
        alpha: f64,
    },
    /// Draw each token from the softmax of `logits / temperature`, among the `top_k` most
    /// likely (0 = all), with a seeded generator.
    Sample {
        /// Above 1 flatter, below 1 sharper.
        temperature: f64,
        /// Only the k most likely tokens (0 = no limit).
        top_k: usize,
        /// Seed of the draws.
        seed: u64,
    },
}

impl Strategy {
    /// Refuses values out of their ranges, naming the setting.
    pub fn check(&self) -> Result<(), String> {
        let within = |what: &str, value: f64, range: &std::ops::RangeInclusive<f64>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(format!(
                    "{what} {value}: must be between {} and {}",
                    range.start(),
                    range.end()
                ))
            }
        };
        match *self {
            Self::Greedy => Ok(()),
            Self::Beam { width, alpha } => {
                within("beam width", width as f64, &(1.0..=MAX_WIDTH as f64))?;
                within("alpha", alpha, &ALPHA)
            }
            Self::Sample { temperature, .. } => within("temperature", temperature, &TEMPERATURE),
        }
    }
}

/// One finished (or length-limited) output.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hypothesis {
    /// Token ids, EOS excluded.
    pub tokens: Vec<usize>,
    /// Sum of the chosen tokens' log-probabilities (EOS included when reached).
    pub log_prob: f64,
    /// What the ranking used: `log_prob` over the length penalty.
    pub score: f64,
    /// Whether it ended with EOS.
    pub finished: bool,
    /// Its row in the final beam.
    pub beam_row: usize,
}

/// One node of the search tree: a hypothesis kept at some step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeamNode {
    /// Its row in the beam at the step before (the parent).
    pub parent: usize,
    /// The token it added.
    pub token: usize,
    /// Cumulative log-probability.
    pub log_prob: f64,
    /// Whether a final hypothesis descends from it (else a later step pruned it).
    pub survives: bool,
}

/// What a beam search did for one input: the n-best list and the tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeamResult {
    /// Final hypotheses, best first (the empty beams of a tiny vocabulary left out).
    pub nbest: Vec<Hypothesis>,
    /// Per step, the kept hypotheses (`width` rows each), until every one had finished.
    pub steps: Vec<Vec<BeamNode>>,
}

/// GNMT's length penalty.
pub fn length_penalty(len: usize, alpha: f64) -> f64 {
    ((5.0 + len as f64) / 6.0).powf(alpha)
}

/// Beam search for every sequence of `source` `[batch, source_len]` at once.
pub async fn beam_search(
    model: &Seq2Seq,
    source: Tensor<2, Int>,
    source_mask: Tensor<2>,
    width: usize,
    alpha: f64,
    max_len: usize,
) -> Result<Vec<BeamResult>, DeviceError> {
    let width = width.clamp(1, MAX_WIDTH);
    let device = source.device();
    let [batch, _] = source.dims();
    let rows = batch * width;
    let vocab = model.target_vocab_size();
    // Row r of the beam belongs to sequence r / width.
    let owner: Vec<i64> = (0..rows).map(|r| (r / width) as i64).collect();
    let owner = Tensor::<1, Int>::from_data(owner.as_slice(), &device);
    let mut state = model.begin(source, source_mask).select(owner.clone());
    // Only the first row of each beam exists at the start.
    let first: Vec<f32> = (0..rows)
        .map(|r| {
            if r % width == 0 {
                0.0
            } else {
                IMPOSSIBLE * 10.0
            }
        })
        .collect();
    let mut scores = Tensor::<1>::from_data(first.as_slice(), &device).reshape([rows, 1]);
    let mut finished = Tensor::<2>::zeros([rows, 1], &device);
    let mut previous = Tensor::<2, Int>::full([rows, 1], BOS as i64, &device);
    // A finished hypothesis goes on with PAD at no cost, so it keeps its score.
    let pad_only: Vec<f32> = (0..vocab)
        .map(|v| if v == PAD { 0.0 } else { IMPOSSIBLE * 10.0 })
        .collect();
    let pad_only = Tensor::<1>::from_data(pad_only.as_slice(), &device).reshape([1, vocab]);
    let base: Vec<i64> = (0..batch).map(|b| (b * width) as i64).collect();
    let base = Tensor::<1, Int>::from_data(base.as_slice(), &device)
        .reshape([batch, 1])
        .repeat_dim(1, width)
        .reshape([rows]);
    let (mut parents, mut tokens, mut kept_scores) = (vec![], vec![], vec![]);
    for _ in 0..max_len {
        let logits = model.step(&mut state, previous);
        let log_probs = log_softmax(logits, 1);
        let log_probs =
            log_probs * (finished.clone().neg() + 1.0) + pad_only.clone() * finished.clone();
        let total = (log_probs + scores).reshape([batch, width * vocab]);
        let (best, index) = total.topk_with_indices(width, 1); // [batch, width]
        let parent = index.clone().div_scalar(vocab as i64).reshape([rows]) + base.clone();
        let token = index.remainder_scalar(vocab as i64).reshape([rows, 1]);
        state = state.select(parent.clone());
        let ended = token.clone().equal_elem(EOS as i64).float();
        finished = (finished.select(0, parent.clone()) + ended).clamp_max(1.0);
        scores = best.reshape([rows, 1]);
        parents.push(parent);
        tokens.push(token.clone());
        kept_scores.push(scores.clone());
        previous = token;
    }
    if max_len == 0 {
        return Ok(vec![
            BeamResult {
                nbest: Vec::new(),
                steps: Vec::new()
            };
            batch
        ]);
    }
    let parents = read_ids(Tensor::stack::<2>(parents, 0)).await?; // [steps, rows]
    let tokens = read_ids(Tensor::cat(tokens, 1)).await?; // [rows, steps]
    let scores = read_floats(vec![Tensor::cat(kept_scores, 1)])
        .await?
        .remove(0); // [rows, steps]
    Ok((0..batch)
        .map(|b| {
            rebuild(
                b,
                width,
                max_len,
                |t, r| parents[t * rows + r] - b * width,
                |t, r| tokens[r * max_len + t],
                |t, r| f64::from(scores[r * max_len + t]),
                alpha,
            )
        })
        .collect())
}

/// One input's hypotheses and tree from the per-step choices (`parent`, `token`, `score` by
/// step and global row; parents already made local to the beam).
fn rebuild(
    b: usize,
    width: usize,
    steps: usize,
    parent: impl Fn(usize, usize) -> usize,
    token: impl Fn(usize, usize) -> usize,
    score: impl Fn(usize, usize) -> f64,
    alpha: f64,
) -> BeamResult {
    let row = |k: usize| b * width + k;
    // Steps that matter: until every kept hypothesis had ended (its tokens after EOS are PAD).
    let mut tree: Vec<Vec<BeamNode>> = (0..steps)
        .map(|t| {
            (0..width)
                .map(|k| BeamNode {
                    parent: parent(t, row(k)),
                    token: token(t, row(k)),
                    log_prob: score(t, row(k)),
                    survives: false,
                })
                .collect()
        })
        .collect();
    let mut nbest = Vec::new();
    for k in 0..width {
        let log_prob = score(steps - 1, row(k));
        if log_prob < f64::from(IMPOSSIBLE) {
            continue;
        }
        // Walk back to the first step.
        let mut path = Vec::with_capacity(steps);
        let mut at = k;
        for t in (0..steps).rev() {
            tree[t][at].survives = true;
            path.push(tree[t][at].token);
            at = tree[t][at].parent;
        }
        path.reverse();
        let end = path.iter().position(|&id| id == EOS);
        let len = end.map_or(path.len(), |e| e + 1);
        path.truncate(end.unwrap_or(path.len()));
        nbest.push(Hypothesis {
            tokens: path,
            log_prob,
            score: log_prob / length_penalty(len, alpha),
            finished: end.is_some(),
            beam_row: k,
        });
    }
    nbest.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.beam_row.cmp(&b.beam_row))
    });
    // Drop the steps after every hypothesis had ended (only PAD fillers there).
    let last_useful = tree
        .iter()
        .rposition(|nodes| nodes.iter().any(|n| n.token != PAD))
        .map_or(0, |t| t + 1);
    tree.truncate(last_useful);
    BeamResult { nbest, steps: tree }
}

/// Temperature sampling with top-k for every sequence of `source` at once: per step, the
/// Gumbel-max trick (`argmax(logits / T + g)` with `g` Gumbel noise drawn on the host from
/// `seed`) draws from `softmax(logits / T)` restricted to the `top_k` most likely tokens.
/// Returns each sequence's tokens (EOS excluded) and log-probability under the model.
pub async fn sample(
    model: &Seq2Seq,
    source: Tensor<2, Int>,
    source_mask: Tensor<2>,
    temperature: f64,
    top_k: usize,
    seed: u64,
    max_len: usize,
) -> Result<Vec<Hypothesis>, DeviceError> {
    use rand::Rng;
    let device = source.device();
    let [batch, _] = source.dims();
    let vocab = model.target_vocab_size();
    let temperature = temperature.max(1e-3);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut state = model.begin(source, source_mask);
    let mut previous = Tensor::<2, Int>::full([batch, 1], BOS as i64, &device);
    let (mut tokens, mut chosen_log_probs) = (vec![], vec![]);
    for _ in 0..max_len {
        let logits = model.step(&mut state, previous);
        let scaled = logits.clone() / temperature;
        let scaled = if top_k > 0 && top_k < vocab {
            // Tokens below the k-th largest score cannot be drawn.
            let kth = scaled.clone().topk(top_k, 1).narrow(1, top_k - 1, 1); // [batch, 1]
            let below = scaled.clone().lower(kth.expand([batch, vocab]));
            scaled.mask_fill(below, -1e9)
        } else {
            scaled
        };
        let noise: Vec<f32> = (0..batch * vocab)
            .map(|_| {
                let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
                (-(-u.ln()).ln()) as f32
            })
            .collect();
        let noise = Tensor::<1>::from_data(noise.as_slice(), &device).reshape([batch, vocab]);
        let token = (scaled + noise).argmax(1); // [batch, 1]
        chosen_log_probs.push(log_softmax(logits, 1).gather(1, token.clone()));
        tokens.push(token.clone());
        previous = token;
    }
    if max_len == 0 {
        return Ok(vec![Hypothesis::default(); batch]);
    }
    let tokens = read_ids(Tensor::cat(tokens, 1)).await?; // [batch, steps]
    let log_probs = read_floats(vec![Tensor::cat(chosen_log_probs, 1)])
        .await?
        .remove(0);
    Ok((0..batch)
        .map(|b| {
            let row = &tokens[b * max_len..(b + 1) * max_len];
            let end = row.iter().position(|&id| id == EOS);
            let len = end.map_or(max_len, |e| e + 1);
            let log_prob: f64 = log_probs[b * max_len..b * max_len + len]
                .iter()
                .map(|&p| f64::from(p))
                .sum();
            Hypothesis {
                tokens: row[..end.unwrap_or(max_len)].to_vec(),
                log_prob,
                score: log_prob,
                finished: end.is_some(),
                beam_row: 0,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_penalty_is_gnmt_s() {
        assert_eq!(length_penalty(7, 0.0), 1.0);
        assert!((length_penalty(7, 1.0) - 2.0).abs() < 1e-12);
        assert!((length_penalty(1, 0.6) - 1.0).abs() < 1e-12);
    }
}
