//! The Transformer: its masks do what they say (causality, padding), its attention rows are
//! distributions with exact zeros where blocked, and it learns the tasks.

mod common;

use burn::module::Module;
use burn::prelude::*;
use seq2seq_playground::data::TaskKind;
use seq2seq_playground::data::vocab::{BOS, PAD};
use seq2seq_playground::model::{
    ModelKind, NormPlacement, PositionKind, Seq2SeqConfig, Transformer,
};
use seq2seq_playground::train::seeded_init::init_seeded;
use seq2seq_playground::train::{RunConfig, Trainer};

/// A small untrained Transformer in evaluation mode (no dropout), its weights drawn under the
/// generator's lock (a parallel test's seeded dropout must not see these draws).
fn model(norm: NormPlacement, positions: PositionKind, tied: bool) -> Transformer {
    let config = Seq2SeqConfig::new(11, 13)
        .with_kind(ModelKind::Transformer)
        .with_embedding_size(16)
        .with_heads(4)
        .with_layers(2)
        .with_ff_size(32)
        .with_norm(norm)
        .with_positions(positions)
        .with_tied_embeddings(tied);
    init_seeded(&config, &common::cpu(), 3)
        .valid()
        .transformer()
        .expect("a Transformer")
        .clone()
}

fn every_variant() -> Vec<Transformer> {
    let mut models = Vec::new();
    for norm in [NormPlacement::Pre, NormPlacement::Post] {
        for positions in [PositionKind::Sinusoidal, PositionKind::Learned] {
            for tied in [false, true] {
                models.push(model(norm, positions, tied));
            }
        }
    }
    models
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn ints(rows: &[&[i64]]) -> Tensor<2, Int> {
    let device = common::cpu();
    let width = rows[0].len();
    let flat: Vec<i64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::<1, Int>::from_data(flat.as_slice(), &device).reshape([rows.len(), width])
}

fn mask(rows: &[&[f32]]) -> Tensor<2> {
    let device = common::cpu();
    let width = rows[0].len();
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::<1>::from_data(flat.as_slice(), &device).reshape([rows.len(), width])
}

fn assert_close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() < 1e-5, "{what}: element {i}: {x} vs {y}");
    }
}

#[test]
fn changing_later_target_tokens_never_changes_earlier_scores() {
    let source = ints(&[&[4, 5, 6, 7]]);
    let source_mask = mask(&[&[1.0; 4]]);
    let vocab = 13;
    for model in every_variant() {
        let a = ints(&[&[BOS as i64, 5, 6, 7, 8]]);
        let logits_a = values(model.forward(source.clone(), source_mask.clone(), a).logits);
        for t in 0..4 {
            // Change every token after position t.
            let mut changed = vec![BOS as i64, 5, 6, 7, 8];
            for token in changed.iter_mut().skip(t + 1) {
                *token = 12;
            }
            let b = ints(&[&changed]);
            let logits_b = values(model.forward(source.clone(), source_mask.clone(), b).logits);
            let upto = (t + 1) * vocab;
            assert_close(
                &logits_a[..upto],
                &logits_b[..upto],
                &format!("positions <= {t}"),
            );
            assert_ne!(
                logits_a[upto..],
                logits_b[upto..],
                "later positions do change"
            );
        }
    }
}

