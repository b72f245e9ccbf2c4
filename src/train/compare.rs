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
    /// Two fresh runs of `base`, one with each model. Refused with the problems of both: a
    /// model's own fields named `model A: model.hidden_size` (or B), shared ones once.
    pub fn new(
        base: &RunConfig,
        models: [ModelSettings; 2],
        device: &Device,
    ) -> Result<Self, Vec<ConfigError>> {
        let runs = models.map(|model| {
            Trainer::new(
                RunConfig {
                    model,
                    ..base.clone()
                },
                device,
            )
        });
        let mut problems: Vec<ConfigError> = vec![];
        let mut trainers = vec![];
        for (name, run) in ["A", "B"].into_iter().zip(runs) {
            match run {
                Ok(trainer) => trainers.push(trainer),
                Err(errors) => {
                    for error in errors {
                        let error = if error.field.starts_with("model") {
                            ConfigError {
                                field: format!("model {name}: {}", error.field),
                                ..error
                            }
                        } else {
                            error
                        };
                        if !problems.contains(&error) {
                            problems.push(error);
                        }
                    }
                }
            }
        }
        match <[Trainer; 2]>::try_from(trainers) {
            Ok(runs) if problems.is_empty() => Ok(Self { runs }),
            _ => Err(problems),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_names_the_problems_of_both_models() {
        let base = RunConfig::default();
        let mut a = base.model.clone();
        a.hidden_size = 0;
        let mut b = base.model.clone();
        b.layers = 9;
        let errors = match Comparison::new(&base, [a, b], &Device::flex()) {
            Ok(_) => panic!("both models are invalid"),
            Err(errors) => errors,
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["model A: model.hidden_size", "model B: model.layers"]
        );
        let mut bad_base = base.clone();
        bad_base.train.learning_rate = -1.0;
        let errors =
            match Comparison::new(&bad_base, [base.model.clone(), base.model], &Device::flex()) {
                Ok(_) => panic!("the shared settings are invalid"),
                Err(errors) => errors,
            };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["train.learning_rate"],
            "a shared problem is named once"
        );
    }
}
