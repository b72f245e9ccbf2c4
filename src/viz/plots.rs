//! The plots of one run together: the latest snapshot of the model's insides, the curves
//! recorded so far, the viewer's choices (camera, toggles), and the PCA fits kept from frame to
//! frame so the scatter glides. The page and the CLI both draw through this.

use super::embedding_3d::LabelChoice;
use super::heads::{HeadPanel, HeadsChoice, draw_heads, head_panels};
use super::neighbours::{NEIGHBOURS, Search, search};
use super::positions::draw_positions;
use super::{
    Camera, Curves, DrawResult, LossScale, Pca, Scatter3d, draw_attention, draw_curves,
    draw_padding_mask, draw_scatter_3d,
};
use crate::data::snapshot::{EmbeddingTable, PlotData};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use strum::VariantArray;

/// The plots. Their names (the only list of them) are the page's canvas ids, which the
/// page reads from here at start, and the CLI's PNG file names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr, strum::EnumString,
)]
#[strum(serialize_all = "kebab-case")]
pub enum PlotName {
    /// The 3D scatter of the embeddings.
    #[strum(serialize = "embedding-3d")]
    Embedding3d,
    /// The attention heatmap of one example.
    Attention,
    /// The padding and loss masks of the last batch.
    PaddingMask,
    /// Loss and accuracy curves.
    Curves,
    /// A Transformer layer's attention heads, side by side.
    #[strum(serialize = "attention-heads")]
    Heads,
    /// A Transformer's positional encodings.
    #[strum(serialize = "positional-encoding")]
    Positions,
}

impl PlotName {
    /// Every plot's name, in order.
    pub fn names() -> Vec<&'static str> {
        Self::VARIANTS.iter().map(|&plot| plot.into()).collect()
    }
}

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlotOptions {
    /// Source or target embeddings.
    pub embedding_side: EmbeddingSide,
    /// Show the course's four-word example instead of the model's embeddings.
    pub course_example: bool,
    /// Linear or log loss axis.
    pub loss_scale: LossScale,
    /// In a large vocabulary, label this many of the most frequent tokens.
    pub label_top: usize,
    /// Tokens the person asked to label.
    pub label_tokens: Vec<String>,
    /// A token to find: highlighted in the scatter with its nearest neighbours.
    pub search: String,
    /// Which attention heads the heads plot shows.
    pub heads: HeadsChoice,
}

/// How many of the most frequent tokens a large scatter labels unless asked otherwise.
pub const LABEL_TOP: usize = 30;

