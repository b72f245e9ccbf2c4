//! The four live plots, drawn with plotters from plain data.
//!
//! Nothing here knows burn or the browser: each plot takes plain `Vec`s and draws onto any
//! plotters [`DrawingBackend`](plotters::prelude::DrawingBackend), so the same code paints the
//! page's canvases (through `plotters-canvas`) and, natively, PNG files (see [`png`]).
//!
//! - [`embedding_3d`]: the embedding matrix projected to 3 principal components ([`pca`]).
//! - [`padding_mask`]: the current batch with its padding and its three masks.
//! - [`attention`]: the attention weights of one decoded example as a heatmap.
//! - [`curves`]: train loss, validation loss and accuracy against step.
//! - [`comparison`]: two runs' validation curves overlaid.

pub mod attention;
pub mod comparison;
pub mod curves;
pub mod embedding_3d;
pub mod padding_mask;
pub mod pca;
pub mod plots;
#[cfg(not(target_arch = "wasm32"))]
pub mod png;
pub mod theme;

pub use attention::{AttentionView, draw_attention};
pub use comparison::{ComparedRun, draw_comparison};
pub use curves::{Curves, LossScale, draw_curves};
pub use embedding_3d::{Camera, EmbeddingTable, Scatter3d, ScatterPoint, draw_scatter_3d};
pub use padding_mask::{CellKind, MaskView, TokenGrid, draw_padding_mask};
pub use pca::Pca;
pub use plots::{EmbeddingSide, PLOT_NAMES, PlotData, PlotOptions, Plots};

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
