//! Helpers shared by the integration tests.
#![allow(dead_code)]

use burn::prelude::Device;
use seq2seq_playground::train::{Evaluation, RunConfig, Trainer};

/// The CPU device the tests run on.
pub fn cpu() -> Device {
    Device::flex()
}

/// Trains `steps` steps and evaluates on the whole validation split.
pub fn train(config: RunConfig, steps: usize) -> (Trainer, Evaluation) {
    let mut trainer = Trainer::new(config, &cpu()).expect("a valid config");
    while trainer.step_count() < steps {
        let metrics = pollster::block_on(trainer.step()).unwrap();
        assert!(!metrics.diverged, "diverged at step {}", metrics.step);
    }
    let eval = pollster::block_on(trainer.evaluate(usize::MAX)).unwrap();
    (trainer, eval)
}
