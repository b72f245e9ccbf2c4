//! The beam view: a beam search as a lattice, one column per step and one row per kept
//! hypothesis; each node shows its token and cumulative log-probability, joined to the
//! hypothesis it extends. Paths that reach the end are drawn in colour (the best one in orange),
//! pruned ones in grey.

use super::theme;
use super::{DrawError, DrawResult};
use crate::data::snapshot::BeamView;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Space for the title and the legend above the lattice.
const TOP: i32 = 52;

/// Where the lattice's nodes go in a plot of a given size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeamLayout {
    /// Left edge (the `<bos>` root's column).
    pub left: f64,
    /// Distance between steps.
    pub column: f64,
    /// Top row's centre.
    pub top: f64,
    /// Distance between rows.
    pub row: f64,
    /// Rows of the beam.
    pub width: usize,
}

impl BeamLayout {
    /// The layout of `view` in a `width` x `height` plot.
    pub fn new(view: &BeamView, (width, height): (u32, u32)) -> Self {
        let rows = view.steps.first().map_or(1, Vec::len).max(1);
        let steps = view.steps.len().max(1);
        let left = 24.0;
        let column = ((f64::from(width) - left - 40.0) / steps as f64).clamp(8.0, 64.0);
        let row = ((f64::from(height) - f64::from(TOP) - 16.0) / rows as f64).clamp(6.0, 48.0);
        Self {
            left,
            column,
            top: f64::from(TOP) + row / 2.0,
            row,
            width: rows,
        }
    }

    /// The root (`<bos>`): left, vertically centred on the rows.
    pub fn root(&self) -> (i32, i32) {
        let middle = self.top + self.row * (self.width as f64 - 1.0) / 2.0;
        (self.left as i32, middle as i32)
    }

    /// Centre of the node of `step` (0-based) and beam row `row`.
    pub fn node(&self, step: usize, row: usize) -> (i32, i32) {
        (
            (self.left + self.column * (step + 1) as f64) as i32,
            (self.top + self.row * row as f64) as i32,
        )
    }
}

/// The rows of the best hypothesis at each step (walked back from `best_row`).
pub fn best_path(view: &BeamView) -> Vec<usize> {
    let mut rows = vec![0; view.steps.len()];
    let mut at = view.best_row;
    for (t, nodes) in view.steps.iter().enumerate().rev() {
        rows[t] = at;
        at = nodes.get(at).map_or(0, |n| n.parent);
    }
    rows
}

/// Draws the lattice of `view`.
pub fn draw_beam<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, view: &BeamView) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    if view.steps.is_empty() {
        area.draw(&Text::new(
            "choose beam search in the try-it box and decode: its search is drawn here",
            (12, 20),
            theme::text(12.0, theme::MUTED),
        ))
        .map_err(e)?;
        return area.present().map_err(e);
    }
    let layout = BeamLayout::new(view, area.dim_in_pixel());
    let best = best_path(view);
    let title = format!(
        "beam search, width {}: {}",
        layout.width,
        theme::shorten(&view.source_text, 40)
    );
    let style = theme::for_label(theme::text(13.0, theme::INK), &title);
    area.draw(&Text::new(title, (8, 12), style)).map_err(e)?;
    let legend = [
        (theme::SEARCHED, "best"),
        (theme::ACCENT, "reaches the end"),
        (theme::PAD, "pruned later"),
    ];
    let mut x = 8;
    for (color, name) in legend {
        area.draw(&Circle::new((x + 5, 32), 5, color.filled()))
            .map_err(e)?;
        area.draw(&Text::new(
            name,
            (x + 14, 32),
            theme::text(11.0, theme::MUTED),
        ))
        .map_err(e)?;
        x += 26 + 7 * name.len() as i32;
    }
    let colour = |t: usize, row: usize, survives: bool| {
        if best[t] == row {
            theme::SEARCHED
        } else if survives {
            theme::ACCENT
        } else {
            theme::PAD
        }
    };
    // Edges first (pruned ones under the rest), then nodes, then labels.
    for pass in [false, true] {
        for (t, nodes) in view.steps.iter().enumerate() {
            for (row, node) in nodes.iter().enumerate() {
                if node.survives != pass {
                    continue;
                }
                let from = if t == 0 {
                    layout.root()
                } else {
                    layout.node(t - 1, node.parent)
                };
                let width = if best[t] == row {
                    3
                } else {
                    1 + u32::from(node.survives)
                };
                area.draw(&PathElement::new(
                    vec![from, layout.node(t, row)],
                    colour(t, row, node.survives).stroke_width(width),
                ))
                .map_err(e)?;
            }
        }
    }
    area.draw(&Circle::new(layout.root(), 5, theme::BOS.filled()))
        .map_err(e)?;
    let label_size = (layout.row * 0.4).clamp(8.0, 12.0);
    let show_labels = layout.row >= 14.0 && layout.column >= 24.0;
    for (t, nodes) in view.steps.iter().enumerate() {
        for (row, node) in nodes.iter().enumerate() {
            let at = layout.node(t, row);
            let filler = node.token == "<pad>";
            let radius = if filler { 2 } else { 5 };
            area.draw(&Circle::new(
                at,
                radius,
                colour(t, row, node.survives).filled(),
            ))
            .map_err(e)?;
            if show_labels && !filler {
                let ink = if node.survives {
                    theme::INK
                } else {
                    theme::MUTED
                };
                let token = theme::shorten(&node.token, 6);
                let style = theme::for_label(theme::centred_text(label_size, ink), &token);
                area.draw(&Text::new(token, (at.0, at.1 - 10), style))
                    .map_err(e)?;
                if layout.row >= 30.0 {
                    area.draw(&Text::new(
                        format!("{:.1}", node.log_prob),
                        (at.0, at.1 + 11),
                        theme::centred_text(9.0, theme::MUTED),
                    ))
                    .map_err(e)?;
                }
            }
        }
    }
    area.present().map_err(e)
}
