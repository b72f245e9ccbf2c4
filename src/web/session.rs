//! A training session for the page: a [`Trainer`] behind `Rc<RefCell<_>>` so its async methods
//! can hand the browser a `Promise` while they await GPU reads.

use super::compare::CompareSession;
use super::device::{self, Backend};
use crate::data::{DatasetLimits, OwnDataset};
use crate::train::{
    Checkpoint, Comparison, DeviceError, ModelSettings, PlotExample, RunConfig, StepMetrics,
    Strategy, Trainer, crosscheck, crosscheck_runs,
};
use burn::tensor::Device;
use js_sys::Promise;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// Plain data as the JSON text the page parses.
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// Plain data as a JSON string value for the page.
pub(super) fn to_js<T: Serialize>(value: &T) -> JsValue {
    JsValue::from_str(&to_json(value))
}

/// A failed device read as the page sees it (the worker moves the run to the CPU on it).
pub(super) fn device_error(error: DeviceError) -> JsValue {
    JsValue::from_str(&error.to_string())
}

fn busy() -> JsValue {
    JsValue::from_str("the session is busy with another call")
}

/// Steps run between two reads of their metrics (see [`Trainer::steps`]).
const STEPS_PER_READ: usize = 10;

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

/// A decoding strategy from the page (JSON [`Strategy`]), refused with why when it is not one
/// or a setting is out of range.
fn strategy_from_json(json: &str) -> Result<Strategy, JsValue> {
    let strategy: Strategy = serde_json::from_str(json)
        .map_err(|e| JsValue::from_str(&format!("not a decoding strategy: {e}")))?;
    strategy.check().map_err(|e| JsValue::from_str(&e))?;
    Ok(strategy)
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

    /// What the device's allocator holds, as JSON `{"bytes_in_use", "bytes_reserved",
    /// "allocations"}`; `null` on the CPU, whose tensors live in the module's own memory (which
    /// the page measures).
    #[wasm_bindgen(js_name = deviceMemory)]
    pub fn device_memory(&self) -> String {
        let usage = self.device.memory_pool_usage().map(|u| {
            serde_json::json!({
                "bytes_in_use": u.bytes_in_use,
                "bytes_reserved": u.bytes_reserved,
                "allocations": u.number_allocs,
            })
        });
        serde_json::to_string(&usage).unwrap_or_default()
    }

    /// The run's config as JSON.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> Result<String, JsValue> {
        let trainer = self.trainer.try_borrow().map_err(|_| busy())?;
        Ok(to_json(trainer.config()))
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
            let mut left = steps.max(1) as usize;
            'chunk: while left > 0 {
                // Several steps per read back: the GPU is not made to wait on the page each step.
                let run = left.min(STEPS_PER_READ);
                left -= run;
                for metrics in trainer.steps(run).await.map_err(device_error)? {
                    let diverged = metrics.diverged;
                    if !diverged {
                        sum += metrics.loss;
                        count += 1;
                    }
                    last = Some(metrics);
                    if diverged {
                        break 'chunk;
                    }
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

    /// Scores up to `limit` validation examples, decoding them with the strategy in
    /// `strategy_json` (JSON [`Strategy`](crate::train::Strategy): greedy or beam search);
    /// resolves to JSON [`Evaluation`](crate::train::Evaluation).
    pub fn evaluate(&self, limit: u32, strategy_json: String) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let strategy = strategy_from_json(&strategy_json)?;
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            Ok(to_js(
                &trainer
                    .evaluate_with(limit as usize, strategy)
                    .await
                    .map_err(device_error)?,
            ))
        })
    }

    /// Reads what the plots are drawn from; `example_json` is a JSON
    /// [`PlotExample`](crate::train::PlotExample) (`{"validation": n}` or `{"text": "..."}`).
    /// Resolves to JSON [`PlotData`](crate::data::PlotData).
    #[wasm_bindgen(js_name = plotData)]
    pub fn plot_data(&self, example_json: String) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let example: PlotExample = serde_json::from_str(&example_json)
                .map_err(|e| JsValue::from_str(&format!("bad plot example: {e}")))?;
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            Ok(to_js(
                &trainer.plot_data(&example).await.map_err(device_error)?,
            ))
        })
    }

    /// Decodes `text` with the strategy in `strategy_json` (JSON
    /// [`Strategy`](crate::train::Strategy): `{"kind": "greedy"}`, `{"kind": "beam", "width",
    /// "alpha"}`, `{"kind": "sample", "temperature", "top_k", "seed"}`); resolves to JSON
    /// [`Translation`](crate::train::Translation), rejects a strategy out of range with why.
    /// `max_len`: at most this many output steps (unset: as long as the data suggests).
    pub fn translate(&self, text: String, strategy_json: String, max_len: Option<u32>) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let strategy = strategy_from_json(&strategy_json)?;
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            Ok(to_js(
                &trainer
                    .decode_at_most(&text, strategy, max_len.map(|n| n as usize))
                    .await
                    .map_err(device_error)?,
            ))
        })
    }

    /// The first `limit` validation examples with their greedy outputs, exactness and sentence
    /// chrF; resolves to JSON `[ExampleResult]` ([`crate::train::ExampleResult`]).
    #[wasm_bindgen(js_name = validationExamples)]
    pub fn validation_examples(&self, limit: u32) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            Ok(to_js(
                &trainer
                    .validation_examples(limit as usize)
                    .await
                    .map_err(device_error)?,
            ))
        })
    }

    /// Checks this session's backend against the CPU: a fresh model is built on the CPU, its
    /// weights copied onto a fresh run on this session's device (asynchronous reads only), and
    /// both train `steps` steps on the same batches, with the run's optimiser or, with
    /// `plain_sgd`, plain SGD ([`crosscheck_runs`]). Resolves to JSON `[{cpu_loss, device_loss,
    /// cpu_grad_norm, device_grad_norm, max_weight_difference, largest_weight}, ...]`, one per
    /// step ([`CrosscheckStep`](crate::train::CrosscheckStep)): they must agree to float
    /// precision (a shader that silently computes wrong fails here).
    pub fn crosscheck(&self, steps: u32, plain_sgd: bool) -> Promise {
        let trainer = self.trainer.clone();
        let device = self.device.clone();
        future_to_promise(async move {
            let config = trainer.try_borrow().map_err(|_| busy())?.config().clone();
            let [mut cpu, mut other] =
                crosscheck_runs(&config, &device, plain_sgd).map_err(|errors| to_js(&errors))?;
            let compared = crosscheck(&mut cpu, &mut other, steps as usize)
                .await
                .map_err(device_error)?;
            Ok(to_js(&compared))
        })
    }

    /// Moves the run whole onto `backend` (weights, Adam's moments, batch order and position,
    /// step; asynchronous reads only) and resolves to the new [`Session`]; this one is left as
    /// it was. Rejects with a message when the device cannot be opened or read.
    #[wasm_bindgen(js_name = movedTo)]
    pub fn moved_to(&self, backend: Backend) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let device = device::open(backend)
                .await
                .map_err(|e| JsValue::from_str(&e))?;
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            let moved = trainer.moved_to(&device).await.map_err(device_error)?;
            Ok(Session {
                trainer: Rc::new(RefCell::new(moved)),
                backend,
                device,
            }
            .into())
        })
    }

    /// Starts the run again from fresh weights with the same config, data and device.
    pub fn reset(&self) -> Result<(), JsValue> {
        let mut trainer = self.trainer.try_borrow_mut().map_err(|_| busy())?;
        *trainer = trainer.fresh_on(&self.device);
        Ok(())
    }

    /// Starts a new run from a JSON [`RunConfig`] (a rebuilt model: new task, sizes, cell,
    /// attention, ...) on the same device. With `keep_own_data` the person's own dataset stays
    /// the data. Refused with a JSON list of `{field, value, reason}`; the run goes on unchanged.
    pub fn rebuild(&self, config_json: &str, keep_own_data: bool) -> Result<(), JsValue> {
        let config = RunConfig::from_json(config_json).map_err(|errors| to_js(&errors))?;
        let mut trainer = self.trainer.try_borrow_mut().map_err(|_| busy())?;
        let own = keep_own_data.then(|| trainer.own_data().cloned()).flatten();
        *trainer = match own {
            Some(own) => Trainer::with_own_data(config, own, &self.device),
            None => Trainer::new(config, &self.device),
        }
        .map_err(|errors| to_js(&errors))?;
        Ok(())
    }

    /// What the run trains on, as JSON `{own_data, train_pairs, valid_pairs, source_vocab,
    /// target_vocab}`.
    #[wasm_bindgen(js_name = dataInfo)]
    pub fn data_info(&self) -> Result<String, JsValue> {
        let trainer = self.trainer.try_borrow().map_err(|_| busy())?;
        let data = trainer.data();
        Ok(serde_json::json!({
            "own_data": trainer.own_data().is_some(),
            "train_pairs": data.train.len(),
            "valid_pairs": data.valid.len(),
            "source_vocab": data.vocabularies.source.len(),
            "target_vocab": data.vocabularies.target.len(),
        })
        .to_string())
    }

    /// Starts a new run on the person's own `source<TAB>target` text with the current config.
    /// Resolves nothing; rejects with the JSON [`DatasetReport`](crate::data::DatasetReport)
    /// when too few lines are good (check first with [`check_dataset`]).
    #[wasm_bindgen(js_name = useOwnData)]
    pub fn use_own_data(&self, text: &[u8]) -> Result<(), JsValue> {
        let (dataset, report) = OwnDataset::check(text, DatasetLimits::default());
        let dataset = dataset.ok_or_else(|| to_js(&report))?;
        let mut trainer = self.trainer.try_borrow_mut().map_err(|_| busy())?;
        let config = trainer.config().clone();
        *trainer = Trainer::with_own_data(config, dataset, &self.device).map_err(|e| to_js(&e))?;
        Ok(())
    }

    /// Saves the run (config, vocabularies, own data, step and weights) as one file's bytes,
    /// with asynchronous reads only. Resolves to a `Uint8Array`.
    pub fn save(&self) -> Promise {
        let trainer = self.trainer.clone();
        future_to_promise(async move {
            let trainer = trainer.try_borrow().map_err(|_| busy())?;
            let bytes = trainer
                .checkpoint_async()
                .await
                .map_err(device_error)?
                .to_bytes();
            Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
        })
    }

    /// Replaces the run by a saved one (bytes of a file written by [`save`](Self::save)),
    /// weights bit for bit. Resolves to the run's config JSON; rejects with a message and
    /// leaves the current run as it was when the file is not a usable checkpoint.
    pub fn load(&self, bytes: Vec<u8>) -> Promise {
        let trainer = self.trainer.clone();
        let device = self.device.clone();
        future_to_promise(async move {
            let checkpoint = Checkpoint::from_bytes(&bytes)
                .map_err(|e| JsValue::from_str(&format!("cannot load this file: {e}")))?;
            let loaded = Trainer::from_checkpoint_async(&checkpoint, &device)
                .await
                .map_err(|e| JsValue::from_str(&format!("cannot load this file: {e}")))?;
            let mut trainer = trainer.try_borrow_mut().map_err(|_| busy())?;
            *trainer = loaded;
            Ok(to_js(trainer.config()))
        })
    }

    /// Starts a comparison on this session's device: two fresh runs of `base_json` (a JSON
    /// [`RunConfig`]), one with each JSON [`ModelSettings`], trained on the same batches.
    /// Resolves to a [`CompareSession`]; rejects with a JSON list of `{field, value, reason}`.
    pub fn compare(
        &self,
        base_json: &str,
        model_a_json: &str,
        model_b_json: &str,
    ) -> Result<CompareSession, JsValue> {
        let base = RunConfig::from_json(base_json).map_err(|errors| to_js(&errors))?;
        let model = |json: &str| {
            serde_json::from_str::<ModelSettings>(json).map_err(|e| {
                to_js(&[crate::train::ConfigError {
                    field: "model".into(),
                    value: String::new(),
                    reason: format!("not valid model settings: {e}"),
                }])
            })
        };
        let models = [model(model_a_json)?, model(model_b_json)?];
        let comparison =
            Comparison::new(&base, models, &self.device).map_err(|errors| to_js(&errors))?;
        Ok(CompareSession::new(comparison))
    }
}

/// Why a file of `bytes` bytes is too large to be a person's dataset (stating the limit), or
/// `None` when it may be read: the page asks before reading an uploaded file.
#[wasm_bindgen(js_name = datasetSizeProblem)]
pub fn dataset_size_problem(bytes: f64) -> Option<String> {
    // A size beyond usize (not on wasm32's 4 GiB memory) is too large all the same.
    let bytes = if bytes >= usize::MAX as f64 {
        usize::MAX
    } else {
        bytes.max(0.0) as usize
    };
    DatasetLimits::default()
        .check_size(bytes)
        .err()
        .map(|e| e.to_string())
}

/// Checks a person's `source<TAB>target` text without training on it: resolves to the JSON
/// [`DatasetReport`](crate::data::DatasetReport) (good pairs, refused lines by number and
/// reason, tokenisation, limits).
#[wasm_bindgen(js_name = checkDataset)]
pub fn check_dataset(text: &[u8]) -> String {
    to_json(&OwnDataset::check(text, DatasetLimits::default()).1)
}
