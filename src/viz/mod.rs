//! The live plots, drawn with plotters from plain data.
//!
//! Nothing here knows burn, training or the browser: each plot takes plain data
//! ([`crate::data::snapshot`], which training fills) and draws onto any
//! plotters [`DrawingBackend`](plotters::prelude::DrawingBackend), so the same code paints the
//! page's canvases (through `plotters-canvas`) and, natively, PNG files (see [`png`]).
//!
//! - [`embedding_3d`]: the embedding matrix projected to 3 principal components ([`pca`]),
//!   a searched token's nearest neighbours highlighted ([`neighbours`]).
//! - [`padding_mask`]: the current batch with its padding and its three masks.
//! - [`attention`]: the attention weights of one decoded example as a heatmap.
//! - [`curves`]: train loss, validation loss and accuracy against step.
//! - [`comparison`]: two runs' validation curves overlaid.
//! - [`beam`]: a beam search's lattice, pruned paths in grey.
//! - [`heads`]: a Transformer layer's attention heads as small multiples.
//! - [`positions`]: a Transformer's positional encodings as a heatmap.
//! - [`schedule`]: the learning-rate schedule's preview.

pub mod attention;
pub mod beam;
pub mod comparison;
pub mod curves;
pub mod embedding_3d;
pub mod heads;
pub mod neighbours;
pub mod padding_mask;
pub mod pca;
pub mod plots;
#[cfg(not(target_arch = "wasm32"))]
pub mod png;
pub mod positions;
pub mod schedule;
pub mod theme;

/// What the plots draw: plain data that training fills (see [`crate::data::snapshot`]).
pub use crate::data::snapshot::{
    AttentionView, BeamNodeView, BeamView, EmbeddingTable, HeadsKind, HeadsView, MaskView,
    PlotData, PositionsView, TokenGrid, TokenKind,
};
pub use attention::{HeatmapLayout, draw_attention};
pub use beam::{BeamLayout, best_path, draw_beam};
pub use comparison::{ComparedRun, draw_comparison};
pub use curves::{Curves, LossScale, draw_curves};
pub use embedding_3d::{Camera, LabelChoice, PointMark, Scatter3d, ScatterPoint, draw_scatter_3d};
pub use heads::{HeadPanel, HeadsChoice, draw_heads, head_panels};
pub use neighbours::{Neighbour, Search};
pub use padding_mask::draw_padding_mask;
pub use pca::Pca;
pub use plots::{EmbeddingSide, LABEL_TOP, PlotName, PlotOptions, Plots};
pub use positions::{PositionsLayout, draw_positions};
pub use schedule::{ScheduleCurve, draw_schedule};

/// A plot that could not be drawn (the backend refused a primitive, or a font is missing).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("could not draw the plot: {0}")]
pub struct DrawError(pub String);

impl DrawError {
    /// Wraps any displayable drawing error.
    pub fn from_display(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// What every plot function returns.
pub type DrawResult = Result<(), DrawError>;
