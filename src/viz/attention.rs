//! The attention heatmap: for one decoded example, how much each output step (row) looked at
//! each source token (column), with a colour scale. A model without attention has no such
//! matrix: the plot says so and shows what its decoder gets instead, the one context vector.

use super::theme;
use super::{DrawError, DrawResult};
use crate::data::snapshot::AttentionView;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colour bar width, with its labels.
const LEGEND: i32 = 54;
/// Most rows or columns labelled; beyond that, only some are.
const MAX_LABELS: usize = 40;

/// Where the heatmap's cells go in a plot of a given size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatmapLayout {
    /// Output steps (rows).
    pub rows: usize,
    /// Source tokens (columns); 1 without attention (the context vector).
    pub columns: usize,
    /// Side of a cell, pixels.
    pub cell: f64,
    /// Top edge of the first row.
    pub top: i32,
    /// Left edge of the first column.
    pub left: i32,
}

impl HeatmapLayout {
    /// The layout of `view` in a `width` x `height` plot; `None` when it has no cells.
    pub fn new(view: &AttentionView, (width, height): (u32, u32)) -> Option<Self> {
        let rows = view.output_tokens.len();
        let headers = column_headers(view);
        let columns = headers.len();
        if rows == 0 || columns == 0 {
            return None;
        }
        // Room for row labels on the left and column labels on top.
        let row_label_w = 12 + 7 * longest(&view.output_tokens).min(8) as i32;
        let top = 58 + 8 * longest(&headers).min(8) as i32;
        let left = row_label_w + 6;
        let right = width as i32 - LEGEND - 8;
        let bottom = height as i32 - if view.weights.is_none() { 44 } else { 8 };
        let max_cell = if view.weights.is_none() { 60.0 } else { 40.0 };
        let cell = ((right - left) as f64 / columns as f64)
            .min((bottom - top) as f64 / rows as f64)
            .clamp(2.0, max_cell);
        Some(Self {
            rows,
            columns,
            cell,
            top,
            left,
        })
    }

    /// Corners of the cell of output step `r` and source token `c`.
    pub fn cell_rect(&self, r: usize, c: usize) -> [(i32, i32); 2] {
        let x0 = self.left + (c as f64 * self.cell) as i32;
        let y0 = self.top + (r as f64 * self.cell) as i32;
        let x1 = self.left + ((c + 1) as f64 * self.cell) as i32;
        let y1 = self.top + ((r + 1) as f64 * self.cell) as i32;
        [(x0, y0), (x1, y1)]
    }
}

/// The column labels: the source tokens, or one `c` (the context vector) without attention.
fn column_headers(view: &AttentionView) -> Vec<String> {
    match &view.weights {
        Some(_) => view.source_tokens.clone(),
        None => vec!["c".to_string()],
    }
}

/// Draws the heatmap of `view`.
pub fn draw_attention<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &AttentionView,
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let (width, height) = area.dim_in_pixel();
    let input = format!("input: {}", theme::shorten(&view.source_text, 60));
    let style = theme::for_label(theme::text(12.0, theme::INK), &input);
    area.draw(&Text::new(input, (8, 10), style)).map_err(e)?;
    let expected = view
        .expected
        .as_ref()
        .map(|t| format!("   expected: {}", theme::shorten(t, 40)))
        .unwrap_or_default();
    let output: Vec<&str> = view
        .output_tokens
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "<eos>")
        .collect();
    let output = format!(
        "output: {}{}",
        theme::shorten(&output.join(" "), 50),
        expected
    );
    let style = theme::for_label(theme::text(12.0, theme::INK), &output);
    area.draw(&Text::new(output, (8, 26), style)).map_err(e)?;

    let headers = column_headers(view);
    let Some(layout) = HeatmapLayout::new(view, (width, height)) else {
        return area.present().map_err(e);
    };
    let HeatmapLayout {
        rows,
        columns,
        cell,
        top,
        left,
    } = layout;
    area.draw(&Text::new(
        "rows: output steps · columns: source tokens",
        (8, 42),
        theme::text(11.0, theme::MUTED),
    ))
    .map_err(e)?;
    let cell_rect = |r: usize, c: usize| layout.cell_rect(r, c);
    for r in 0..rows {
        for c in 0..columns {
            let value = match &view.weights {
                Some(weights) => weights
                    .get(r)
                    .and_then(|row| row.get(c))
                    .copied()
                    .unwrap_or(0.0),
                None => 1.0,
            };
            area.draw(&Rectangle::new(
                cell_rect(r, c),
                theme::heat(f64::from(value)).filled(),
            ))
            .map_err(e)?;
        }
    }
    // Labels: every row/column when there is room, else every k-th.
    let label_size = (cell * 0.8).clamp(8.0, 12.0);
    let every = |n: usize| {
        let by_room = (9.0 / cell).ceil() as usize;
        by_room.max(n.div_ceil(MAX_LABELS)).max(1)
    };
    for r in (0..rows).step_by(every(rows)) {
        let [(_, y0), (_, y1)] = cell_rect(r, 0);
        let label = theme::shorten(&view.output_tokens[r], 8);
        let style = theme::for_label(theme::right_text(label_size, theme::INK), &label);
        area.draw(&Text::new(label, (left - 4, (y0 + y1) / 2), style))
            .map_err(e)?;
    }
    for c in (0..columns).step_by(every(columns)) {
        let [(x0, _), (x1, _)] = cell_rect(0, c);
        let style = theme::upward_text(label_size, theme::INK);
        let label = theme::shorten(&headers[c], 8);
        let style = theme::for_label(style, &label);
        area.draw(&Text::new(label, ((x0 + x1) / 2, top - 4), style))
            .map_err(e)?;
    }
    let grid_right = cell_rect(0, columns - 1)[1].0;
    let grid_bottom = cell_rect(rows - 1, 0)[1].1;
    draw_colour_bar(
        area,
        grid_right + 12,
        top,
        (grid_bottom - top).clamp(40, 220),
    )?;
    if view.weights.is_none() {
        let note = theme::text(11.0, theme::MUTED);
        area.draw(&Text::new(
            "No attention: every output step gets the same context vector c,",
            (8, height as i32 - 32),
            note.clone(),
        ))
        .map_err(e)?;
        area.draw(&Text::new(
            "the encoder's final state, however long the input is.",
            (8, height as i32 - 16),
            note,
        ))
        .map_err(e)?;
    }
    area.present().map_err(e)
}

fn longest(labels: &[String]) -> usize {
    labels
        .iter()
        .map(|l| theme::label_width(l))
        .max()
        .unwrap_or(1)
}

/// A vertical colour scale from 0 (bottom) to 1 (top) with its labels.
fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: i32,
    top: i32,
    height: i32,
) -> DrawResult {
    let e = DrawError::from_display;
    let height = height.max(20);
    for i in 0..height {
        let value = 1.0 - f64::from(i) / f64::from(height - 1);
        area.draw(&Rectangle::new(
            [(x, top + i), (x + 12, top + i + 1)],
            theme::heat(value).filled(),
        ))
        .map_err(e)?;
    }
    area.draw(&Rectangle::new(
        [(x, top), (x + 12, top + height)],
        theme::MUTED,
    ))
    .map_err(e)?;
    let style = theme::text(10.0, theme::MUTED);
    for (label, y) in [("1", top), ("0.5", top + height / 2), ("0", top + height)] {
        area.draw(&Text::new(label, (x + 16, y), style.clone()))
            .map_err(e)?;
    }
    Ok(())
}
