//! The model really learns: the course's claims, asserted on behaviour (never on time).

mod common;

use seq2seq_playground::data::TaskKind;
use seq2seq_playground::model::AttentionKind;
use seq2seq_playground::train::RunConfig;

#[test]
fn reverse_short_reaches_95_percent_exact_with_the_default_config() {
    let config = RunConfig::default(); // reverse, lengths 4-8, GRU + additive attention
    assert_eq!(config.task.kind, TaskKind::Reverse);
    let (_, eval) = common::train(config, 1600);
    eprintln!("reverse 4-8: {eval:?}");
    assert!(
        eval.exact_accuracy >= 0.95,
        "exact-sequence accuracy {:.3} < 0.95",
        eval.exact_accuracy
    );
}

#[test]
fn attention_beats_the_fixed_context_vector_on_long_inputs() {
    let long = |attention| {
        let mut config = RunConfig::default();
        config.task.min_len = 16;
        config.task.max_len = 24;
        config.task.dataset_size = 3000;
        config.model.attention = attention;
        config
    };
    let steps = 400;
    let (_, with_attention) = common::train(long(AttentionKind::Additive), steps);
    let (_, without) = common::train(long(AttentionKind::None), steps);
    eprintln!("reverse 16-24 after {steps} steps: additive {with_attention:?}, none {without:?}");
    assert!(
        with_attention.exact_accuracy >= without.exact_accuracy + 0.3,
        "attention {:.3} vs none {:.3}",
        with_attention.exact_accuracy,
        without.exact_accuracy
    );
    assert!(with_attention.token_accuracy > without.token_accuracy);
}

#[test]
fn zh_en_translates_the_course_example() {
    let mut config = RunConfig::default();
    config.task.kind = TaskKind::ZhEn;
    config.task.dataset_size = 600;
    let (trainer, _) = common::train(config, 300);
    let translation = pollster::block_on(trainer.translate("我有一支笔"));
    assert_eq!(translation.output_text, "i have a pen");
    assert!(translation.finished);
    let attention = translation.attention.expect("additive attention");
    assert_eq!(attention.len(), 5, "four words and EOS");
    assert!(attention.iter().all(|row| row.len() == 5));
}
