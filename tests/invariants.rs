//! Invariants of the model and the run: masking, determinism, checkpoints.

mod common;

use burn::prelude::*;
use seq2seq_playground::data::{Batch, EncodedPair};
use seq2seq_playground::model::{AttentionKind, CellKind};
use seq2seq_playground::train::tensors::{BatchTensors, read_floats};
use seq2seq_playground::train::{Checkpoint, RunConfig, Trainer};
use strum::VariantArray;

fn pair(source: &[usize], target: &[usize]) -> EncodedPair {
    EncodedPair {
        source_text: String::new(),
        target_text: String::new(),
        source: source.to_vec(),
        target: target.to_vec(),
    }
}

#[test]
fn attention_ignores_padding_and_each_row_sums_to_one() {
    let device = common::cpu();
    for attention in [
        AttentionKind::Dot,
        AttentionKind::General,
        AttentionKind::Additive,
    ] {
        for &cell in CellKind::VARIANTS {
            let mut config = RunConfig::default();
            config.model.attention = attention;
            config.model.cell = cell;
            config.model.layers = 2;
            let trainer = Trainer::new(config, &device).unwrap();
            let (short, long) = (pair(&[4, 5], &[6]), pair(&[4, 5, 6, 7, 8], &[6, 7, 8]));
            let batch = Batch::from_pairs(&[&short, &long]);
            let tensors = BatchTensors::new(&batch, &device);
            let model = trainer.model().valid();
            let output = model.forward(tensors.source, tensors.source_mask, tensors.target_input);
            let weights = output.attention.expect("attention weights");
            assert_eq!(weights.dims(), [2, batch.target_len, batch.source_len]);
            let flat = pollster::block_on(read_floats(vec![weights]))
                .unwrap()
                .remove(0);
            for (i, row) in flat.chunks(batch.source_len).enumerate() {
                let sum: f32 = row.iter().sum();
                assert!(
                    (sum - 1.0).abs() < 1e-5,
                    "{attention:?}/{cell:?}: row sums to {sum}"
                );
                if i < batch.target_len {
                    // first sequence: 2 real tokens, 3 PAD
                    assert_eq!(&row[2..], &[0.0, 0.0, 0.0], "{attention:?}/{cell:?}");
                    assert!(row[0] > 0.0 && row[1] > 0.0);
                }
            }
        }
    }
}

