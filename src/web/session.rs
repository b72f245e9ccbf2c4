//! A training session for the page: a [`Trainer`] behind `Rc<RefCell<_>>` so its async methods
//! can hand the browser a `Promise` while they await GPU reads.

use super::device::{self, Backend};
use crate::train::{PlotExample, RunConfig, StepMetrics, Trainer};
use burn::tensor::Device;
use js_sys::Promise;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

fn to_js<T: Serialize>(value: &T) -> JsValue {
    JsValue::from_str(&serde_json::to_string(value).expect("plain data serialises"))
}

fn busy() -> JsValue {
    JsValue::from_str("the session is busy with another call")
}

/// What the page shows after a chunk of steps.
#[derive(Serialize)]
struct ChunkReport {
    /// The last step's metrics.
    last: StepMetrics,
    /// Mean loss over the chunk's steps.
    mean_loss: f32,
    /// Steps that counted (a divergent step is undone and ends the chunk).
    steps_done: usize,
}

/// A training session: one run on one device.
#[wasm_bindgen]
pub struct Session {
    trainer: Rc<RefCell<Trainer>>,
    backend: Backend,
    device: Device,
}

// Each async method holds the trainer's `RefCell` borrow across its awaits on purpose: the run
// must not change under a step that is waiting for the GPU. Borrows are taken with `try_borrow*`,
// so an overlapping call is refused with a "busy" error rather than a panic, and the worker
// queues its calls so that does not happen.
#[allow(clippy::await_holding_refcell_ref)]
#[wasm_bindgen]
impl Session {
    /// Creates a session from a JSON [`RunConfig`] (missing fields take defaults) on `backend`.
    /// Rejects with a JSON list of `{field, value, reason}` when the config is invalid, or a
    /// message when the device cannot be opened.
    pub async fn create(config_json: String, backend: Backend) -> Result<Session, JsValue> {
        let config = RunConfig::from_json(&config_json).map_err(|errors| to_js(&errors))?;
        let device = device::open(backend)
            .await
            .map_err(|e| JsValue::from_str(&e))?;
        let trainer = Trainer::new(config, &device).map_err(|errors| to_js(&errors))?;
        Ok(Session {
            trainer: Rc::new(RefCell::new(trainer)),
            backend,
            device,
        })
    }

    /// The backend this session trains on.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Steps done.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.trainer
            .try_borrow()
            .map_or(0, |t| t.step_count() as u32)
    }

    /// The run's config as JSON.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> String {
        serde_json::to_string(self.trainer.borrow().config()).expect("a config serialises")
    }

    /// Changes optimisation settings between steps without losing progress; `changes_json` is
    /// an object of [`TrainSettings`](crate::train::TrainSettings) fields, e.g.
    /// `{"learning_rate": 0.001}`. Refused with a JSON list of `{field, value, reason}`.
    #[wasm_bindgen(js_name = updateTrainSettings)]
    pub fn update_train_settings(&self, changes_json: &str) -> Result<(), JsValue> {
        let mut trainer = self.trainer.try_borrow_mut().map_err(|_| busy())?;
        trainer
            .update_train_settings(changes_json)
            .map_err(|errors| to_js(&errors))
    }

    /// Runs `steps` optimiser steps; resolves to a JSON report of the chunk (last metrics,
    /// mean loss, steps that counted). Stops early at a divergence so the page can pause.
    pub fn train(&self, steps: u32) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let mut trainer = trainer.try_borrow_mut().map_err(|_| busy())?;
            let (mut sum, mut count) = (0.0f32, 0usize);
            let mut last = None;
            for _ in 0..steps.max(1) {
                let metrics = trainer.step().await;
                let diverged = metrics.diverged;
                if !diverged {
                    sum += metrics.loss;
                    count += 1;
                }
                last = Some(metrics);
                if diverged {
                    break;
                }
            }
            let last = last.expect("at least one step ran");
            Ok(to_js(&ChunkReport {
                mean_loss: if count > 0 {
                    sum / count as f32
                } else {
                    last.loss
                },
                last,
                steps_done: count,
            }))
        })
    }

    /// Scores up to `limit` validation examples; resolves to JSON
    /// [`Evaluation`](crate::train::Evaluation).
    pub fn evaluate(&self, limit: u32) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            Ok(to_js(&trainer.evaluate(limit as usize).await))
        })
    }

    /// Reads what the plots are drawn from; `example_json` is a JSON
    /// [`PlotExample`](crate::train::PlotExample) (`{"validation": n}` or `{"text": "..."}`).
    /// Resolves to JSON [`PlotData`](crate::viz::PlotData).
    #[wasm_bindgen(js_name = plotData)]
    pub fn plot_data(&self, example_json: String) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let example: PlotExample = serde_json::from_str(&example_json)
                .map_err(|e| JsValue::from_str(&format!("bad plot example: {e}")))?;
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            Ok(to_js(&trainer.plot_data(&example).await))
        })
    }

    /// Greedily decodes `text`; resolves to JSON [`Translation`](crate::train::Translation).
    pub fn translate(&self, text: String) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            Ok(to_js(&trainer.translate(&text).await))
        })
    }

    /// Checks this session's backend against the CPU: a fresh model is built on the CPU, its
    /// weights copied onto a fresh run on this session's device (asynchronous reads only), and
    /// both train `steps` steps on the same batches.
    /// Resolves to JSON `[{cpu_loss, device_loss, cpu_grad_norm, device_grad_norm}, ...]`: they
    /// must agree to float precision (a shader that silently computes wrong fails here).
    pub fn crosscheck(&self, steps: u32) -> Promise {
        let trainer = self.trainer.clone();
        let device = self.device.clone();
        future_to_promise(async move {
            let config = trainer.try_borrow().map_err(|_| busy())?.config().clone();
            let mut cpu =
                Trainer::new(config.clone(), &Device::flex()).map_err(|errors| to_js(&errors))?;
            let mut other = Trainer::new(config, &device).map_err(|errors| to_js(&errors))?;
            other.load_weights_from(&cpu).await;
            let mut rows = Vec::new();
            for _ in 0..steps.max(1) {
                let a = cpu.step().await;
                let b = other.step().await;
                rows.push(serde_json::json!({
                    "cpu_loss": a.loss, "device_loss": b.loss,
                    "cpu_grad_norm": a.grad_norm, "device_grad_norm": b.grad_norm,
                }));
            }
            Ok(to_js(&rows))
        })
    }

    /// Starts the run again from fresh weights with the same config and device.
    pub fn reset(&self) -> Result<(), JsValue> {
        let mut trainer = self.trainer.try_borrow_mut().map_err(|_| busy())?;
        let config = trainer.config().clone();
        *trainer = Trainer::new(config, &self.device).map_err(|errors| to_js(&errors))?;
        Ok(())
    }
}
