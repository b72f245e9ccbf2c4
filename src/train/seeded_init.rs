//! Fresh weights that depend on the seed alone.
//!
//! burn's backends draw random numbers from one generator per process, and parameters are
//! initialised lazily, on first use. Two runs created at once (tests on parallel threads, say)
//! would interleave their draws, so the same seed could give different weights. Here the seeding
//! and every draw happen together, under one lock.

use crate::model::{Seq2Seq, Seq2SeqConfig};
use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use std::sync::Mutex;

/// Held while a run seeds the backend's generator and draws from it.
static GENERATOR_LOCK: Mutex<()> = Mutex::new(());

/// A model initialised from `seed` on `device`, the same for the same seed whatever else runs.
pub fn init_seeded(config: &Seq2SeqConfig, device: &Device, seed: u64) -> Seq2Seq {
    with_seeded_generator(device, seed, || {
        let model = config.init(device);
        model.visit(&mut Materialize);
        model
    })
}

/// Runs `draw` with the backend's generator seeded from `seed` and no other run drawing
/// meanwhile (weights here; a training step's dropout masks in the trainer).
pub fn with_seeded_generator<T>(device: &Device, seed: u64, draw: impl FnOnce() -> T) -> T {
    let _only_one = GENERATOR_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    draw()
}

/// Touches every float parameter so its lazy initialiser runs now.
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        param.val();
    }
}
