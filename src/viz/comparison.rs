//! Two runs overlaid: validation loss (top) and exact-sequence accuracy (bottom) of each run
//! against the step, so the gap between, say, attention and a fixed context vector is seen.

use super::curves::Curves;
use super::theme;
use super::{DrawError, DrawResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

/// One run of a comparison: its name and its recorded curves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparedRun {
    /// Shown in the legend, e.g. `"A: additive attention"`.
    pub label: String,
    /// What it recorded.
    pub curves: Curves,
}

/// Picks one series of a run's curves.
type SeriesOf = fn(&Curves) -> &[(f64, f64)];

/// Height of the legend strip above the panels, in pixels.
const LEGEND_HEIGHT: u32 = 24;

/// One line per run, side by side: a short stroke in its colour and its label.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[ComparedRun],
) -> DrawResult {
    let e = DrawError::from_display;
    let y = (LEGEND_HEIGHT / 2) as i32;
    let mut x = 52;
    for (run, colour) in runs.iter().zip(RUN_COLOURS) {
        area.draw(&PathElement::new(
            vec![(x, y), (x + 18, y)],
            colour.stroke_width(3),
        ))
        .map_err(e)?;
        let style = theme::for_label((theme::FONT, 12).into_font().color(&theme::INK), &run.label)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(run.label.clone(), (x + 24, y), style))
            .map_err(e)?;
        x += 40 + (theme::label_width(&run.label) as f64 * 12.0 * 0.6) as i32;
    }
    Ok(())
}

/// Colours of the runs, in order.
const RUN_COLOURS: [RGBColor; 2] = [theme::ACCENT, theme::SECOND];

/// Draws the runs' validation loss and exact accuracy, one panel each, runs overlaid.
pub fn draw_comparison<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[ComparedRun],
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let (legend, panels) = area.split_vertically(LEGEND_HEIGHT);
    draw_legend(&legend, runs)?;
    let validated = runs.iter().any(|r| !r.curves.valid_loss.is_empty());
    if !validated {
        // no axes without data (their ticks would read "0 0 0 1 1"): say what will appear
        let (width, height) = panels.dim_in_pixel();
        let style = (theme::FONT, 13)
            .into_font()
            .color(&theme::MUTED)
            .pos(Pos::new(HPos::Center, VPos::Center));
        panels
            .draw(&Text::new(
                "waiting for the first validation",
                (width as i32 / 2, height as i32 / 2),
                style,
            ))
            .map_err(e)?;
        return Ok(());
    }
    // at least 5 steps wide, so the integer step ticks are distinct
    let last_step = runs
        .iter()
        .flat_map(|r| r.curves.valid_loss.iter().chain(&r.curves.train_loss))
        .map(|p| p.0)
        .fold(5.0f64, f64::max);
    let top_loss = runs
        .iter()
        .flat_map(|r| &r.curves.valid_loss)
        .map(|p| p.1)
        .fold(0.0f64, f64::max)
        .max(0.1);
    let (top, bottom) = panels.split_vertically(panels.dim_in_pixel().1 / 2);
    let series: [SeriesOf; 2] = [|c| &c.valid_loss, |c| &c.valid_exact_accuracy];
    let panels = [
        (&top, "validation loss", top_loss * 1.05),
        (&bottom, "exact-sequence accuracy", 1.0),
    ];
    for ((panel, title, y_max), series) in panels.into_iter().zip(series) {
        let mut chart = ChartBuilder::on(panel)
            .margin(6)
            .margin_top(4)
            .x_label_area_size(if title.starts_with("exact") { 30 } else { 0 })
            .y_label_area_size(46)
            .caption(title, (theme::FONT, 13).into_font().color(&theme::INK))
            .build_cartesian_2d(0.0..last_step * 1.02, 0.0..y_max)
            .map_err(e)?;
        let percent = title.starts_with("exact");
        theme::style_mesh(&mut chart.configure_mesh())
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|v: &f64| format!("{v:.0}"))
            .y_label_formatter(&|v: &f64| {
                if percent {
                    format!("{:.0}%", v * 100.0)
                } else {
                    format!("{v:.2}")
                }
            })
            .draw()
            .map_err(e)?;
        for (run, colour) in runs.iter().zip(RUN_COLOURS) {
            let points = series(&run.curves).to_vec();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(e)?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 2, colour.filled())))
                .map_err(e)?;
        }
    }
    Ok(())
}
