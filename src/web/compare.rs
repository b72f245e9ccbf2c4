//! A comparison for the page: two runs stepped on the same batches (see
//! [`Comparison`](crate::train::Comparison)), behind `Rc<RefCell<_>>` like the session.

use super::session::{device_error, to_js};
use crate::train::Comparison;
use js_sys::Promise;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

fn busy() -> JsValue {
    JsValue::from_str("the comparison is busy with another call")
}

/// Two runs trained side by side (created by `Session.compare`).
#[wasm_bindgen]
pub struct CompareSession {
    comparison: Rc<RefCell<Comparison>>,
}

impl CompareSession {
    pub(super) fn new(comparison: Comparison) -> Self {
        Self {
            comparison: Rc::new(RefCell::new(comparison)),
        }
    }
}

// As in `Session`: the borrow is held across awaits on purpose, and overlapping calls are
// refused, not panicked on (the worker queues them).
#[allow(clippy::await_holding_refcell_ref)]
#[wasm_bindgen]
impl CompareSession {
    /// Runs `steps` steps of both runs on the same batches; resolves to JSON
    /// `{step, mean_loss: [a, b], diverged: [a, b]}`.
    pub fn train(&self, steps: u32) -> Promise {
        let comparison = self.comparison.clone();
        future_to_promise(async move {
            let mut comparison = comparison.try_borrow_mut().map_err(|_| busy())?;
            let mut sums = [0.0f32; 2];
            let mut diverged = [false; 2];
            let mut done = 0u32;
            for _ in 0..steps.max(1) {
                let metrics = comparison.step().await.map_err(device_error)?;
                for (i, m) in metrics.iter().enumerate() {
                    sums[i] += m.loss;
                    diverged[i] |= m.diverged;
                }
                done += 1;
                if diverged.iter().any(|&d| d) {
                    break;
                }
            }
            let step = comparison.runs()[0].step_count();
            Ok(to_js(&serde_json::json!({
                "step": step,
                "mean_loss": sums.map(|s| s / done as f32),
                "diverged": diverged,
            })))
        })
    }

    /// Scores both runs on up to `limit` validation examples; resolves to a JSON pair of
    /// [`Evaluation`](crate::train::Evaluation)s.
    pub fn evaluate(&self, limit: u32) -> Promise {
        let comparison = self.comparison.clone();
        future_to_promise(async move {
            let comparison = comparison.try_borrow().map_err(|_| busy())?;
            let evaluations = comparison
                .evaluate(limit as usize)
                .await
                .map_err(device_error)?;
            Ok(to_js(&evaluations))
        })
    }
}