#[test]
fn padding_does_not_change_what_the_model_computes_for_a_sequence() {
    // The same sequence alone and padded in a batch with a longer one gives the same scores.
    let device = common::cpu();
    let trainer = Trainer::new(RunConfig::default(), &device).unwrap();
    let model = trainer.model().valid();
    let (short, long) = (pair(&[4, 5], &[6]), pair(&[4, 5, 6, 7, 8], &[6, 7, 8]));
    let logits = |pairs: &[&EncodedPair]| {
        let batch = Batch::from_pairs(pairs);
        let t = BatchTensors::new(&batch, &device);
        let out = model
            .forward(t.source, t.source_mask, t.target_input)
            .logits;
        let first: Tensor<3> = out.narrow(0, 0, 1).narrow(1, 0, 2);
        pollster::block_on(read_floats(vec![first]))
            .unwrap()
            .remove(0)
    };
    let alone = logits(&[&short]);
    let padded = logits(&[&short, &long]);
    for (a, b) in alone.iter().zip(&padded) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = || {
        let mut trainer = Trainer::new(RunConfig::default(), &common::cpu()).unwrap();
        (0..5)
            .map(|_| pollster::block_on(trainer.step()).unwrap().loss)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn a_checkpoint_restores_the_weights_bit_for_bit() {
    let (trainer, eval) = common::train(RunConfig::default(), 20);
    let bytes = trainer.checkpoint().unwrap().to_bytes();
    let restored =
        Trainer::from_checkpoint(&Checkpoint::from_bytes(&bytes).unwrap(), &common::cpu()).unwrap();
    assert_eq!(restored.step_count(), 20);
    assert_eq!(
        restored.checkpoint().unwrap().weights,
        trainer.checkpoint().unwrap().weights
    );
    let again = pollster::block_on(restored.evaluate(usize::MAX)).unwrap();
    assert_eq!(again.loss, eval.loss);
    assert!(matches!(
        Checkpoint::from_bytes(b"not a checkpoint"),
        Err(seq2seq_playground::train::CheckpointError::NotACheckpoint)
    ));
    assert!(Checkpoint::from_bytes(&bytes[..20]).is_err());
}

#[test]
fn a_cut_or_tampered_checkpoint_is_refused_never_half_loaded() {
    use seq2seq_playground::train::CheckpointError;
    let mut config = RunConfig::default();
    config.task.dataset_size = 60;
    let trainer = Trainer::new(config, &common::cpu()).unwrap();
    let bytes = trainer.checkpoint().unwrap().to_bytes();
    let loads = |bytes: &[u8]| {
        Checkpoint::from_bytes(bytes)
            .and_then(|c| Trainer::from_checkpoint(&c, &common::cpu()))
            .is_ok()
    };
    assert!(loads(&bytes));
    // Every cut, in steps through the header, the weights and Adam's moments, and at the end.
    let cuts = (0..bytes.len())
        .step_by(97)
        .chain(bytes.len() - 8..bytes.len());
    for cut in cuts {
        assert!(
            !loads(&bytes[..cut]),
            "a file cut at {cut} of {} loaded",
            bytes.len()
        );
    }
    // A vocabulary edited in the header (same length) no longer matches the task's data.
    // (found in the bytes: the binary length before the header is not text)
    let at = bytes
        .windows(7)
        .position(|w| w == b"\"<unk>\"")
        .expect("the vocabulary in the header");
    let mut tampered = bytes.clone();
    tampered[at + 2..at + 5].copy_from_slice(b"unq");
    assert!(matches!(
        Checkpoint::from_bytes(&tampered)
            .and_then(|c| Trainer::from_checkpoint(&c, &common::cpu())),
        Err(CheckpointError::VocabularyMismatch)
    ));
}

#[test]
fn a_huge_learning_rate_is_caught_and_the_last_good_weights_kept() {
    let mut config = RunConfig::default();
    config.train.learning_rate = 10.0;
    config.train.clip_norm = 0.0;
    let mut trainer = Trainer::new(config, &common::cpu()).unwrap();
    let mut weights_at = vec![trainer.checkpoint().unwrap().weights];
    let mut diverged = None;
    for _ in 0..50 {
        let metrics = pollster::block_on(trainer.step()).unwrap();
        if metrics.diverged {
            diverged = Some(metrics);
            break;
        }
        weights_at.push(trainer.checkpoint().unwrap().weights);
    }
    let metrics = diverged.expect("lr 10 without clipping diverges");
    assert!(metrics.loss > 27.0, "loss {}", metrics.loss);
    assert_eq!(trainer.step_count(), metrics.step);
    assert_eq!(
        trainer.checkpoint().unwrap().weights,
        weights_at[metrics.step],
        "weights restored to those of step {}",
        metrics.step
    );
    let mut settings = trainer.config().train.clone();
    settings.learning_rate = 0.001;
    trainer.set_train_settings(settings).unwrap();
    for _ in 0..5 {
        let next = pollster::block_on(trainer.step()).unwrap();
        assert!(!next.diverged, "loss {} after lowering the rate", next.loss);
    }
    assert_eq!(trainer.step_count(), metrics.step + 5);
}

#[test]
fn copied_weights_train_exactly_like_the_original() {
    let config = RunConfig::default();
    let mut original = Trainer::new(config.clone(), &common::cpu()).unwrap();
    pollster::block_on(original.step()).unwrap();
    let mut other_seed = config.clone();
    other_seed.train.seed += 1;
    let mut copy = Trainer::new(other_seed, &common::cpu()).unwrap();
    pollster::block_on(copy.load_weights_from(&original)).unwrap();
    // Same weights: the same validation loss to the last bit.
    let a = pollster::block_on(original.evaluate(64)).unwrap();
    let b = pollster::block_on(copy.evaluate(64)).unwrap();
    assert_eq!(a.loss, b.loss);
    assert_eq!(copy.step_count(), original.step_count());
    // And the copy trains (its weights still take gradients).
    let metrics = pollster::block_on(copy.step()).unwrap();
    assert!(!metrics.diverged && metrics.grad_norm > 0.0, "{metrics:?}");
}

#[test]
fn a_restored_checkpoint_keeps_training() {
    let (trainer, _) = common::train(RunConfig::default(), 2);
    let bytes = trainer.checkpoint().unwrap().to_bytes();
    let checkpoint = Checkpoint::from_bytes(&bytes).unwrap();
    let mut restored = Trainer::from_checkpoint(&checkpoint, &common::cpu()).unwrap();
    let metrics = pollster::block_on(restored.step()).unwrap();
    assert!(!metrics.diverged && metrics.grad_norm > 0.0, "{metrics:?}");
    assert_eq!(metrics.step, 3);
}

#[test]
fn train_settings_change_between_steps_and_bad_ones_are_refused() {
    let mut trainer = Trainer::new(RunConfig::default(), &common::cpu()).unwrap();
    pollster::block_on(trainer.step()).unwrap();
    trainer
        .update_train_settings(r#"{"learning_rate": 0.001}"#)
        .unwrap();
    assert_eq!(trainer.config().train.learning_rate, 0.001);
    assert_eq!(
        trainer.config().train.batch_size,
        32,
        "other settings are kept"
    );
    assert_eq!(trainer.step_count(), 1, "progress is kept");
    for bad in [
        r#"{"learning_rate": -1}"#,
        r#"{"learning_rate": "fast"}"#,
        r#"{"velocity": 0.9}"#,
        r#"{"momentum": 2.0}"#,
        r#"{"seed": 8, "learning_rate": 0.01}"#,
        "[1, 2]",
        "not json",
    ] {
        let errors = trainer.update_train_settings(bad).unwrap_err();
        assert!(!errors.is_empty(), "{bad} is refused");
        assert_eq!(
            trainer.config().train.learning_rate,
            0.001,
            "{bad} changed nothing"
        );
    }
    let errors = trainer.update_train_settings(r#"{"seed": 8}"#).unwrap_err();
    assert_eq!(
        errors[0].field, "train.seed",
        "a live seed change is refused by name"
    );
    assert!(errors[0].reason.contains("new run"), "{}", errors[0].reason);
    assert_eq!(trainer.config().train.seed, 7);
    assert!(!pollster::block_on(trainer.step()).unwrap().diverged);
}

#[test]
fn an_async_checkpoint_is_the_same_file_and_loads_back_bit_for_bit() {
    let (trainer, _) = common::train(RunConfig::default(), 10);
    let sync = trainer.checkpoint().unwrap().to_bytes();
    let saved = pollster::block_on(trainer.checkpoint_async())
        .unwrap()
        .to_bytes();
    assert_eq!(saved, sync, "asynchronous reads save the same bytes");
    let checkpoint = Checkpoint::from_bytes(&saved).unwrap();
    let loaded =
        pollster::block_on(Trainer::from_checkpoint_async(&checkpoint, &common::cpu())).unwrap();
    assert_eq!(loaded.step_count(), 10);
    assert_eq!(
        pollster::block_on(loaded.checkpoint_async())
            .unwrap()
            .to_bytes(),
        saved,
        "saving the loaded run gives the same file"
    );
}

#[test]
fn a_run_on_own_data_saves_its_data_and_resumes() {
    use seq2seq_playground::data::{DatasetLimits, OwnDataset};
    let text: String = (0..40)
        .map(|i| format!("{} {}\t{} {}\n", i % 7, i % 5, i % 5, i % 7))
        .collect();
    let (own, report) = OwnDataset::check(text.as_bytes(), DatasetLimits::default());
    assert_eq!(report.good_pairs, 40);
    let mut trainer =
        Trainer::with_own_data(RunConfig::default(), own.unwrap(), &common::cpu()).unwrap();
    for _ in 0..5 {
        pollster::block_on(trainer.step()).unwrap();
    }
    let bytes = trainer.checkpoint().unwrap().to_bytes();
    let restored =
        Trainer::from_checkpoint(&Checkpoint::from_bytes(&bytes).unwrap(), &common::cpu()).unwrap();
    assert!(restored.own_data().is_some());
    assert_eq!(restored.data().train.len(), trainer.data().train.len());
    assert_eq!(restored.checkpoint().unwrap().to_bytes(), bytes);
}

#[test]
fn a_comparison_trains_both_models_on_the_same_batches() {
    use seq2seq_playground::model::AttentionKind;
    use seq2seq_playground::train::{Comparison, ModelSettings};
    let mut base = RunConfig::default();
    base.task.dataset_size = 200;
    let none = ModelSettings {
        attention: AttentionKind::None,
        ..ModelSettings::default()
    };
    let mut comparison =
        Comparison::new(&base, [ModelSettings::default(), none], &common::cpu()).unwrap();
    for _ in 0..3 {
        let [a, b] = pollster::block_on(comparison.step()).unwrap();
        assert_eq!(a.step, b.step);
        let [ra, rb] = comparison.runs();
        assert_eq!(ra.last_batch(), rb.last_batch());
        assert_ne!(a.loss, b.loss, "different models");
    }
    let [ea, eb] = pollster::block_on(comparison.evaluate(16)).unwrap();
    assert_eq!((ea.examples, eb.examples), (16, 16));
    let bad = ModelSettings {
        layers: 5,
        ..ModelSettings::default()
    };
    assert!(Comparison::new(&base, [ModelSettings::default(), bad], &common::cpu()).is_err());
}

#[test]
fn several_steps_per_read_train_exactly_like_single_steps() {
    let config = RunConfig::default();
    let mut one_by_one = Trainer::new(config.clone(), &common::cpu()).unwrap();
    let mut batched = Trainer::new(config, &common::cpu()).unwrap();
    let singles: Vec<f32> = (0..6)
        .map(|_| pollster::block_on(one_by_one.step()).unwrap().loss)
        .collect();
    let mut chunked = pollster::block_on(batched.steps(4)).unwrap();
    chunked.extend(pollster::block_on(batched.steps(2)).unwrap());
    assert_eq!(chunked.iter().map(|m| m.loss).collect::<Vec<_>>(), singles);
    assert_eq!(
        chunked.iter().map(|m| m.step).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        common::weight_values(&batched),
        common::weight_values(&one_by_one)
    );
}

#[test]
fn a_divergence_inside_several_steps_ends_them_and_keeps_the_last_good_weights() {
    let mut config = RunConfig::default();
    config.train.learning_rate = 10.0;
    config.train.clip_norm = 0.0;
    let mut reference = Trainer::new(config.clone(), &common::cpu()).unwrap();
    let mut weights_at = vec![common::weight_values(&reference)];
    loop {
        let metrics = pollster::block_on(reference.step()).unwrap();
        if metrics.diverged {
            break;
        }
        weights_at.push(common::weight_values(&reference));
    }
    let mut trainer = Trainer::new(config, &common::cpu()).unwrap();
    let metrics = pollster::block_on(trainer.steps(50)).unwrap();
    let last = metrics.last().unwrap();
    assert!(
        last.diverged,
        "lr 10 without clipping diverges within 50 steps"
    );
    assert!(metrics[..metrics.len() - 1].iter().all(|m| !m.diverged));
    assert_eq!(trainer.step_count(), last.step);
    assert_eq!(common::weight_values(&trainer), weights_at[last.step]);
}

#[test]
fn raising_the_learning_rate_to_10_mid_run_goes_back_to_before_the_change() {
    let mut trainer = Trainer::new(RunConfig::default(), &common::cpu()).unwrap();
    for _ in 0..30 {
        assert!(!pollster::block_on(trainer.step()).unwrap().diverged);
    }
    let before = common::weight_values(&trainer);
    let mut settings = trainer.config().train.clone();
    settings.learning_rate = 10.0;
    trainer.set_train_settings(settings.clone()).unwrap();
    let diverged = (0..50)
        .map(|_| pollster::block_on(trainer.step()).unwrap())
        .find(|m| m.diverged)
        .expect("a learning rate of 10 blows the run up");
    assert_eq!(diverged.step, 30, "back to the step of the change");
    assert_eq!(trainer.step_count(), 30);
    assert_eq!(
        common::weight_values(&trainer),
        before,
        "the weights from before the change"
    );
    settings.learning_rate = 0.005;
    trainer.set_train_settings(settings).unwrap();
    for _ in 0..30 {
        let metrics = pollster::block_on(trainer.step()).unwrap();
        assert!(
            !metrics.diverged,
            "loss {} after lowering the rate",
            metrics.loss
        );
    }
}
