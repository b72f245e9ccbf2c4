//! Helpers shared by the integration tests (a module of each, not a test target of its own).
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

/// The step at which `config` first validates at >= 95% exact (validated every `every` steps),
/// or the accuracies seen when it did not within `budget` steps.
pub fn steps_to_95_percent(
    config: RunConfig,
    budget: usize,
    every: usize,
) -> Result<usize, String> {
    let mut trainer = Trainer::new(config, &cpu()).expect("a valid config");
    let mut seen = Vec::new();
    while trainer.step_count() < budget {
        for _ in 0..every {
            assert!(!pollster::block_on(trainer.step()).unwrap().diverged);
        }
        let eval = pollster::block_on(trainer.evaluate(usize::MAX)).unwrap();
        seen.push((eval.step, eval.exact_accuracy));
        if eval.exact_accuracy >= 0.95 {
            return Ok(eval.step);
        }
    }
    Err(format!("{seen:?}"))
}

/// The zh-en phrases `trainer` never saw (made by the same templates, in neither split): the
/// first 200 of them (asserted), and how it translated the ones it got wrong
/// (`"zh -> output (not en)"`).
pub fn zh_en_held_out_misses(trainer: &Trainer) -> (usize, Vec<String>) {
    let pairs = seq2seq_playground::data::tasks::zh_en_pairs();
    (200, held_out_misses(trainer, pairs, 200))
}

/// The first `count` of `pairs` (source, target) whose source `trainer` never saw, in neither
/// split (asserted: there are that many), and how it decoded those it got wrong (`"source ->
/// output (not target)"`).
pub fn held_out_misses(
    trainer: &Trainer,
    pairs: impl IntoIterator<Item = (String, String)>,
    count: usize,
) -> Vec<String> {
    let data = trainer.data();
    let seen: std::collections::HashSet<&str> = data
        .train
        .iter()
        .chain(&data.valid)
        .map(|pair| pair.source_text.as_str())
        .collect();
    let held_out: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(source, _)| !seen.contains(source.as_str()))
        .take(count)
        .collect();
    assert_eq!(held_out.len(), count, "pairs the run never saw");
    held_out
        .iter()
        .filter_map(|(source, target)| {
            let output = pollster::block_on(trainer.translate(source))
                .unwrap()
                .output_text;
            (&output != target).then(|| format!("{source} -> {output} (not {target})"))
        })
        .collect()
}

/// Every weight of the run's model, by parameter (values only: parameter ids are random per run).
pub fn weight_values(trainer: &Trainer) -> Vec<Vec<f32>> {
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::prelude::Tensor;
    struct Values(Vec<Vec<f32>>);
    impl ModuleVisitor for Values {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().into_data().iter::<f32>().collect());
        }
    }
    let mut values = Values(Vec::new());
    trainer.model().visit(&mut values);
    values.0
}

/// Runs the command-line program with `args`; panics with its error output when it fails.
pub fn run_cli<I, S>(args: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_seq2seq-playground"))
        .args(args)
        .output()
        .expect("the CLI runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
