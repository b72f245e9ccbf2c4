//! The padding-mask plot: the current batch as grids (one row per sequence, one column per
//! position) of the source, the decoder's input and the decoder's output, each above its mask,
//! so the person sees where `<pad>` fills the short sequences and which cells each mask keeps.

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
    let columns: Vec<usize> = grids.iter().map(|g| width_of(g)).collect();
    let total_columns = columns.iter().sum::<usize>().max(1);
    let usable = width as i32 - row_label_width - gap * (grids.len() as i32) - 4;
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
