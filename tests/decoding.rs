//! Decoding strategies on a trained model: beam search of width 1 is greedy decoding, a wider
//! beam never ends with a worse best hypothesis here, the scores it reports are the model's own
//! log-probabilities, a batch decodes as its rows do alone, and sampling with a seed repeats.

mod common;

use burn::module::Module;
use burn::tensor::activation::log_softmax;
use seq2seq_playground::data::vocab::EOS;
use seq2seq_playground::data::{Batch, EncodedPair};
use seq2seq_playground::train::search::beam_search;
use seq2seq_playground::train::tensors::BatchTensors;
use seq2seq_playground::train::{RunConfig, Strategy, Trainer};
use std::sync::OnceLock;

/// A reverse model trained part of the way (so its choices are not all certain).
fn trained() -> &'static Trainer {
    static TRAINER: OnceLock<Trainer> = OnceLock::new();
    TRAINER.get_or_init(|| {
        let mut config = RunConfig::default();
        config.task.dataset_size = 400;
        common::train(config, 120).0
    })
}

fn inputs() -> Vec<String> {
    trained()
        .data()
        .valid
        .iter()
        .take(16)
        .map(|p| p.source_text.clone())
        .collect()
}

fn decode(text: &str, strategy: Strategy) -> seq2seq_playground::train::Translation {
    pollster::block_on(trained().decode(text, strategy)).unwrap()
}

#[test]
fn a_beam_of_one_is_greedy_decoding() {
    for text in inputs() {
        let greedy = decode(&text, Strategy::Greedy);
        let beam = decode(
            &text,
            Strategy::Beam {
                width: 1,
                alpha: 0.0,
            },
        );
        assert_eq!(beam.output_tokens, greedy.output_tokens, "{text}");
        assert_eq!(beam.finished, greedy.finished, "{text}");
        assert_eq!(
            beam.attention, greedy.attention,
            "{text}: the same attention rows"
        );
    }
}

#[test]
fn a_wider_beam_never_ends_with_a_worse_best_hypothesis_here() {
    // Not a theorem of beam search (a wider beam can prune the path a narrower one keeps), but
    // what this model does on these inputs, without length normalisation.
    for text in inputs() {
        let mut last = f64::NEG_INFINITY;
        for width in [1, 2, 4, 8] {
            let best = decode(&text, Strategy::Beam { width, alpha: 0.0 }).nbest[0].log_prob;
            assert!(
                best >= last - 1e-4,
                "{text}: width {width} found {best}, narrower {last}"
            );
            last = best;
        }
    }
}

/// The model's log-probability of `tokens` (then EOS when `finished`) for `text`.
fn log_prob_of(text: &str, tokens: &[String], finished: bool) -> f64 {
    let trainer = trained();
    let vocab = &trainer.data().vocabularies;
    let ids: Vec<usize> = tokens.iter().map(|t| vocab.target.id(t)).collect();
    let pair = EncodedPair {
        source_text: text.into(),
        target_text: String::new(),
        source: vocab.encode_source(text).1,
        target: ids.clone(),
    };
    let batch = Batch::from_pairs(&[&pair]);
    let device = trainer.inference_device();
    let tensors = BatchTensors::new(&batch, &device);
    let logits = trainer
        .model()
        .valid()
        .forward(tensors.source, tensors.source_mask, tensors.target_input)
        .logits;
    let log_probs: Vec<f32> = log_softmax(logits, 2).into_data().iter::<f32>().collect();
    let vocab_size = vocab.target.len();
    let wanted: Vec<usize> = ids.iter().copied().chain(finished.then_some(EOS)).collect();
    wanted
        .iter()
        .enumerate()
        .map(|(t, &id)| f64::from(log_probs[t * vocab_size + id]))
        .sum()
}

#[test]
fn the_beam_reports_the_model_s_own_log_probabilities() {
    for text in inputs().iter().take(6) {
        let beam = decode(
            text,
            Strategy::Beam {
                width: 4,
                alpha: 0.0,
            },
        );
        assert!(beam.nbest.len() >= 2);
        for candidate in &beam.nbest {
            let recomputed = log_prob_of(text, &candidate.tokens, candidate.finished);
            assert!(
                (candidate.log_prob - recomputed).abs() < 1e-3,
                "{text} -> {}: beam says {}, the model {recomputed}",
                candidate.text,
                candidate.log_prob
            );
        }
        // Each hypothesis has its own attention: one row per output step (and <eos>).
        assert_eq!(beam.nbest[0].attention, beam.attention);
        for candidate in &beam.nbest {
            let rows = candidate.attention.as_ref().expect("additive attention");
            assert_eq!(
                rows.len(),
                candidate.tokens.len() + usize::from(candidate.finished)
            );
        }
        let second = beam.clone().showing(1);
        assert_eq!(second.output_text, beam.nbest[1].text);
        assert_eq!(second.attention, beam.nbest[1].attention);
        let scores: Vec<f64> = beam.nbest.iter().map(|c| c.score).collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "best first: {scores:?}"
        );
        let tree = beam.beam.expect("the tree");
        assert!(tree.steps.iter().all(|nodes| nodes.len() == 4));
        assert!(tree.steps.last().unwrap().iter().any(|n| n.survives));
    }
}

