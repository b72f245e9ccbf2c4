//! Two runs side by side: the same task, data, seed and optimisation settings, two models, so
//! both see the very same batches and only the architecture differs (attention vs none, say).

use super::tensors::DeviceError;
use super::{ConfigError, Evaluation, ModelSettings, RunConfig, StepMetrics, Trainer};
use burn::prelude::Device;

/// Two runs that differ only in their model, stepped together on the same batches.
pub struct Comparison {
    runs: [Trainer; 2],
}

impl Comparison {
    /// Two fresh runs of `base`, one with each model.
    pub fn new(
        base: &RunConfig,
        models: [ModelSettings; 2],
        device: &Device,
    ) -> Result<Self, Vec<ConfigError>> {
        let [a, b] = models.map(|model| {
            Trainer::new(
                RunConfig {
                    model,
                    ..base.clone()
                },
                device,
            )
        });
        Ok(Self { runs: [a?, b?] })
    }

    /// The two runs.
    pub fn runs(&self) -> &[Trainer; 2] {
        &self.runs
    }

    /// One step of each run, on the same batch.
    pub async fn step(&mut self) -> Result<[StepMetrics; 2], DeviceError> {
        let [a, b] = &mut self.runs;
        let first = a.step().await?;
        let second = b.step().await?;
        debug_assert!(
            first.diverged || second.diverged || a.last_batch() == b.last_batch(),
            "both runs see the same batch"
        );
        Ok([first, second])
    }

    /// Scores both runs on (up to `limit`) validation examples.
    pub async fn evaluate(&self, limit: usize) -> Result<[Evaluation; 2], DeviceError> {
        Ok([
            self.runs[0].evaluate(limit).await?,
            self.runs[1].evaluate(limit).await?,
        ])
    }
}
