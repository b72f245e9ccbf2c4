//! The padding-mask plot: the current batch as grids (one row per sequence, one column per
//! position) of the source, the decoder's input and the decoder's output, each above its mask,
//! so the person sees where `<pad>` fills the short sequences and which cells each mask keeps.
//! For a Transformer, a panel on the right adds its decoder's self-attention mask for one
//! sequence of the batch: the causal (look-ahead) mask combined with that sequence's padding.

use super::theme;
use super::{DrawError, DrawResult};
use crate::data::snapshot::{MaskView, TokenGrid, TokenKind};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A cell's colour by what it holds.
fn color(kind: TokenKind) -> RGBColor {
    match kind {
        TokenKind::Token => theme::TOKEN,
        TokenKind::Pad => theme::PAD,
        TokenKind::Bos => theme::BOS,
        TokenKind::Eos => theme::EOS,
        TokenKind::Unk => theme::UNK,
    }
}

/// Space above the grids for the title line and the legend.
const HEADER: i32 = 44;

/// Draws the batch's grids and masks.
pub fn draw_padding_mask<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &MaskView,
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let (width, height) = area.dim_in_pixel();
    let rows = view.source.tokens.len();
    area.draw(&Text::new(
        format!(
            "{} of {} sequences in the batch, padded to the longest",
            rows, view.batch_size
        ),
        (8, 10),
        theme::text(12.0, theme::INK),
    ))
    .map_err(e)?;
    draw_legend(area, 8, 28)?;
    if rows == 0 {
        return area.present().map_err(e);
    }

    let grids = [&view.source, &view.decoder_input, &view.decoder_output];
    let row_label_width = 22;
    let gap = 10;
    // With a causal panel, the grids take the left part and the panel the rest.
    let grids_width = if view.causal {
        (width as f64 * CAUSAL_SPLIT) as i32
    } else {
        width as i32
    };
    if view.causal {
        let panel = CausalPanel::new(view, (width, height));
        draw_causal_panel(area, view, &panel)?;
    }
    let columns: Vec<usize> = grids.iter().map(|g| width_of(g)).collect();
    let total_columns = columns.iter().sum::<usize>().max(1);
    let usable = grids_width - row_label_width - gap * (grids.len() as i32) - 4;
    let cell_w = (usable as f64 / total_columns as f64).clamp(4.0, 40.0);
    // Each grid's tokens, then its mask, each with a caption line.
    let caption = 16;
    let body = height as i32 - HEADER - 2 * caption - gap - 4;
    let cell_h = (body as f64 / (2 * rows) as f64).clamp(3.0, 22.0);

    let mut x = row_label_width;
    for (grid, &cols) in grids.iter().zip(&columns) {
        let grid_w = (cols as f64 * cell_w) as i32;
        let top = HEADER;
        draw_caption(area, &grid.title, x, top, grid_w)?;
        draw_cells(area, grid, (x, top + caption), (cell_w, cell_h), false)?;
        let mask_top = top + caption + (rows as f64 * cell_h) as i32 + gap;
        draw_caption(area, &grid.mask_name, x, mask_top, grid_w)?;
        draw_cells(area, grid, (x, mask_top + caption), (cell_w, cell_h), true)?;
        x += grid_w + gap;
    }
    // Row numbers beside the first grid (tokens and mask).
    if cell_h >= 8.0 {
        let size = (cell_h * 0.6).min(11.0);
        for block in 0..2 {
            let top = HEADER
                + caption
                + block * ((rows as f64 * cell_h) as i32 + gap + caption)
                + (cell_h / 2.0) as i32;
            for r in 0..rows {
                area.draw(&Text::new(
                    format!("{}", r + 1),
                    (row_label_width - 4, top + (r as f64 * cell_h) as i32),
                    theme::right_text(size, theme::MUTED),
                ))
                .map_err(e)?;
            }
        }
    }
    area.present().map_err(e)
}

/// The share of the width the batch's grids keep when the causal panel is drawn.
pub const CAUSAL_SPLIT: f64 = 0.6;

