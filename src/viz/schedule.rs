//! The learning-rate schedule's preview: the rate against the step, the run's step marked.

use super::theme;
use super::{DrawError, DrawResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// What the preview draws, as plain data (the rates come from `train::schedule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduleCurve {
    /// `(step, rate)` along the schedule, in step order.
    pub points: Vec<(f64, f64)>,
    /// The run's step and its rate.
    pub current: (f64, f64),
}

/// Draws `curve`: the rate over its steps, a dot at the run's step.
pub fn draw_schedule<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curve: &ScheduleCurve,
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let last = curve.points.last().map_or(1.0, |p| p.0).max(1.0);
    let top = curve
        .points
        .iter()
        .map(|p| p.1)
        .chain([curve.current.1])
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let mut chart = ChartBuilder::on(area)
        .margin(4)
        .x_label_area_size(18)
        .y_label_area_size(46)
        .build_cartesian_2d(0.0..last, 0.0..top * 1.08)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_labels(4)
        .y_labels(3)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style(theme::text(10.0, theme::MUTED))
        .light_line_style(theme::GRID)
        .draw()
        .map_err(e)?;
    chart
        .draw_series(LineSeries::new(
            curve.points.iter().copied(),
            theme::ACCENT.stroke_width(2),
        ))
        .map_err(e)?;
    chart
        .draw_series(std::iter::once(Circle::new(
            curve.current,
            4,
            theme::SECOND.filled(),
        )))
        .map_err(e)?;
    area.present().map_err(e)
}
