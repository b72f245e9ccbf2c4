//! A Transformer layer's attention heads as small multiples: one heatmap per head for the
//! example on show, for the layer and kind (encoder self, decoder self, cross) chosen; one head
//! enlarged with its tokens when picked. In decoder self-attention the cells the causal mask
//! blocks (a key after its query) are hatched grey, apart from the real zeros of the scale.

use super::theme;
use super::{DrawError, DrawResult};
use crate::data::snapshot::{HeadsKind, HeadsView};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// What the heads plot shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeadsChoice {
    /// Which attention.
    pub kind: HeadsKind,
    /// Which layer (0 = bottom; past the top shows the top).
    pub layer: usize,
    /// One head enlarged, or all of them.
    pub head: Option<usize>,
}

/// Colour of a cell the causal mask blocks (a key ahead of its query).
pub const BLOCKED: RGBColor = RGBColor(236, 236, 236);
/// The hatching over a blocked cell.
pub const BLOCKED_HATCH: RGBColor = RGBColor(190, 190, 190);

/// Where one head's panel sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadPanel {
    /// The head.
    pub head: usize,
    /// Left edge of its first column.
    pub left: i32,
    /// Top edge of its first row.
    pub top: i32,
    /// Side of a cell, pixels.
    pub cell: f64,
}

impl HeadPanel {
    /// Corners of the cell of query `q` and key `k`.
    pub fn cell_rect(&self, q: usize, k: usize) -> [(i32, i32); 2] {
        let at = |i: usize| (i as f64 * self.cell) as i32;
        [
            (self.left + at(k), self.top + at(q)),
            (self.left + at(k + 1), self.top + at(q + 1)),
        ]
    }
}

/// The panels of `heads` heads of `queries` x `keys` cells in a `width` x `height` plot, all
/// of them or only `focus` (then with room for token labels).
pub fn head_panels(
    heads: usize,
    (queries, keys): (usize, usize),
    focus: Option<usize>,
    (width, height): (u32, u32),
) -> Vec<HeadPanel> {
    let (width, height) = (width as i32, height as i32);
    let top = 46;
    if let Some(head) = focus.filter(|&h| h < heads) {
        let (left, label_top) = (70, top + 72);
        let cell = ((width - left - 12) as f64 / keys.max(1) as f64)
            .min((height - label_top - 12) as f64 / queries.max(1) as f64)
            .clamp(2.0, 48.0);
        return vec![HeadPanel {
            head,
            left,
            top: label_top,
            cell,
        }];
    }
    let columns = (heads as f64).sqrt().ceil().max(1.0) as usize;
    let rows = heads.div_ceil(columns).max(1);
    let (gap, title) = (10, 16);
    let panel_w = (width - 12 - gap * (columns as i32 - 1)) / columns as i32;
    let panel_h = (height - top - 8 - gap * (rows as i32 - 1)) / rows as i32 - title;
    let cell = (panel_w as f64 / keys.max(1) as f64)
        .min(panel_h as f64 / queries.max(1) as f64)
        .clamp(1.0, 28.0);
    (0..heads)
        .map(|head| {
            let (r, c) = (head / columns, head % columns);
            HeadPanel {
                head,
                left: 6 + c as i32 * (panel_w + gap),
                top: top + r as i32 * (panel_h + title + gap) + title,
                cell,
            }
        })
        .collect()
}

/// Whether the causal mask blocks key `k` for query `q` in attention of `kind`.
pub fn blocked(kind: HeadsKind, q: usize, k: usize) -> bool {
    kind == HeadsKind::DecoderSelf && k > q
}

fn kind_name(kind: HeadsKind) -> &'static str {
    match kind {
        HeadsKind::EncoderSelf => "encoder self-attention (source over source)",
        HeadsKind::DecoderSelf => "decoder self-attention (output over earlier output)",
        HeadsKind::Cross => "cross-attention (output over source)",
    }
}