/// What decoder self-attention allows for one query and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfAttentionCell {
    /// The query may read the key.
    Kept,
    /// The key lies after the query: blocked by the causal mask.
    Future,
    /// The key is `<pad>`: blocked by the padding mask.
    Pad,
}

/// The decoder self-attention mask of one sequence of decoder input, `[query][key]`: the causal
/// mask first, then padding.
pub fn self_attention_mask(kinds: &[TokenKind]) -> Vec<Vec<SelfAttentionCell>> {
    (0..kinds.len())
        .map(|q| {
            kinds
                .iter()
                .enumerate()
                .map(|(k, kind)| match (k > q, kind) {
                    (true, _) => SelfAttentionCell::Future,
                    (false, TokenKind::Pad) => SelfAttentionCell::Pad,
                    (false, _) => SelfAttentionCell::Kept,
                })
                .collect()
        })
        .collect()
}

/// Where the causal panel sits: the sequence it shows and its cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CausalPanel {
    /// The batch row shown (the one with the most padding, so both masks show).
    pub row: usize,
    /// Left edge of the first key column.
    pub left: i32,
    /// Top edge of the first query row.
    pub top: i32,
    /// Side of a cell.
    pub cell: f64,
}

impl CausalPanel {
    /// The panel for `view` in a `width` x `height` plot.
    pub fn new(view: &MaskView, (width, height): (u32, u32)) -> Self {
        let kinds = &view.decoder_input.kinds;
        let row = (0..kinds.len())
            .max_by_key(|&r| {
                let pads = kinds[r].iter().filter(|k| **k == TokenKind::Pad).count();
                (pads, std::cmp::Reverse(r))
            })
            .unwrap_or(0);
        let n = kinds.get(row).map_or(1, Vec::len).max(1);
        let left = (width as f64 * CAUSAL_SPLIT) as i32 + 14;
        let top = HEADER + 46;
        let cell = ((width as i32 - left - 8) as f64 / n as f64)
            .min((height as i32 - top - 30) as f64 / n as f64)
            .clamp(3.0, 22.0);
        Self {
            row,
            left,
            top,
            cell,
        }
    }

    /// Corners of the cell of query `q` and key `k`.
    pub fn cell_rect(&self, q: usize, k: usize) -> [(i32, i32); 2] {
        let at = |i: usize| (i as f64 * self.cell) as i32;
        [
            (self.left + at(k), self.top + at(q)),
            (self.left + at(k + 1) - 1, self.top + at(q + 1) - 1),
        ]
    }
}

/// The colour of a self-attention mask cell.
pub fn self_attention_colour(cell: SelfAttentionCell) -> RGBColor {
    match cell {
        SelfAttentionCell::Kept => theme::MASK_ON,
        SelfAttentionCell::Future => super::heads::BLOCKED,
        SelfAttentionCell::Pad => theme::PAD,
    }
}

fn draw_causal_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &MaskView,
    panel: &CausalPanel,
) -> DrawResult {
    let e = DrawError::from_display;
    let Some(kinds) = view.decoder_input.kinds.get(panel.row) else {
        return Ok(());
    };
    let x = panel.left;
    let lines = [
        format!("decoder self-attention, sequence {}", panel.row + 1),
        "rows: queries · columns: keys".to_string(),
        "hatched: later (causal) · grey: <pad>".to_string(),
    ];
    for (i, line) in lines.into_iter().enumerate() {
        area.draw(&Text::new(
            line,
            (x, HEADER + 4 + 13 * i as i32),
            theme::text(10.0, theme::MUTED),
        ))
        .map_err(e)?;
    }
    for (q, row) in self_attention_mask(kinds).into_iter().enumerate() {
        for (k, cell) in row.into_iter().enumerate() {
            let rect = panel.cell_rect(q, k);
            area.draw(&Rectangle::new(rect, self_attention_colour(cell).filled()))
                .map_err(e)?;
            let [(x0, y0), (x1, y1)] = rect;
            if cell == SelfAttentionCell::Future && x1 - x0 >= 4 {
                area.draw(&PathElement::new(
                    vec![(x0, y1), (x1, y0)],
                    super::heads::BLOCKED_HATCH,
                ))
                .map_err(e)?;
            }
        }
    }
    Ok(())
}

