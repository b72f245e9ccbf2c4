//! The four plots of one run together: the latest snapshot of the model's insides, the curves
//! recorded so far, the viewer's choices (camera, toggles), and the PCA fits kept from frame to
//! frame so the scatter glides. The page and the CLI both draw through this.

use super::{
    AttentionView, Camera, Curves, DrawResult, EmbeddingTable, LossScale, MaskView, Pca, Scatter3d,
    draw_attention, draw_curves, draw_padding_mask, draw_scatter_3d,
};
use plotters::coord::Shift;
use plotters::prelude::*;
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
}

/// The four plots, named as the page's canvases (and the CLI's PNG files).
pub const PLOT_NAMES: [&str; 4] = ["embedding-3d", "attention", "padding-mask", "curves"];

/// Which embedding matrix the scatter shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddingSide {
    /// The encoder's embeddings.
    #[default]
    Source,
    /// The decoder's embeddings.
    Target,
}

/// The viewer's toggles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlotOptions {
    /// Source or target embeddings.
    pub embedding_side: EmbeddingSide,
    /// Show the course's four-word example instead of the model's embeddings.
    pub course_example: bool,
    /// Linear or log loss axis.
    pub loss_scale: LossScale,
}

/// A run's plots and what they are drawn from.
#[derive(Debug, Clone, Default)]
pub struct Plots {
    data: Option<PlotData>,
    source_pca: Option<Pca>,
    target_pca: Option<Pca>,
    /// Where the scatter is seen from.
    pub camera: Camera,
    /// Curves recorded so far.
    pub curves: Curves,
    /// The viewer's toggles.
    pub options: PlotOptions,
}

impl Plots {
    /// Takes a new snapshot; the PCA fits follow on from the previous ones.
    pub fn set_data(&mut self, data: PlotData) {
        self.source_pca = Pca::fit(&data.source_embeddings.vectors, self.source_pca.as_ref());
        self.target_pca = Pca::fit(&data.target_embeddings.vectors, self.target_pca.as_ref());
        self.data = Some(data);
    }

    /// The latest snapshot.
    pub fn data(&self) -> Option<&PlotData> {
        self.data.as_ref()
    }

    /// Forgets the snapshot, the fits and the curves (a new run); keeps camera and toggles.
    pub fn clear(&mut self) {
        *self = Self {
            camera: self.camera,
            options: self.options,
            ..Self::default()
        };
    }

    /// The scatter the options ask for (`None` before the first snapshot).
    pub fn scatter(&self) -> Option<Scatter3d> {
        if self.options.course_example {
            return Some(Scatter3d::course_example());
        }
        let data = self.data.as_ref()?;
        let (title, table, pca) = match self.options.embedding_side {
            EmbeddingSide::Source => (
                "source embeddings (encoder)",
                &data.source_embeddings,
                self.source_pca.as_ref()?,
            ),
            EmbeddingSide::Target => (
                "target embeddings (decoder)",
                &data.target_embeddings,
                self.target_pca.as_ref()?,
            ),
        };
        Some(Scatter3d::from_embeddings(title, table, pca))
    }

    /// Draws the 3D embedding scatter.
    pub fn draw_embedding<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        match self.scatter() {
            Some(scatter) => draw_scatter_3d(area, &scatter, &self.camera),
            None => waiting(area, "the embeddings appear once the model exists"),
        }
    }

    /// Draws the padding masks of the last batch.
    pub fn draw_masks<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        match self.data.as_ref().map(|d| &d.masks) {
            Some(masks) => draw_padding_mask(area, masks),
            None => waiting(area, "the batches appear here once the model is built"),
        }
    }

    /// Draws the attention heatmap.
    pub fn draw_attention<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        match self.data.as_ref().and_then(|d| d.attention.as_ref()) {
            Some(view) => draw_attention(area, view),
            None => waiting(area, "attention appears once an example is decoded"),
        }
    }

    /// Draws the learning curves.
    pub fn draw_curves<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        draw_curves(area, &self.curves, self.options.loss_scale)
    }

    /// Draws the plot called `name`, one of [`PLOT_NAMES`] (the page's canvas ids and the CLI's
    /// file names).
    pub fn draw<DB: DrawingBackend>(
        &self,
        name: &str,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        match name {
            "embedding-3d" => self.draw_embedding(area),
            "attention" => self.draw_attention(area),
            "padding-mask" => self.draw_masks(area),
            "curves" => self.draw_curves(area),
            other => Err(super::DrawError(format!(
                "there is no plot called '{other}' (the plots: {})",
                PLOT_NAMES.join(", ")
            ))),
        }
    }
}

/// A blank plot with one line of text, for before there is anything to draw.
fn waiting<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, message: &str) -> DrawResult {
    let e = super::DrawError::from_display;
    area.fill(&super::theme::BACKGROUND).map_err(e)?;
    area.draw(&Text::new(
        message.to_string(),
        (12, 20),
        super::theme::text(12.0, super::theme::MUTED),
    ))
    .map_err(e)?;
    area.present().map_err(e)
}
