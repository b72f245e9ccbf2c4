//! A snapshot of a model's insides at one step, as plain data: its embedding matrices, the last
//! batch with its masks, one decoded example with its attention. Training fills it
//! ([`crate::train::Trainer::plot_data`]), the plots draw it (`viz`), the page moves it between
//! its worker and its canvases as JSON; none of them needs the others' types.

use serde::{Deserialize, Serialize};

/// What the model looks like inside at one step, as plain data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlotData {
    /// The step it was taken at.
    pub step: usize,
    /// Source-side embedding matrix.
    pub source_embeddings: EmbeddingTable,
    /// Target-side embedding matrix.
    pub target_embeddings: EmbeddingTable,
    /// The last training batch with its masks (before the first step: the first batch).
    pub masks: MaskView,
    /// One decoded example with its attention.
    pub attention: Option<AttentionView>,
    /// A Transformer's every head for that example (`None` for an RNN).
    #[serde(default)]
    pub heads: Option<HeadsView>,
    /// A Transformer's positional encodings (`None` for an RNN).
    #[serde(default)]
    pub positions: Option<PositionsView>,
}

menu_enum! {
    case = "kebab-case";
    /// Which attention of a Transformer layer.
    pub enum HeadsKind {
        /// Cross-attention: target positions over source positions.
        #[strum(message = "cross (output over source)")]
        #[default]
        Cross,
        /// Encoder self-attention: source positions over source positions.
        #[strum(message = "encoder self (source over source)")]
        EncoderSelf,
        /// Decoder masked self-attention: target positions over themselves and earlier ones.
        #[strum(message = "decoder self (output over earlier output)")]
        DecoderSelf,
    }
}

/// Weights `[layer][head][query][key]`.
pub type LayerHeads = Vec<Vec<Vec<Vec<f32>>>>;

/// Every attention head of a Transformer for one example (its decoded output read back
/// teacher-forced, so the queries are the decoder's input tokens).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeadsView {
    /// Source tokens.
    pub source_tokens: Vec<String>,
    /// The decoder's input tokens (`<bos>` + the output).
    pub target_tokens: Vec<String>,
    /// Encoder self-attention per layer and head.
    pub encoder_self: LayerHeads,
    /// Decoder self-attention per layer and head (keys ahead of the query get 0: causal mask).
    pub decoder_self: LayerHeads,
    /// Cross-attention per layer and head.
    pub cross: LayerHeads,
}

impl HeadsView {
    /// The weights of one kind, per layer.
    pub fn of(&self, kind: HeadsKind) -> &LayerHeads {
        match kind {
            HeadsKind::EncoderSelf => &self.encoder_self,
            HeadsKind::DecoderSelf => &self.decoder_self,
            HeadsKind::Cross => &self.cross,
        }
    }

    /// Query (row) and key (column) tokens of one kind.
    pub fn axes(&self, kind: HeadsKind) -> (&[String], &[String]) {
        match kind {
            HeadsKind::EncoderSelf => (&self.source_tokens, &self.source_tokens),
            HeadsKind::DecoderSelf => (&self.target_tokens, &self.target_tokens),
            HeadsKind::Cross => (&self.target_tokens, &self.source_tokens),
        }
    }
}

/// A Transformer's positional encodings: one vector per position.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PositionsView {
    /// Learned (trained) rather than fixed sinusoids.
    pub learned: bool,
    /// `[position][dimension]`, the first positions a sequence of the data can reach.
    pub matrix: Vec<Vec<f32>>,
}

/// An embedding matrix with its tokens: row `i` is the vector of `tokens[i]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingTable {
    /// Tokens in id order.
    pub tokens: Vec<String>,
    /// One embedding vector per token.
    pub vectors: Vec<Vec<f32>>,
    /// How many leading tokens are special (`<pad>`, `<bos>`, `<eos>`, `<unk>`).
    pub special: usize,
    /// How often each token occurs in the training pairs, in `tokens` order (empty: unknown).
    #[serde(default)]
    pub counts: Vec<u64>,
}

/// One decoded example and its attention.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttentionView {
    /// The input as text.
    pub source_text: String,
    /// Source tokens (columns).
    pub source_tokens: Vec<String>,
    /// Output tokens (rows), `<eos>` included when the decoder stopped.
    pub output_tokens: Vec<String>,
    /// The expected output, when known (a validation example).
    pub expected: Option<String>,
    /// Attention weights `[output][source]`, each row summing to 1; `None` without attention.
    pub weights: Option<Vec<Vec<f32>>>,
}

/// What a grid cell holds: a real token or one of the special tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    /// A real token.
    Token,
    /// Padding.
    Pad,
    /// Beginning of sequence.
    Bos,
    /// End of sequence.
    Eos,
    /// Unknown token.
    Unk,
}

impl TokenKind {
    /// Whether the cell holds one of the special tokens.
    pub fn is_special(self) -> bool {
        self != Self::Token
    }
}

/// One padded matrix of the batch and the mask that goes with it, `[rows][positions]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenGrid {
    /// What the grid is ("source", "decoder input", ...).
    pub title: String,
    /// The mask's name ("source mask", ...).
    pub mask_name: String,
    /// Token text per cell.
    pub tokens: Vec<Vec<String>>,
    /// Kind per cell.
    pub kinds: Vec<Vec<TokenKind>>,
    /// Mask value per cell (1 kept, 0 masked out).
    pub mask: Vec<Vec<f32>>,
}

/// The batch's three grids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MaskView {
    /// Rows shown out of the batch's size.
    pub batch_size: usize,
    /// Source ids with the source mask (attention ignores masked cells).
    pub source: TokenGrid,
    /// Decoder input (`<bos>` + target) with the target mask.
    pub decoder_input: TokenGrid,
    /// Decoder output (target + `<eos>`) with the loss mask (the loss ignores masked cells).
    pub decoder_output: TokenGrid,
    /// The model is a Transformer: its decoder's self-attention also has a causal mask.
    #[serde(default)]
    pub causal: bool,
}

/// One hypothesis a beam search kept at some step, as the beam view draws it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BeamNodeView {
    /// Its row in the beam at the step before.
    pub parent: usize,
    /// The token it added (`<eos>`; `<pad>` after a hypothesis had ended).
    pub token: String,
    /// Cumulative log-probability.
    pub log_prob: f64,
    /// Whether a final hypothesis descends from it (else it was pruned later).
    pub survives: bool,
}

/// A beam search for one input: per step, the `width` hypotheses kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BeamView {
    /// The input.
    pub source_text: String,
    /// Per step, the kept hypotheses (rows of the beam).
    pub steps: Vec<Vec<BeamNodeView>>,
    /// The final row of the best hypothesis.
    pub best_row: usize,
}
