//! Learning curves: train loss, validation loss (left axis, linear or log) and validation
//! accuracy (right axis, 0-100%) against the step.

use super::theme;
use super::{DrawError, DrawResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// Points drawn per series at most; longer series are averaged into this many buckets.
pub const MAX_POINTS: usize = 400;

/// The series recorded during a run, as `(step, value)` pairs in step order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// Training loss per step (or per chunk of steps).
    pub train_loss: Vec<(f64, f64)>,
    /// Validation loss at each evaluation.
    pub valid_loss: Vec<(f64, f64)>,
    /// Validation token accuracy in `[0, 1]` at each evaluation.
    pub valid_token_accuracy: Vec<(f64, f64)>,
    /// Validation exact-sequence accuracy in `[0, 1]` at each evaluation.
    pub valid_exact_accuracy: Vec<(f64, f64)>,
    /// Validation corpus BLEU / 100 at each evaluation.
    #[serde(default)]
    pub valid_bleu: Vec<(f64, f64)>,
    /// Validation corpus chrF / 100 at each evaluation.
    #[serde(default)]
    pub valid_chrf: Vec<(f64, f64)>,
}

impl Curves {
    /// Records a training loss; non-finite values (a diverged step) are skipped.
    pub fn push_train(&mut self, step: f64, loss: f64) {
        if loss.is_finite() {
            self.train_loss.push((step, loss));
        }
    }

    /// Records an evaluation.
    pub fn push_evaluation(&mut self, step: f64, loss: f64, token_acc: f64, exact_acc: f64) {
        if loss.is_finite() {
            self.valid_loss.push((step, loss));
        }
        self.valid_token_accuracy.push((step, token_acc));
        self.valid_exact_accuracy.push((step, exact_acc));
    }

    /// Records an evaluation's BLEU and chrF (both 0-100).
    pub fn push_translation_scores(&mut self, step: f64, bleu: f64, chrf: f64) {
        if bleu.is_finite() && chrf.is_finite() {
            self.valid_bleu.push((step, bleu / 100.0));
            self.valid_chrf.push((step, chrf / 100.0));
        }
    }

    /// Whether nothing has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.train_loss.is_empty() && self.valid_loss.is_empty()
    }
}

/// How the loss axis is scaled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossScale {
    /// Linear.
    #[default]
    Linear,
    /// Logarithmic (base 10): late, small improvements stay visible.
    Log,
}

