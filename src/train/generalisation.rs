//! Says in plain words how the validation loss follows the training loss, and when a run
//! memorises (training loss still falling, validation loss no longer improving), what the
//! playground offers against it.

use serde::Serialize;

/// Evaluations needed before anything is said.
pub const MIN_EVALUATIONS: usize = 3;
/// Evaluations without a new best validation loss that count as "stopped improving".
pub const PATIENCE: usize = 2;
/// The validation loss is "far" from the training loss beyond this ratio...
pub const RATIO: f64 = 2.0;
/// ...and this absolute difference (near zero, ratios mean little).
pub const MIN_DIFFERENCE: f64 = 0.2;

/// Where the run stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Gap {
    /// Fewer than [`MIN_EVALUATIONS`] evaluations, or no training loss yet.
    TooEarly,
    /// The validation loss follows the training loss.
    Following {
        /// Recent training loss (mean since the evaluation before last).
        train: f64,
        /// Latest validation loss.
        valid: f64,
    },
    /// The validation loss is far above the training loss but still improves.
    Widening {
        /// Recent training loss.
        train: f64,
        /// Latest validation loss.
        valid: f64,
    },
    /// The validation loss is far above the training loss and has not improved for
    /// [`PATIENCE`] evaluations: the model learns its training pairs by heart.
    Memorising {
        /// Recent training loss.
        train: f64,
        /// Latest validation loss.
        valid: f64,
        /// Lowest validation loss so far.
        best_valid: f64,
        /// The step it was reached at.
        best_step: f64,
    },
}

/// Reads the gap off the curves: `train_loss` and `valid_loss` as `(step, loss)` in step order.
pub fn gap(train_loss: &[(f64, f64)], valid_loss: &[(f64, f64)]) -> Gap {
    let Some(&(_, valid)) = valid_loss.last() else {
        return Gap::TooEarly;
    };
    if valid_loss.len() < MIN_EVALUATIONS || train_loss.is_empty() {
        return Gap::TooEarly;
    }
    let since = valid_loss[valid_loss.len() - 2].0;
    let recent: Vec<f64> = train_loss
        .iter()
        .filter(|(step, _)| *step > since)
        .map(|&(_, loss)| loss)
        .collect();
    let train = if recent.is_empty() {
        train_loss[train_loss.len() - 1].1
    } else {
        recent.iter().sum::<f64>() / recent.len() as f64
    };
    let (best_index, &(best_step, best_valid)) = valid_loss
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .expect("at least MIN_EVALUATIONS points");
    let far = valid > RATIO * train && valid - train > MIN_DIFFERENCE;
    let stalled = valid_loss.len() - 1 - best_index >= PATIENCE;
    match (far, stalled) {
        (false, _) => Gap::Following { train, valid },
        (true, false) => Gap::Widening { train, valid },
        (true, true) => Gap::Memorising {
            train,
            valid,
            best_valid,
            best_step,
        },
    }
}

/// What a person reads beside the curves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapNote {
    /// `ok`, `watch` or `warn` (the page's colour).
    pub level: &'static str,
    /// The sentence.
    pub text: String,
}

impl Gap {
    /// The sentence for this state; `None` while it is too early.
    pub fn note(&self) -> Option<GapNote> {
        let note = |level, text| Some(GapNote { level, text });
        match *self {
            Self::TooEarly => None,
            Self::Following { train, valid } => note(
                "ok",
                format!(
                    "Validation loss {valid:.2} follows training loss {train:.2}: what the model \
                     learns carries over to pairs it has not seen."
                ),
            ),
            Self::Widening { train, valid } => note(
                "watch",
                format!(
                    "Validation loss {valid:.2} is more than twice the training loss {train:.2} but \
                     still improving: watch whether it stops."
                ),
            ),
            Self::Memorising {
                train,
                valid,
                best_valid,
                best_step,
            } => note(
                "warn",
                format!(
                    "Memorising: training loss {train:.2}, but validation loss {valid:.2} has not \
                     improved since step {best_step} ({best_valid:.2}). The model is learning its \
                     training pairs by heart rather than the rule. Try more data (dataset size, or \
                     more lines of your own), a smaller model (hidden, embedding, layers), or \
                     keep the weights of the best step: save the run when validation is lowest."
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points.to_vec()
    }

    #[test]
    fn nothing_is_said_before_three_evaluations() {
        let train = series(&[(1.0, 2.0), (2.0, 1.0)]);
        assert_eq!(
            gap(&train, &series(&[(1.0, 2.0), (2.0, 1.5)])),
            Gap::TooEarly
        );
        assert_eq!(
            gap(&[], &series(&[(1.0, 2.0), (2.0, 1.5), (3.0, 1.0)])),
            Gap::TooEarly
        );
        assert_eq!(Gap::TooEarly.note(), None);
    }

    #[test]
    fn close_losses_are_following() {
        let train: Vec<_> = (1..=30).map(|s| (s as f64, 2.0 / s as f64)).collect();
        let valid = series(&[(10.0, 0.3), (20.0, 0.15), (30.0, 0.12)]);
        // Recent training loss: the mean since the evaluation before last (steps 21..=30).
        let expected: f64 = (21..=30).map(|s| 2.0 / s as f64).sum::<f64>() / 10.0;
        assert_eq!(
            gap(&train, &valid),
            Gap::Following {
                train: expected,
                valid: 0.12
            }
        );
        assert_eq!(gap(&train, &valid).note().unwrap().level, "ok");
    }

    #[test]
    fn a_far_but_improving_validation_is_widening() {
        let train = series(&[(10.0, 0.2), (20.0, 0.1), (30.0, 0.1)]);
        let valid = series(&[(10.0, 1.5), (20.0, 1.2), (30.0, 1.0)]);
        assert_eq!(
            gap(&train, &valid),
            Gap::Widening {
                train: 0.1,
                valid: 1.0
            }
        );
    }

    #[test]
    fn a_far_validation_that_stopped_improving_is_memorising() {
        // The pinyin run of the issue: validation plateaus at ~2.7 while training falls to 0.1.
        let train = series(&[(100.0, 1.0), (200.0, 0.4), (300.0, 0.2), (400.0, 0.1)]);
        let valid = series(&[(100.0, 3.0), (200.0, 2.65), (300.0, 2.7), (400.0, 2.72)]);
        let state = gap(&train, &valid);
        assert_eq!(
            state,
            Gap::Memorising {
                train: 0.1,
                valid: 2.72,
                best_valid: 2.65,
                best_step: 200.0
            }
        );
        let note = state.note().unwrap();
        assert_eq!(note.level, "warn");
        assert!(note.text.starts_with("Memorising"), "{}", note.text);
        assert!(note.text.contains("since step 200 (2.65)"), "{}", note.text);
        // One evaluation after the best is not yet "stopped": the patience is two.
        assert!(matches!(gap(&train, &valid[..3]), Gap::Widening { .. }));
    }

    #[test]
    fn small_losses_far_apart_in_ratio_only_are_following() {
        // 0.03 against 0.01 is three times as much but no real gap.
        let train = series(&[(10.0, 0.01), (20.0, 0.01), (30.0, 0.01)]);
        let valid = series(&[(10.0, 0.02), (20.0, 0.03), (30.0, 0.03)]);
        assert!(matches!(gap(&train, &valid), Gap::Following { .. }));
    }
}