impl Default for PlotOptions {
    fn default() -> Self {
        Self {
            embedding_side: EmbeddingSide::default(),
            course_example: false,
            loss_scale: LossScale::default(),
            label_top: LABEL_TOP,
            label_tokens: Vec::new(),
            search: String::new(),
            heads: HeadsChoice::default(),
        }
    }
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
    /// Where the scatter's points were last drawn (token, canvas pixel), for picking one.
    drawn_points: RefCell<Vec<(String, (i32, i32))>>,
    /// Where the heads were last drawn (panel, cells down and across), for picking one.
    drawn_heads: RefCell<Vec<(HeadPanel, (usize, usize))>>,
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
            options: std::mem::take(&mut self.options),
            ..Self::default()
        };
    }

    /// The embedding table on show, with its title and PCA fit.
    fn embedding_on_show(&self) -> Option<(&'static str, &EmbeddingTable, &Pca)> {
        let data = self.data.as_ref()?;
        Some(match self.options.embedding_side {
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
        })
    }

    /// The token searched for and its nearest neighbours in the embeddings on show (`None`
    /// without a search, before the first snapshot, or on the course's example).
    pub fn search(&self) -> Option<Search> {
        let wanted = self.options.search.trim();
        if wanted.is_empty() || self.options.course_example {
            return None;
        }
        let (_, table, _) = self.embedding_on_show()?;
        Some(search(table, wanted, NEIGHBOURS))
    }

    /// The scatter the options ask for (`None` before the first snapshot).
    pub fn scatter(&self) -> Option<Scatter3d> {
        if self.options.course_example {
            return Some(Scatter3d::course_example());
        }
        let (title, table, pca) = self.embedding_on_show()?;
        // The example on show labels its own tokens on the side they belong to.
        let example: Vec<String> = self
            .data
            .as_ref()
            .and_then(|d| d.attention.as_ref())
            .map(|view| match self.options.embedding_side {
                EmbeddingSide::Source => view.source_tokens.clone(),
                EmbeddingSide::Target => view.output_tokens.clone(),
            })
            .unwrap_or_default();
        let labels = LabelChoice {
            top: self.options.label_top,
            always: example
                .into_iter()
                .chain(self.options.label_tokens.iter().cloned())
                .collect(),
            search: self.search(),
        };
        Some(Scatter3d::from_embeddings(title, table, pca, &labels))
    }

    /// Draws the 3D embedding scatter.
    pub fn draw_embedding<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let Some(scatter) = self.scatter() else {
            self.drawn_points.borrow_mut().clear();
            return waiting(area, "the embeddings appear once the model exists");
        };
        let pixels = draw_scatter_3d(area, &scatter, &self.camera)?;
        *self.drawn_points.borrow_mut() = scatter
            .points
            .into_iter()
            .map(|p| p.label)
            .zip(pixels)
            .collect();
        Ok(())
    }

    /// The token whose point was drawn nearest to canvas pixel `(x, y)`, within `radius`.
    pub fn token_at(&self, x: f64, y: f64, radius: f64) -> Option<String> {
        self.drawn_points
            .borrow()
            .iter()
            .map(|(label, (px, py))| (label, (f64::from(*px) - x).hypot(f64::from(*py) - y)))
            .filter(|&(_, distance)| distance <= radius)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(label, _)| label.clone())
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

    /// Draws the attention heads the options pick.
    pub fn draw_heads<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        self.drawn_heads.borrow_mut().clear();
        let Some(data) = self.data.as_ref() else {
            return waiting(area, "attention heads appear once an example is decoded");
        };
        let Some(view) = data.heads.as_ref() else {
            return waiting(
                area,
                "every head of a Transformer layer shows here (this run is an RNN: model → Transformer)",
            );
        };
        let choice = self.options.heads;
        draw_heads(area, view, choice)?;
        let layers = view.of(choice.kind);
        if let Some(weights) = layers.get(choice.layer.min(layers.len().saturating_sub(1))) {
            let (queries, keys) = view.axes(choice.kind);
            let cells = (queries.len(), keys.len());
            *self.drawn_heads.borrow_mut() =
                head_panels(weights.len(), cells, choice.head, area.dim_in_pixel())
                    .into_iter()
                    .map(|panel| (panel, cells))
                    .collect();
        }
        Ok(())
    }

    /// The head whose panel was drawn under canvas pixel `(x, y)`.
    pub fn head_at(&self, x: f64, y: f64) -> Option<usize> {
        self.drawn_heads
            .borrow()
            .iter()
            .find(|(panel, (queries, keys))| {
                let [(x0, y0), _] = panel.cell_rect(0, 0);
                let [_, (x1, y1)] =
                    panel.cell_rect(queries.saturating_sub(1), keys.saturating_sub(1));
                x >= f64::from(x0) && x < f64::from(x1) && y >= f64::from(y0) && y < f64::from(y1)
            })
            .map(|(panel, _)| panel.head)
    }

    /// Draws the positional encodings.
    pub fn draw_positions<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        match self.data.as_ref().map(|d| d.positions.as_ref()) {
            Some(Some(view)) => draw_positions(area, view),
            Some(None) => waiting(
                area,
                "a Transformer's positional encodings show here (an RNN reads in order)",
            ),
            None => waiting(area, "the positions appear once the model exists"),
        }
    }

    /// Draws the learning curves.
    pub fn draw_curves<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        draw_curves(area, &self.curves, self.options.loss_scale)
    }

    /// Draws one plot.
    pub fn draw<DB: DrawingBackend>(
        &self,
        plot: PlotName,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        match plot {
            PlotName::Embedding3d => self.draw_embedding(area),
            PlotName::Attention => self.draw_attention(area),
            PlotName::PaddingMask => self.draw_masks(area),
            PlotName::Curves => self.draw_curves(area),
            PlotName::Heads => self.draw_heads(area),
            PlotName::Positions => self.draw_positions(area),
        }
    }

    /// Draws the plot called `name` (a canvas id, a file name); an unknown name is an error that
    /// lists the plots.
    pub fn draw_named<DB: DrawingBackend>(
        &self,
        name: &str,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let plot: PlotName = name.parse().map_err(|_| {
            super::DrawError(format!(
                "there is no plot called '{name}' (the plots: {})",
                PlotName::names().join(", ")
            ))
        })?;
        self.draw(plot, area)
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