/// Averages `points` into at most `max` buckets of consecutive points.
pub fn decimate(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max == 0 {
        return points.to_vec();
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .map(|chunk| {
            let n = chunk.len() as f64;
            let (sx, sy) = chunk
                .iter()
                .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
            (sx / n, sy / n)
        })
        .collect()
}

/// Draws the curves.
pub fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curves: &Curves,
    scale: LossScale,
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let to_axis = |loss: f64| match scale {
        LossScale::Linear => loss,
        LossScale::Log => loss.max(1e-6).log10(),
    };
    let train: Vec<(f64, f64)> = decimate(&curves.train_loss, MAX_POINTS)
        .into_iter()
        .map(|(s, l)| (s, to_axis(l)))
        .collect();
    let valid: Vec<(f64, f64)> = curves
        .valid_loss
        .iter()
        .map(|&(s, l)| (s, to_axis(l)))
        .collect();
    let last_step = train
        .iter()
        .chain(&valid)
        .chain(&curves.valid_token_accuracy)
        .map(|p| p.0)
        .fold(1.0f64, f64::max);
    let (mut low, mut high) = train
        .iter()
        .chain(&valid)
        .map(|p| p.1)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !low.is_finite() {
        (low, high) = match scale {
            LossScale::Linear => (0.0, 1.0),
            LossScale::Log => (-1.0, 0.0),
        };
    }
    if scale == LossScale::Linear {
        low = low.min(0.0);
    }
    let pad = ((high - low) * 0.05).max(1e-3);
    let loss_label = match scale {
        LossScale::Linear => "loss",
        LossScale::Log => "loss (log scale)",
    };
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .margin_top(28)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .right_y_label_area_size(52)
        .build_cartesian_2d(0.0..last_step * 1.02, (low - pad)..(high + pad))
        .map_err(e)?
        .set_secondary_coord(0.0..last_step * 1.02, 0.0..1.0);
    let tick = |v: &f64| match scale {
        LossScale::Linear => format!("{v:.2}"),
        LossScale::Log => {
            let loss = 10f64.powf(*v);
            if loss >= 0.1 {
                format!("{loss:.2}")
            } else {
                format!("{loss:.0e}")
            }
        }
    };
    let step_label = |v: &f64| format!("{v:.0}");
    theme::style_mesh(&mut chart.configure_mesh())
        .x_desc("step")
        .y_desc(loss_label)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&step_label)
        .y_label_formatter(&tick)
        .draw()
        .map_err(e)?;
    chart
        .configure_secondary_axes()
        .axis_style(theme::MUTED)
        .label_style((theme::FONT, 11).into_font().color(&theme::MUTED))
        .y_labels(6)
        .y_label_formatter(&|v: &f64| format!("{:.0}%", v * 100.0))
        .y_desc("validation accuracy, BLEU, chrF")
        .draw()
        .map_err(e)?;

    chart
        .draw_series(LineSeries::new(train, theme::ACCENT.stroke_width(2)))
        .map_err(e)?
        .label("train loss")
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 16, y)], theme::ACCENT.stroke_width(2))
        });
    chart
        .draw_series(LineSeries::new(
            valid.clone(),
            theme::SECOND.stroke_width(2),
        ))
        .map_err(e)?
        .label("val loss")
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 16, y)], theme::SECOND.stroke_width(2))
        });
    chart
        .draw_series(
            valid
                .iter()
                .map(|&p| Circle::new(p, 2, theme::SECOND.filled())),
        )
        .map_err(e)?;
    for (series, color, width, name) in [
        (
            &curves.valid_token_accuracy,
            theme::THIRD,
            2,
            "val token acc",
        ),
        (
            &curves.valid_exact_accuracy,
            theme::FOURTH,
            2,
            "val exact acc",
        ),
        (&curves.valid_bleu, theme::FIFTH, 1, "val BLEU"),
        (&curves.valid_chrf, theme::SIXTH, 1, "val chrF"),
    ] {
        if series.is_empty() && width == 1 {
            continue; // a run from before the translation scores: no legend entry for nothing
        }
        chart
            .draw_secondary_series(LineSeries::new(
                series.iter().copied(),
                color.stroke_width(width),
            ))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(width))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(theme::BACKGROUND.mix(0.85))
        .border_style(theme::GRID)
        .label_font((theme::FONT, 11).into_font().color(&theme::INK))
        .draw()
        .map_err(e)?;
    if curves.is_empty() {
        area.draw(&Text::new(
            "press Start: the curves appear as the model trains",
            (60, 14),
            theme::text(12.0, theme::MUTED),
        ))
        .map_err(e)?;
    } else if let Some(&(step, loss)) = curves.train_loss.last() {
        area.draw(&Text::new(
            format!("step {step:.0} · train loss {loss:.4}"),
            (60, 14),
            theme::text(12.0, theme::INK),
        ))
        .map_err(e)?;
    }
    area.present().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimate_averages_into_buckets() {
        let points: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64 * 2.0)).collect();
        assert_eq!(decimate(&points, 20), points);
        let fewer = decimate(&points, 5);
        assert_eq!(fewer.len(), 5);
        assert_eq!(fewer[0], (0.5, 1.0));
        assert_eq!(fewer[4], (8.5, 17.0));
    }

    #[test]
    fn non_finite_losses_are_not_recorded() {
        let mut curves = Curves::default();
        curves.push_train(1.0, f64::NAN);
        curves.push_train(2.0, 1.5);
        curves.push_evaluation(2.0, f64::INFINITY, 0.5, 0.1);
        assert_eq!(curves.train_loss, vec![(2.0, 1.5)]);
        assert!(curves.valid_loss.is_empty());
        assert_eq!(curves.valid_token_accuracy, vec![(2.0, 0.5)]);
    }
}
