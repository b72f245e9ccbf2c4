//! Teacher forcing as scheduled sampling: the ratio is drawn per sequence and position, and the
//! free-running path (ratio below 1) trains.

mod common;

use seq2seq_playground::train::{RunConfig, Trainer};

fn run(ratio: f64, steps: usize) -> Vec<f32> {
    let mut config = RunConfig::default();
    config.task.dataset_size = 400;
    config.task.min_len = 3;
    config.task.max_len = 5;
    config.train.teacher_forcing = ratio;
    let mut trainer = Trainer::new(config, &common::cpu()).unwrap();
    (0..steps)
        .map(|_| {
            let metrics = pollster::block_on(trainer.step()).unwrap();
            assert!(!metrics.diverged);
            let expected_share = ratio as f32;
            assert!(
                (metrics.teacher_forced - expected_share).abs() < 0.25,
                "share of forced positions {} for ratio {ratio}",
                metrics.teacher_forced
            );
            metrics.loss
        })
        .collect()
}

fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len() as f32
}

#[test]
fn free_running_and_mixed_training_learn_and_differ_from_full_forcing() {
    let forced = run(1.0, 3);
    for ratio in [0.0, 0.5] {
        let losses = run(ratio, 150);
        assert_ne!(
            losses[..3],
            forced[..],
            "ratio {ratio} feeds other inputs than full forcing"
        );
        let (early, late) = (mean(&losses[..10]), mean(&losses[140..]));
        assert!(
            late < 0.7 * early,
            "ratio {ratio}: loss {early:.3} -> {late:.3} should fall"
        );
    }
}

#[test]
fn the_draws_depend_on_the_seed_and_step_only() {
    assert_eq!(run(0.5, 5), run(0.5, 5));
}