/// Draws the heads `choice` picks from `view`.
pub fn draw_heads<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &HeadsView,
    choice: HeadsChoice,
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let layers = view.of(choice.kind);
    let Some(last) = layers.len().checked_sub(1) else {
        return area.present().map_err(e);
    };
    let layer = choice.layer.min(last);
    let weights = &layers[layer];
    let (query_tokens, key_tokens) = view.axes(choice.kind);
    let (queries, keys) = (query_tokens.len(), key_tokens.len());
    let title = format!(
        "layer {} of {} · {} · {} heads",
        layer + 1,
        layers.len(),
        kind_name(choice.kind),
        weights.len()
    );
    area.draw(&Text::new(title, (8, 8), theme::text(12.0, theme::INK)))
        .map_err(e)?;
    let hint = match choice.head {
        Some(_) => "rows: queries · columns: keys · click for all heads",
        None => "rows: queries · columns: keys · click a head to enlarge it",
    };
    let hint = if choice.kind == HeadsKind::DecoderSelf {
        format!("{hint} · hatched: blocked by the causal mask")
    } else {
        hint.to_string()
    };
    area.draw(&Text::new(hint, (8, 26), theme::text(11.0, theme::MUTED)))
        .map_err(e)?;
    let panels = head_panels(
        weights.len(),
        (queries, keys),
        choice.head,
        area.dim_in_pixel(),
    );
    for panel in &panels {
        let Some(head) = weights.get(panel.head) else {
            continue;
        };
        let title_y = match choice.head {
            Some(_) => 44,
            None => panel.top - 14,
        };
        area.draw(&Text::new(
            format!("head {}", panel.head + 1),
            (panel.left, title_y),
            theme::text(11.0, theme::INK),
        ))
        .map_err(e)?;
        for q in 0..queries {
            for k in 0..keys {
                let rect = panel.cell_rect(q, k);
                if blocked(choice.kind, q, k) {
                    area.draw(&Rectangle::new(rect, BLOCKED.filled()))
                        .map_err(e)?;
                    let [(x0, y0), (x1, y1)] = rect;
                    if x1 - x0 >= 4 {
                        area.draw(&PathElement::new(
                            vec![(x0, y1 - 1), (x1 - 1, y0)],
                            BLOCKED_HATCH,
                        ))
                        .map_err(e)?;
                    }
                    continue;
                }
                let value = head
                    .get(q)
                    .and_then(|row| row.get(k))
                    .copied()
                    .unwrap_or(0.0);
                area.draw(&Rectangle::new(
                    rect,
                    theme::heat(f64::from(value)).filled(),
                ))
                .map_err(e)?;
            }
        }
        if choice.head.is_some() {
            draw_token_labels(area, panel, query_tokens, key_tokens)?;
        }
    }
    area.present().map_err(e)
}

/// Query tokens left of the rows, key tokens above the columns (of an enlarged head).
fn draw_token_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &HeadPanel,
    queries: &[String],
    keys: &[String],
) -> DrawResult {
    let e = DrawError::from_display;
    let size = (panel.cell * 0.8).clamp(8.0, 12.0);
    let every = (9.0 / panel.cell).ceil().max(1.0) as usize;
    for (q, token) in queries.iter().enumerate().step_by(every) {
        let [(_, y0), (_, y1)] = panel.cell_rect(q, 0);
        let label = theme::shorten(token, 8);
        let style = theme::for_label(theme::right_text(size, theme::INK), &label);
        area.draw(&Text::new(label, (panel.left - 4, (y0 + y1) / 2), style))
            .map_err(e)?;
    }
    for (k, token) in keys.iter().enumerate().step_by(every) {
        let [(x0, _), (x1, _)] = panel.cell_rect(0, k);
        let style = theme::upward_text(size, theme::INK);
        let label = theme::shorten(token, 8);
        let style = theme::for_label(style, &label);
        area.draw(&Text::new(label, ((x0 + x1) / 2, panel.top - 4), style))
            .map_err(e)?;
    }
    Ok(())
}
