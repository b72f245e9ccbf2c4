//! What the plots are drawn from, read off a [`Trainer`]: embedding matrices, the last batch
//! with its masks, and one decoded example with its attention, as plain [`PlotData`].

use super::Trainer;
use super::search::Strategy;
use super::tensors::{DeviceError, read_floats};
use super::translate::Translation;
use crate::data::dataset::Vocabularies;
use crate::data::snapshot::{
    AttentionView, EmbeddingTable, MaskView, PlotData, TokenGrid, TokenKind,
};
use crate::data::vocab::{BOS, EOS, PAD, SpecialToken, UNK, Vocab};
use crate::data::{Batch, EncodedPair};
use burn::module::Module;
use serde::{Deserialize, Serialize};

/// Rows of the batch shown in the padding-mask plot.
pub const MASK_ROWS: usize = 8;

/// Which example the attention plot decodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlotExample {
    /// The n-th validation example (wraps around).
    Validation(usize),
    /// A source text the person typed.
    Text(String),
    /// A typed text decoded with a strategy (the try-it box's beam search or sampling).
    Decoded {
        /// The source text.
        text: String,
        /// How it is decoded.
        strategy: Strategy,
        /// Which of the beam's hypotheses to show (0 = the best).
        #[serde(default)]
        rank: usize,
    },
}

impl Default for PlotExample {
    fn default() -> Self {
        Self::Validation(0)
    }
}

impl Trainer {
    /// Reads the model's insides for the plots (one device round trip for the embeddings, one
    /// decode for the attention).
    pub async fn plot_data(&self, example: &PlotExample) -> Result<PlotData, DeviceError> {
        let model = self.model().valid();
        let vocab = &self.data().vocabularies;
        let (source_table, target_table) = model.embeddings();
        let mut weights = read_floats(vec![source_table, target_table]).await?;
        let target_weights = weights.pop().expect("two tensors were read");
        let source_weights = weights.pop().expect("two tensors were read");
        let embedding_size = self.config().model.embedding_size;
        let (text, expected, strategy, rank) = match example {
            PlotExample::Text(text) => (text.clone(), None, Strategy::Greedy, 0),
            PlotExample::Decoded {
                text,
                strategy,
                rank,
            } => (text.clone(), None, *strategy, *rank),
            PlotExample::Validation(n) => match self.data().valid.len() {
                0 => (String::new(), None, Strategy::Greedy, 0),
                len => {
                    let pair = &self.data().valid[n % len];
                    (
                        pair.source_text.clone(),
                        Some(pair.target_text.clone()),
                        Strategy::Greedy,
                        0,
                    )
                }
            },
        };
        let (attention, heads) = if text.trim().is_empty() {
            (None, None)
        } else {
            let translation = self.decode(&text, strategy).await?.showing(rank);
            let heads = self.heads_view(&text, &translation.output_tokens).await?;
            (Some(attention_view(translation, &text, expected)), heads)
        };
        let positions = self.positions_view().await?;
        Ok(PlotData {
            step: self.step_count(),
            source_embeddings: embedding_table(
                &vocab.source,
                source_weights,
                embedding_size,
                token_counts(&self.data().train, vocab.source.len(), |p| &p.source),
            ),
            target_embeddings: embedding_table(
                &vocab.target,
                target_weights,
                embedding_size,
                token_counts(&self.data().train, vocab.target.len(), |p| &p.target),
            ),
            masks: MaskView {
                causal: model.transformer().is_some(),
                ..match self.last_batch() {
                    Some(batch) => mask_view(batch, vocab, MASK_ROWS),
                    None => mask_view(&self.next_batch(), vocab, MASK_ROWS),
                }
            },
            attention,
            heads,
            positions,
        })
    }
}

fn embedding_table(
    vocab: &Vocab,
    flat: Vec<f32>,
    width: usize,
    counts: Vec<u64>,
) -> EmbeddingTable {
    EmbeddingTable {
        tokens: vocab.tokens().to_vec(),
        vectors: flat.chunks(width.max(1)).map(<[f32]>::to_vec).collect(),
        special: SpecialToken::ALL.len(),
        counts,
    }
}

/// How often each of a vocabulary's `size` ids occurs on one side of `pairs`.
pub fn token_counts(
    pairs: &[EncodedPair],
    size: usize,
    side: impl Fn(&EncodedPair) -> &Vec<usize>,
) -> Vec<u64> {
    let mut counts = vec![0; size];
    for id in pairs.iter().flat_map(side) {
        if let Some(count) = counts.get_mut(*id) {
            *count += 1;
        }
    }
    counts
}

/// A decoded example as the attention plot shows it.
pub fn attention_view(
    translation: Translation,
    source_text: &str,
    expected: Option<String>,
) -> AttentionView {
    let mut output_tokens = translation.output_tokens;
    if translation.finished {
        output_tokens.push(SpecialToken::Eos.text().to_string());
    }
    let source_tokens = translation
        .source_tokens
        .into_iter()
        .map(|t| {
            if translation.unknown_tokens.contains(&t) {
                format!("{t}?")
            } else {
                t
            }
        })
        .collect();
    AttentionView {
        source_text: source_text.to_string(),
        source_tokens,
        output_tokens,
        expected,
        weights: translation.attention,
    }
}

/// The first `max_rows` sequences of `batch` as the padding-mask plot's three grids.
pub fn mask_view(batch: &Batch, vocab: &Vocabularies, max_rows: usize) -> MaskView {
    let rows = batch.batch_size.min(max_rows);
    let grid =
        |title: &str, mask_name: &str, ids: &[usize], mask: &[f32], width: usize, side: &Vocab| {
            let mut grid = TokenGrid {
                title: title.to_string(),
                mask_name: mask_name.to_string(),
                ..TokenGrid::default()
            };
            for r in 0..rows {
                let row = &ids[r * width..(r + 1) * width];
                grid.tokens
                    .push(row.iter().map(|&id| side.token(id).to_string()).collect());
                grid.kinds
                    .push(row.iter().map(|&id| token_kind(id)).collect());
                grid.mask.push(mask[r * width..(r + 1) * width].to_vec());
            }
            grid
        };
    MaskView {
        batch_size: batch.batch_size,
        source: grid(
            "source",
            "source mask",
            &batch.source,
            &batch.source_mask,
            batch.source_len,
            &vocab.source,
        ),
        decoder_input: grid(
            "decoder input",
            "target mask",
            &batch.target_input,
            &batch.target_mask,
            batch.target_len,
            &vocab.target,
        ),
        decoder_output: grid(
            "decoder output",
            "loss mask",
            &batch.target_output,
            &batch.loss_mask,
            batch.target_len,
            &vocab.target,
        ),
        causal: false,
    }
}

fn token_kind(id: usize) -> TokenKind {
    match id {
        PAD => TokenKind::Pad,
        BOS => TokenKind::Bos,
        EOS => TokenKind::Eos,
        UNK => TokenKind::Unk,
        _ => TokenKind::Token,
    }
}