#[test]
fn a_batch_is_searched_as_its_rows_are_alone() {
    let trainer = trained();
    let pairs: Vec<&EncodedPair> = trainer.data().valid.iter().take(3).collect();
    let device = trainer.inference_device();
    let model = trainer.model().valid();
    let search = |pairs: &[&EncodedPair]| {
        let batch = Batch::from_pairs(pairs);
        let tensors = BatchTensors::new(&batch, &device);
        pollster::block_on(beam_search(
            &model,
            tensors.source,
            tensors.source_mask,
            3,
            0.0,
            14,
        ))
        .unwrap()
    };
    let together = search(&pairs);
    for (i, pair) in pairs.iter().enumerate() {
        let alone = search(&[pair]).remove(0);
        let tokens = |r: &seq2seq_playground::train::search::BeamResult| -> Vec<Vec<usize>> {
            r.nbest.iter().map(|h| h.tokens.clone()).collect()
        };
        assert_eq!(tokens(&together[i]), tokens(&alone), "row {i}");
        for (a, b) in together[i].nbest.iter().zip(&alone.nbest) {
            assert!((a.log_prob - b.log_prob).abs() < 1e-4);
        }
    }
}

#[test]
fn sampling_with_a_seed_repeats_and_temperature_matters() {
    let text = &inputs()[0];
    let draw = |seed, temperature| {
        decode(
            text,
            Strategy::Sample {
                temperature,
                top_k: 0,
                seed,
            },
        )
        .output_tokens
    };
    assert_eq!(draw(3, 1.5), draw(3, 1.5), "same seed, same draws");
    let hot: std::collections::HashSet<Vec<String>> = (0..12).map(|s| draw(s, 3.0)).collect();
    assert!(hot.len() > 1, "a hot temperature varies the output");
    // Nearly zero temperature is greedy; top-1 is greedy at any temperature.
    let greedy = decode(text, Strategy::Greedy).output_tokens;
    assert_eq!(draw(5, 0.001), greedy);
    let top1 = decode(
        text,
        Strategy::Sample {
            temperature: 5.0,
            top_k: 1,
            seed: 9,
        },
    );
    assert_eq!(top1.output_tokens, greedy);
}

#[test]
fn the_error_browser_lists_what_validation_counts() {
    let trainer = trained();
    let examples = pollster::block_on(trainer.validation_examples(usize::MAX)).unwrap();
    let eval = pollster::block_on(trainer.evaluate(usize::MAX)).unwrap();
    assert_eq!(examples.len(), eval.examples);
    let exact = examples.iter().filter(|e| e.exact).count();
    assert_eq!(exact as f32 / examples.len() as f32, eval.exact_accuracy);
    for (i, example) in examples.iter().enumerate() {
        assert_eq!(example.index, i);
        assert_eq!(example.source, trainer.data().valid[i].source_text);
        // Exactly right means the same text and a perfect chrF.
        if example.exact {
            assert_eq!(example.output, example.reference);
            assert!((example.chrf - 100.0).abs() < 1e-3, "{example:?}");
        }
    }
    assert!(
        examples.iter().any(|e| !e.exact),
        "a half-trained model gets some wrong"
    );
}

#[test]
fn validation_by_a_beam_of_one_is_greedy_validation() {
    let trainer = trained();
    let greedy = pollster::block_on(trainer.evaluate(usize::MAX)).unwrap();
    let beam_one = pollster::block_on(trainer.evaluate_with(
        usize::MAX,
        Strategy::Beam {
            width: 1,
            alpha: 0.0,
        },
    ))
    .unwrap();
    assert_eq!(beam_one, greedy);
    let beam = pollster::block_on(trainer.evaluate_with(
        usize::MAX,
        Strategy::Beam {
            width: 4,
            alpha: 0.6,
        },
    ))
    .unwrap();
    assert_eq!(
        beam.loss, greedy.loss,
        "the loss is teacher forced either way"
    );
    assert!((0.0..=1.0).contains(&beam.exact_accuracy) && (0.0..=100.0).contains(&beam.bleu));
    eprintln!(
        "validation exact accuracy: greedy {:.3}, beam 4 {:.3}; BLEU {:.1} vs {:.1}",
        greedy.exact_accuracy, beam.exact_accuracy, greedy.bleu, beam.bleu
    );
}

#[test]
fn an_output_length_limit_is_kept_by_every_strategy() {
    let text = "abcdefgh";
    for strategy in [
        Strategy::Greedy,
        Strategy::Beam {
            width: 3,
            alpha: 0.6,
        },
        Strategy::Sample {
            temperature: 1.0,
            top_k: 0,
            seed: 1,
        },
    ] {
        let short = pollster::block_on(trained().decode_at_most(text, strategy, Some(2))).unwrap();
        assert!(
            short.output_tokens.len() <= 2,
            "{strategy:?}: {:?}",
            short.output_tokens
        );
        if short.output_tokens.len() == 2 {
            assert!(!short.finished, "no room for <eos> after two tokens");
        }
    }
}
