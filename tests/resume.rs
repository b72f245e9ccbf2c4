//! Exact resume: a run saved and loaded (or moved to another device) goes on bit for bit as the
//! run that was never interrupted: same losses, same weights.

mod common;

use seq2seq_playground::train::{Checkpoint, RunConfig, Trainer};

/// A short run that crosses epochs quickly and uses every random draw the trainer makes.
fn config() -> RunConfig {
    let mut config = RunConfig::default();
    config.task.dataset_size = 120;
    config.train.batch_size = 16;
    config.train.teacher_forcing = 0.5;
    config
}

fn steps(trainer: &mut Trainer, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let metrics = pollster::block_on(trainer.step()).unwrap();
            assert!(!metrics.diverged);
            metrics.loss
        })
        .collect()
}

#[test]
fn save_load_and_go_on_equals_training_straight_through() {
    let (n, m) = (9, 7); // 108 training pairs / 16 a batch: the epoch turns inside both spans
    let mut straight = Trainer::new(config(), &common::cpu()).unwrap();
    let mut expected = steps(&mut straight, n);
    expected.extend(steps(&mut straight, m));

    let mut first = Trainer::new(config(), &common::cpu()).unwrap();
    let mut losses = steps(&mut first, n);
    let bytes = first.checkpoint().unwrap().to_bytes();
    drop(first);
    let checkpoint = Checkpoint::from_bytes(&bytes).unwrap();
    assert!(checkpoint.optimizer.is_some() && checkpoint.batcher.is_some());
    let mut resumed = Trainer::from_checkpoint(&checkpoint, &common::cpu()).unwrap();
    assert_eq!(resumed.step_count(), n);
    losses.extend(steps(&mut resumed, m));

    assert_eq!(losses, expected, "the same losses, bit for bit");
    assert_eq!(
        common::weight_values(&resumed),
        common::weight_values(&straight),
        "the same weights, bit for bit"
    );
}

#[test]
fn a_run_moved_to_another_device_goes_on_where_it_was() {
    let mut straight = Trainer::new(config(), &common::cpu()).unwrap();
    steps(&mut straight, 5);
    let moved = pollster::block_on(straight.moved_to(&common::cpu())).unwrap();
    let mut moved = moved;
    assert_eq!(moved.step_count(), 5);
    assert_eq!(moved.last_batch(), straight.last_batch());
    assert_eq!(steps(&mut moved, 6), steps(&mut straight, 6));
    assert_eq!(
        common::weight_values(&moved),
        common::weight_values(&straight)
    );
}

#[test]
fn a_resumed_file_saves_back_to_the_same_bytes() {
    let mut trainer = Trainer::new(config(), &common::cpu()).unwrap();
    steps(&mut trainer, 4);
    let bytes = trainer.checkpoint().unwrap().to_bytes();
    let restored =
        Trainer::from_checkpoint(&Checkpoint::from_bytes(&bytes).unwrap(), &common::cpu()).unwrap();
    assert_eq!(restored.checkpoint().unwrap().to_bytes(), bytes);
}

#[test]
fn a_divergence_goes_back_to_the_batches_of_the_last_good_weights() {
    let mut config = config();
    config.train.learning_rate = 10.0;
    config.train.clip_norm = 0.0;
    config.train.teacher_forcing = 1.0;
    let mut trainer = Trainer::new(config, &common::cpu()).unwrap();
    // The batch each step trained on, by the step count it started from.
    let mut batches = Vec::new();
    for _ in 0..60 {
        let upcoming = trainer.next_batch();
        let metrics = pollster::block_on(trainer.step()).unwrap();
        if metrics.diverged {
            assert_eq!(trainer.step_count(), metrics.step);
            assert_eq!(
                trainer.next_batch(),
                batches[metrics.step],
                "the next step takes the batch the restored weights took next"
            );
            return;
        }
        batches.push(upcoming);
    }
    panic!("a learning rate of 10 without clipping diverges");
}

#[test]
fn the_cli_resumes_a_saved_run_exactly() {
    let dir = std::env::temp_dir().join(format!("seq2seq-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cli = |args: &[&str], file: &str| {
        let path = dir.join(file);
        common::run_cli(
            args.iter()
                .copied()
                .chain(["--checkpoint", path.to_str().unwrap()]),
        );
        std::fs::read(path).unwrap()
    };
    let run = ["--dataset-size", "100", "--eval-every", "1000"];
    let straight = cli(
        &[&["train", "--steps", "9"][..], &run].concat(),
        "straight.s2s",
    );
    cli(&[&["train", "--steps", "4"][..], &run].concat(), "half.s2s");
    let half = dir.join("half.s2s");
    let resumed = cli(
        &[
            "train",
            "--steps",
            "9",
            "--eval-every",
            "1000",
            "--resume",
            half.to_str().unwrap(),
        ],
        "resumed.s2s",
    );
    // Parameter ids are drawn per run, so the files differ in them: compare what they hold.
    let load = |bytes: &[u8]| {
        let checkpoint = Checkpoint::from_bytes(bytes).unwrap();
        let trainer = Trainer::from_checkpoint(&checkpoint, &common::cpu()).unwrap();
        let state = pollster::block_on(trainer.optimizer_state()).unwrap();
        (
            trainer.step_count(),
            trainer.batcher_position(),
            common::weight_values(&trainer),
            state,
            checkpoint.recent_losses,
        )
    };
    assert_eq!(
        load(&resumed),
        load(&straight),
        "4 + 5 steps hold the very run of 9 steps straight"
    );
    std::fs::remove_dir_all(&dir).ok();
}