#[test]
fn padding_changes_nothing_and_gets_exactly_zero_attention() {
    for model in every_variant() {
        let target = ints(&[&[BOS as i64, 5, 6]]);
        let short = model.forward_all(ints(&[&[4, 5, 6]]), mask(&[&[1.0; 3]]), target.clone());
        // The same sequences with PAD after them, on both sides.
        let padded = model.forward_all(
            ints(&[&[4, 5, 6, PAD as i64, PAD as i64]]),
            mask(&[&[1.0, 1.0, 1.0, 0.0, 0.0]]),
            ints(&[&[BOS as i64, 5, 6, PAD as i64]]),
        );
        let vocab = 13;
        assert_close(
            &values(short.logits),
            &values(padded.logits)[..3 * vocab],
            "scores of the real target positions",
        );
        let layers = padded.attention.encoder.len();
        for layer in 0..layers {
            let checks = [
                (
                    "encoder self",
                    padded.attention.encoder[layer].clone(),
                    5,
                    vec![3, 4],
                    5,
                ),
                (
                    "cross",
                    padded.attention.cross[layer].clone(),
                    5,
                    vec![3, 4],
                    4,
                ),
                (
                    "decoder self",
                    padded.attention.decoder[layer].clone(),
                    4,
                    vec![3],
                    4,
                ),
            ];
            for (name, weights, keys, pad_keys, queries) in checks {
                let [_, heads, q, k] = weights.dims();
                assert_eq!((heads, q, k), (4, queries, keys), "{name} shape");
                let w = values(weights);
                for head in 0..heads {
                    for query in 0..q {
                        let row = &w[(head * q + query) * k..(head * q + query + 1) * k];
                        let sum: f32 = row.iter().sum();
                        assert!((sum - 1.0).abs() < 1e-5, "{name} row sums to {sum}");
                        for &pad in &pad_keys {
                            assert_eq!(row[pad], 0.0, "{name} layer {layer} head {head}");
                        }
                        if name == "decoder self" {
                            for (key, &value) in row.iter().enumerate().skip(query + 1) {
                                assert_eq!(value, 0.0, "{name}: query {query} sees key {key}");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn greedy_decoding_equals_stepping_and_reads_its_own_guesses() {
    for model in every_variant() {
        let source = ints(&[&[4, 5, 6, 7], &[8, 9, PAD as i64, PAD as i64]]);
        let source_mask = mask(&[&[1.0; 4], &[1.0, 1.0, 0.0, 0.0]]);
        let greedy = model.greedy(source.clone(), source_mask.clone(), 5);
        let tokens: Vec<i64> = greedy.tokens.clone().into_data().iter::<i64>().collect();
        let mut state = model.begin(source, source_mask);
        let mut previous = Tensor::<2, Int>::full([2, 1], BOS as i64, &common::cpu());
        let mut stepped = Vec::new();
        for _ in 0..5 {
            let (logits, attention) = model.step(&mut state, previous);
            assert_eq!(attention.dims(), [2, 4]);
            previous = logits.argmax(1);
            stepped.push(previous.clone());
        }
        let stepped: Vec<i64> = Tensor::cat(stepped, 1).into_data().iter::<i64>().collect();
        assert_eq!(tokens, stepped);
    }
}

/// The Transformer's run settings on a task (dropout off unless a test sets it).
fn transformer_run(task: TaskKind) -> RunConfig {
    let mut config = RunConfig::default();
    config.task.kind = task;
    config.model.kind = ModelKind::Transformer;
    config.model.embedding_size = 64;
    config.model.layers = 2;
    config.model.heads = 4;
    config.model.ff_size = 128;
    config.model.dropout = 0.0;
    config
}

#[test]
fn heads_must_divide_the_embedding_and_an_rnn_stacks_at_most_two_layers() {
    let mut config = transformer_run(TaskKind::Reverse);
    config.model.heads = 5;
    config.model.layers = 4;
    let errors = config.validate().unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "model.heads");
    assert!(errors[0].reason.contains("divide the embedding size (64)"));
    config.model.kind = ModelKind::Rnn;
    let errors = config.validate().unwrap_err();
    assert_eq!(errors[0].field, "model.layers", "{errors:?}");
}

#[test]
fn a_saved_transformer_run_resumes_exactly() {
    let mut config = transformer_run(TaskKind::Reverse);
    config.model.dropout = 0.1;
    config.model.positions = PositionKind::Learned;
    config.model.tied_embeddings = true;
    let device = common::cpu();
    let mut straight = Trainer::new(config.clone(), &device).unwrap();
    for _ in 0..3 {
        pollster::block_on(straight.step()).unwrap();
    }
    let saved = straight.checkpoint().unwrap();
    let bytes = saved.to_bytes();
    let mut resumed = Trainer::from_checkpoint(
        &seq2seq_playground::train::Checkpoint::from_bytes(&bytes).unwrap(),
        &device,
    )
    .unwrap();
    assert_eq!(
        common::weight_values(&resumed),
        common::weight_values(&straight)
    );
    for _ in 0..3 {
        let a = pollster::block_on(straight.step()).unwrap();
        let b = pollster::block_on(resumed.step()).unwrap();
        assert_eq!(a.loss, b.loss, "step {}", a.step);
    }
    assert_eq!(
        common::weight_values(&resumed),
        common::weight_values(&straight)
    );
}

/// The reverse 4-8 budget: measured 2026-11-28 on seeds 1-5 (validating every 50 steps, d_model
/// 64, 2 layers, 4 heads, learning rate 0.0005, no dropout) the Transformer reached 95% exact
/// after 650, 750, 550, 650 and 600 steps; the budget leaves a third more than the slowest.
const REVERSE_BUDGET: usize = 1000;

#[test]
fn reverse_short_reaches_95_percent_exact_on_several_seeds() {
    let mut reached = Vec::new();
    for seed in 1..=3 {
        let mut config = transformer_run(TaskKind::Reverse);
        config.train.learning_rate = 0.0005;
        config.train.seed = seed;
        match common::steps_to_95_percent(config, REVERSE_BUDGET, 50) {
            Ok(step) => reached.push((seed, step)),
            Err(seen) => {
                panic!("seed {seed}: under 95% exact within {REVERSE_BUDGET} steps: {seen}")
            }
        }
    }
    eprintln!("Transformer reverse 4-8, steps to 95% exact by seed: {reached:?}");
}

/// The dates budget: measured 2026-11-29 with the release CLI (6,000 pairs, batch 64, learning
/// rate 0.002, no dropout, validating every 100 steps) the Transformer reached 95% exact after
/// 700, 600 and 500 steps on seeds 7, 1 and 2; the budget leaves a third more than the slowest.
/// (It was an ignored test at learning rate 0.001 with dropout 0.1: 1,300 steps, 4 minutes.)
const DATES_BUDGET: usize = 1000;

#[test]
fn dates_reaches_95_percent_exact() {
    let mut config = transformer_run(TaskKind::Dates);
    config.task.dataset_size = 6000;
    config.train.batch_size = 64;
    config.train.learning_rate = 0.002;
    config.train.seed = 7;
    match common::steps_to_95_percent(config, DATES_BUDGET, 50) {
        Ok(step) => eprintln!("Transformer dates: 95% exact at step {step}"),
        Err(seen) => panic!("under 95% exact within {DATES_BUDGET} steps: {seen}"),
    }
}

/// zh-en on 600 pairs (540 for training): measured 2026-11-28 with seeds 7, 1 and 2, the
/// Transformer below got all 200 held-out phrases right after 600 steps, and the course example;
/// the floor leaves room for 10 misses.
const ZH_EN_HELD_OUT_FLOOR: usize = 190;

#[test]
fn zh_en_translates_the_course_example_and_phrases_it_never_saw() {
    let mut config = transformer_run(TaskKind::ZhEn);
    config.task.dataset_size = 600;
    config.train.learning_rate = 0.001;
    let (trainer, _) = common::train(config, 600);
    let course = pollster::block_on(trainer.translate("我有一支笔")).unwrap();
    assert_eq!(course.output_text, "i have a pen");
    let (held_out, wrong) = common::zh_en_held_out_misses(&trainer);
    let right = held_out - wrong.len();
    let course_trained = trainer
        .data()
        .train
        .iter()
        .any(|pair| pair.source_text == "我有一支笔");
    eprintln!(
        "Transformer zh-en held out: {right} of 200 right; the course example {} in training",
        if course_trained { "was" } else { "was not" }
    );
    assert!(
        right >= ZH_EN_HELD_OUT_FLOOR,
        "only {right} of {held_out} held-out phrases right (floor {ZH_EN_HELD_OUT_FLOOR}): {:?}",
        &wrong[..wrong.len().min(20)]
    );
}
