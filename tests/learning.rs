//! The model really learns: the course's claims, asserted on behaviour (never on time).

mod common;

use seq2seq_playground::data::TaskKind;
use seq2seq_playground::model::AttentionKind;
use seq2seq_playground::train::{RunConfig, Trainer};

#[test]
fn reverse_short_reaches_95_percent_exact_with_the_default_config() {
    let config = RunConfig::default(); // reverse, lengths 4-8, GRU + additive attention
    assert_eq!(config.task.kind, TaskKind::Reverse);
    // Validated every 100 steps, as the page does; the run must get there within the budget.
    let (budget, every) = (1600, 100);
    let mut trainer = Trainer::new(config, &common::cpu()).expect("the default config is valid");
    let mut seen = Vec::new();
    while trainer.step_count() < budget {
        for _ in 0..every {
            assert!(!pollster::block_on(trainer.step()).unwrap().diverged);
        }
        let eval = pollster::block_on(trainer.evaluate(usize::MAX)).unwrap();
        seen.push((eval.step, eval.exact_accuracy));
        if eval.exact_accuracy >= 0.95 {
            eprintln!("reverse 4-8: {eval:?}");
            return;
        }
    }
    panic!("exact-sequence accuracy stayed under 0.95 within {budget} steps: {seen:?}");
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
    let translation = pollster::block_on(trainer.translate("我有一支笔")).unwrap();
    assert_eq!(translation.output_text, "i have a pen");
    assert!(translation.finished);
    let attention = translation.attention.expect("additive attention");
    assert_eq!(attention.len(), 5, "four words and EOS");
    assert!(attention.iter().all(|row| row.len() == 5));
}