fn width_of(grid: &TokenGrid) -> usize {
    grid.tokens.iter().map(Vec::len).max().unwrap_or(0)
}

fn draw_caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    x: i32,
    y: i32,
    width: i32,
) -> DrawResult {
    let max_chars = (width / 6).max(3) as usize;
    area.draw(&Text::new(
        theme::shorten(text, max_chars),
        (x, y + 7),
        theme::text(11.0, theme::MUTED),
    ))
    .map_err(DrawError::from_display)
}

/// Draws a grid's tokens (or, with `mask`, its mask as 1/0 cells) from `origin`.
fn draw_cells<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &TokenGrid,
    origin: (i32, i32),
    (cell_w, cell_h): (f64, f64),
    mask: bool,
) -> DrawResult {
    let e = DrawError::from_display;
    // Special cells are told apart by colour (see the legend); only real tokens are labelled.
    let longest = grid
        .tokens
        .iter()
        .flatten()
        .zip(grid.kinds.iter().flatten())
        .filter(|(_, kind)| !kind.is_special())
        .map(|(t, _)| theme::label_width(t))
        .max()
        .unwrap_or(1)
        .min(5);
    let font = if mask {
        theme::fitting_font_size(1, cell_w - 2.0, 7.0, (cell_h * 0.6).min(11.0))
    } else {
        theme::fitting_font_size(longest, cell_w - 2.0, 7.0, (cell_h * 0.62).min(12.0))
    }
    .filter(|_| cell_h >= 8.0);
    for (r, row) in grid.tokens.iter().enumerate() {
        for (c, token) in row.iter().enumerate() {
            let x0 = origin.0 + (c as f64 * cell_w) as i32;
            let y0 = origin.1 + (r as f64 * cell_h) as i32;
            let x1 = origin.0 + ((c + 1) as f64 * cell_w) as i32 - 1;
            let y1 = origin.1 + ((r + 1) as f64 * cell_h) as i32 - 1;
            let kind = grid.kinds[r][c];
            let on = grid.mask[r][c] > 0.5;
            let (fill, label, ink) = if mask {
                let fill = if on {
                    theme::MASK_ON
                } else {
                    theme::BACKGROUND
                };
                let ink = if on { theme::BACKGROUND } else { theme::MUTED };
                (fill, if on { "1" } else { "0" }.to_string(), ink)
            } else {
                let label = if kind.is_special() {
                    String::new()
                } else {
                    theme::shorten(token, 5)
                };
                (color(kind), label, theme::INK)
            };
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))
                .map_err(e)?;
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], theme::GRID))
                .map_err(e)?;
            if let Some(size) = font.filter(|_| !label.is_empty()) {
                let style = theme::for_label(theme::centred_text(size, ink), &label);
                area.draw(&Text::new(label, ((x0 + x1) / 2, (y0 + y1) / 2), style))
                    .map_err(e)?;
            }
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, x: i32, y: i32) -> DrawResult {
    let e = DrawError::from_display;
    let items = [
        (theme::TOKEN, "token"),
        (theme::BOS, "<bos>"),
        (theme::EOS, "<eos>"),
        (theme::PAD, "<pad>"),
        (theme::MASK_ON, "mask 1 = kept"),
    ];
    let mut at = x;
    for (color, name) in items {
        area.draw(&Rectangle::new(
            [(at, y - 5), (at + 10, y + 5)],
            color.filled(),
        ))
        .map_err(e)?;
        area.draw(&Text::new(
            name,
            (at + 14, y),
            theme::text(11.0, theme::MUTED),
        ))
        .map_err(e)?;
        at += 22 + 7 * name.chars().count() as i32;
    }
    Ok(())
}
