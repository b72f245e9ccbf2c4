//! Native output: the same plots rendered to PNG files or RGB buffers (CLI `--plots`, tests).
//!
//! In the browser the canvas picks fonts itself; natively plotters draws text with `ab_glyph`
//! from font files, looked up once: `$SEQ2SEQ_FONT` if set, else a system sans-serif (Debian's
//! DejaVu Sans or Liberation Sans), and for Chinese labels a CJK font (Debian's `fonts-noto-cjk`
//! or `fonts-wqy-microhei`; without one, Chinese characters show as boxes).

use super::{DrawError, DrawResult, theme};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// Font files tried in order for labels when `$SEQ2SEQ_FONT` is not set.
pub const FONT_CANDIDATES: [&str; 5] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
];

/// Font files tried in order for labels with Chinese characters.
pub const CJK_FONT_CANDIDATES: [&str; 3] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
];

/// Registers the first readable, valid font file of `candidates` under `family`.
fn register_first<'a>(
    family: &str,
    mut candidates: impl Iterator<Item = &'a str>,
) -> Option<String> {
    candidates.find_map(|path| {
        let bytes = std::fs::read(path).ok()?;
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font(family, FontStyle::Normal, bytes)
            .ok()
            .map(|()| path.to_string())
    })
}

/// Registers the plots' font family once; returns the file it came from.
pub fn ensure_font() -> Result<&'static str, DrawError> {
    static FONT: OnceLock<Result<String, DrawError>> = OnceLock::new();
    FONT.get_or_init(|| {
        let from_env = std::env::var("SEQ2SEQ_FONT").ok();
        let candidates = from_env
            .iter()
            .map(String::as_str)
            .chain(FONT_CANDIDATES.iter().copied());
        if register_first(theme::CJK_FONT, CJK_FONT_CANDIDATES.iter().copied()).is_some() {
            theme::set_cjk_font_registered();
        }
        if let Some(path) = register_first(theme::FONT, candidates) {
            return Ok(path);
        }
        Err(DrawError(format!(
            "no font to draw labels with: set SEQ2SEQ_FONT to a .ttf/.ttc file, or install \
             Debian's fonts-dejavu-core or fonts-noto-cjk (looked in {})",
            FONT_CANDIDATES.join(", ")
        )))
    })
    .as_ref()
    .map(String::as_str)
    .map_err(Clone::clone)
}

/// Renders a plot into an RGB buffer of `width × height` pixels (3 bytes per pixel, row-major).
pub fn render_rgb<F>(width: u32, height: u32, draw: F) -> Result<Vec<u8>, DrawError>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult,
{
    ensure_font()?;
    let mut buffer = vec![0u8; (width * height * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        draw(&area)?;
    }
    Ok(buffer)
}

/// Renders a plot into a PNG file.
pub fn render_png<F>(path: &Path, width: u32, height: u32, draw: F) -> DrawResult
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult,
{
    ensure_font()?;
    let area = BitMapBackend::new(path, (width, height)).into_drawing_area();
    draw(&area)?;
    area.present().map_err(DrawError::from_display)
}
