//! Colours and fonts shared by the plots, matching the page's stylesheet.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::atomic::{AtomicBool, Ordering};

/// Plot background.
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
/// Text and axes.
pub const INK: RGBColor = RGBColor(29, 35, 48);
/// Secondary text, grid lines.
pub const MUTED: RGBColor = RGBColor(107, 114, 128);
/// Light grid lines and cell borders.
pub const GRID: RGBColor = RGBColor(229, 231, 235);
/// The main series (train loss, ordinary tokens).
pub const ACCENT: RGBColor = RGBColor(37, 99, 235);
/// A second series (validation loss).
pub const SECOND: RGBColor = RGBColor(219, 39, 119);
/// A third series (validation accuracy).
pub const THIRD: RGBColor = RGBColor(5, 150, 105);
/// A fourth series (exact-sequence accuracy).
pub const FOURTH: RGBColor = RGBColor(217, 119, 6);
/// A fifth series (validation BLEU).
pub const FIFTH: RGBColor = RGBColor(124, 58, 237);
/// A sixth series (validation chrF).
pub const SIXTH: RGBColor = RGBColor(120, 113, 108);
/// `<pad>` cells: grey, they carry nothing.
pub const PAD: RGBColor = RGBColor(209, 213, 219);
/// `<bos>` cells.
pub const BOS: RGBColor = RGBColor(134, 239, 172);
/// `<eos>` cells.
pub const EOS: RGBColor = RGBColor(253, 186, 116);
/// `<unk>` cells.
pub const UNK: RGBColor = RGBColor(252, 165, 165);
/// Ordinary token cells.
pub const TOKEN: RGBColor = RGBColor(191, 219, 254);
/// Special tokens in the embedding scatter.
pub const SPECIAL: RGBColor = RGBColor(220, 38, 38);
/// The token searched for in the embedding scatter.
pub const SEARCHED: RGBColor = RGBColor(234, 88, 12);
/// Its nearest neighbours.
pub const NEIGHBOUR: RGBColor = RGBColor(147, 51, 234);
/// A mask cell that is on (1).
pub const MASK_ON: RGBColor = RGBColor(15, 118, 110);

/// The font family of every label (the browser picks a CJK-capable face for it; natively see
/// [`png`](super::png)).
pub const FONT: &str = "sans-serif";

/// The family name a CJK-capable font is registered under natively (see [`png`](super::png)):
/// text with Chinese characters is drawn with it. The browser's `sans-serif` covers CJK itself.
pub const CJK_FONT: &str = "sans-serif-cjk";

static CJK_FONT_REGISTERED: AtomicBool = AtomicBool::new(false);

/// Records that a font was registered under [`CJK_FONT`].
pub fn set_cjk_font_registered() {
    CJK_FONT_REGISTERED.store(true, Ordering::Relaxed);
}

/// `style`, switched to the CJK font when `label` holds wide (CJK) characters and such a font
/// was registered; otherwise unchanged.
pub fn for_label(style: TextStyle<'static>, label: &str) -> TextStyle<'static> {
    let wide = label
        .chars()
        .any(|c| unicode_width::UnicodeWidthChar::width(c) == Some(2));
    if !wide || !CJK_FONT_REGISTERED.load(Ordering::Relaxed) {
        return style;
    }
    let font = FontDesc::new(
        FontFamily::Name(CJK_FONT),
        style.font.get_size(),
        style.font.get_style(),
    )
    .transform(style.font.get_transform());
    TextStyle { font, ..style }
}

/// Text of `size` pixels in `color`, anchored at its left and vertical centre.
pub fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .color(&color)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// Text of `size` pixels in `color`, centred on its position.
pub fn centred_text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .color(&color)
        .pos(Pos::new(HPos::Center, VPos::Center))
}

/// Text that reads upwards (turned a quarter left), starting at its point: column labels above
/// a heatmap.
pub fn upward_text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .color(&color)
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// Text of `size` pixels in `color`, right-aligned at its position.
pub fn right_text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .color(&color)
        .pos(Pos::new(HPos::Right, VPos::Center))
}

/// The largest font size (within `[min, max]`) at which `chars` characters fit in `width`
/// pixels; `None` when even `min` does not fit.
pub fn fitting_font_size(chars: usize, width: f64, min: f64, max: f64) -> Option<f64> {
    // An average glyph is about 0.6 em wide; CJK glyphs are a full em, counted as two chars.
    let size = (width / (0.62 * chars.max(1) as f64)).min(max);
    (size >= min).then_some(size)
}

/// Display width of a label in "narrow characters" (CJK and other wide glyphs count as two).
pub fn label_width(label: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(label)
}

/// Shortens `label` to at most `max` narrow characters, ending with `…` when cut.
pub fn shorten(label: &str, max: usize) -> String {
    if label_width(label) <= max {
        return label.to_string();
    }
    let mut out = String::new();
    let mut width = 0;
    for c in label.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if width + w + 1 > max {
            break;
        }
        out.push(c);
        width += w;
    }
    out.push('…');
    out
}

/// The colour of a value in `[0, 1]` on the heatmap scale (viridis).
pub fn heat(value: f64) -> RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    ViridisRGB.get_color(value.clamp(0.0, 1.0))
}

/// The grid, axis and tick-label styles every chart's mesh shares.
pub fn style_mesh<'m, 'a, 'b, X, Y, DB>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
    DB: DrawingBackend,
{
    mesh.light_line_style(GRID.mix(0.6))
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .label_style((FONT, 11).into_font().color(&MUTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_glyphs_count_double() {
        assert_eq!(label_width("abc"), 3);
        assert_eq!(label_width("我有"), 4);
    }

    #[test]
    fn shorten_keeps_short_labels_and_cuts_long_ones() {
        assert_eq!(shorten("pen", 5), "pen");
        assert_eq!(shorten("wednesday", 5), "wedn…");
        assert_eq!(label_width(&shorten("我有一支笔", 5)), 5);
    }

    #[test]
    fn heat_runs_from_dark_to_light() {
        let low = heat(0.0);
        let high = heat(1.0);
        let brightness = |c: RGBColor| c.0 as u32 + c.1 as u32 + c.2 as u32;
        assert!(brightness(high) > brightness(low));
    }
}
