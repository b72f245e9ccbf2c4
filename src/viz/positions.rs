//! The positional encodings as a heatmap: one row per position, one column per dimension, on a
//! diverging scale (blue negative, white zero, red positive). Sinusoids show their geometric
//! wavelengths, fast on the left, slow on the right; learned positions show what training made
//! of them.

use super::theme;
use super::{DrawError, DrawResult};
use crate::data::snapshot::PositionsView;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Where the matrix's cells go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionsLayout {
    /// Left edge of the first dimension.
    pub left: i32,
    /// Top edge of position 0.
    pub top: i32,
    /// Cell width (per dimension) and height (per position), pixels.
    pub cell: (f64, f64),
}

impl PositionsLayout {
    /// The layout of a `positions` x `dimensions` matrix in a `width` x `height` plot.
    pub fn new(positions: usize, dimensions: usize, (width, height): (u32, u32)) -> Self {
        let (left, top) = (36, 48);
        let right = width as i32 - 56;
        let bottom = height as i32 - 28;
        Self {
            left,
            top,
            cell: (
                ((right - left) as f64 / dimensions.max(1) as f64).max(0.5),
                ((bottom - top) as f64 / positions.max(1) as f64).max(0.5),
            ),
        }
    }

    /// Corners of the cell of `position` and `dimension`.
    pub fn cell_rect(&self, position: usize, dimension: usize) -> [(i32, i32); 2] {
        let x = |d: usize| self.left + (d as f64 * self.cell.0) as i32;
        let y = |p: usize| self.top + (p as f64 * self.cell.1) as i32;
        [
            (x(dimension), y(position)),
            (
                x(dimension + 1).max(x(dimension) + 1),
                y(position + 1).max(y(position) + 1),
            ),
        ]
    }
}

/// The diverging colour of `value` on a scale from `-limit` (blue) to `limit` (red).
pub fn diverging(value: f64, limit: f64) -> RGBColor {
    let t = (value / limit.max(1e-9)).clamp(-1.0, 1.0);
    let (blue, red) = ((37.0, 99.0, 235.0), (220.0, 38.0, 38.0));
    let (r, g, b) = if t < 0.0 { blue } else { red };
    let a = t.abs();
    let mix = |c: f64| (255.0 + (c - 255.0) * a).round() as u8;
    RGBColor(mix(r), mix(g), mix(b))
}

/// Draws the encoding matrix of `view`.
pub fn draw_positions<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &PositionsView,
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let positions = view.matrix.len();
    let dimensions = view.matrix.first().map_or(0, Vec::len);
    let title = if view.learned {
        "learned positions: one trained vector per position"
    } else {
        "sinusoidal positions: sin/cos of geometric wavelengths (fixed)"
    };
    area.draw(&Text::new(title, (8, 8), theme::text(12.0, theme::INK)))
        .map_err(e)?;
    area.draw(&Text::new(
        format!(
            "rows: positions 0-{} · columns: {dimensions} dimensions",
            positions.saturating_sub(1)
        ),
        (8, 26),
        theme::text(11.0, theme::MUTED),
    ))
    .map_err(e)?;
    if positions == 0 || dimensions == 0 {
        return area.present().map_err(e);
    }
    let limit = view
        .matrix
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
    let layout = PositionsLayout::new(positions, dimensions, area.dim_in_pixel());
    for (p, row) in view.matrix.iter().enumerate() {
        for (d, &value) in row.iter().enumerate() {
            area.draw(&Rectangle::new(
                layout.cell_rect(p, d),
                diverging(f64::from(value), limit).filled(),
            ))
            .map_err(e)?;
        }
    }
    let every = (12.0 / layout.cell.1).ceil().max(1.0) as usize;
    for p in (0..positions).step_by(every.max(positions.div_ceil(20))) {
        let [(_, y0), (_, y1)] = layout.cell_rect(p, 0);
        area.draw(&Text::new(
            p.to_string(),
            (layout.left - 4, (y0 + y1) / 2),
            theme::right_text(10.0, theme::MUTED),
        ))
        .map_err(e)?;
    }
    // The scale.
    let x = layout.cell_rect(0, dimensions - 1)[1].0 + 12;
    let height = 120;
    for i in 0..height {
        let value = limit * (1.0 - 2.0 * f64::from(i) / f64::from(height - 1));
        area.draw(&Rectangle::new(
            [(x, layout.top + i), (x + 10, layout.top + i + 1)],
            diverging(value, limit).filled(),
        ))
        .map_err(e)?;
    }
    let style = theme::text(10.0, theme::MUTED);
    for (label, y) in [
        (format!("{limit:.1}"), layout.top),
        ("0".to_string(), layout.top + height / 2),
        (format!("-{limit:.1}"), layout.top + height),
    ] {
        area.draw(&Text::new(label, (x + 13, y), style.clone()))
            .map_err(e)?;
    }
    area.present().map_err(e)
}
