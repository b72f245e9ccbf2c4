//! BLEU and chrF against the numbers sacreBLEU 2.6.0 gives for the same corpora
//! (`sacrebleu.corpus_bleu(outputs, [references])`, `tokenize='char'` for the Chinese one, and
//! `sacrebleu.corpus_chrf(outputs, [references])`), fixed here as expected values.

use seq2seq_playground::train::bleu::{BleuTokenizer, corpus_bleu};
use seq2seq_playground::train::chrf::corpus_chrf;

/// A corpus and what sacreBLEU said of it: (name, outputs, references, BLEU, chrF).
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    f64,
    f64,
);

const CASES: [Case; 5] = [
    (
        "sacreBLEU's README example (first reference stream)",
        &[
            "The dog bit the man.",
            "It wasn't surprising.",
            "The man had just bitten him.",
        ],
        &[
            "The dog bit the man.",
            "It was not unexpected.",
            "The man bit him first.",
        ],
        45.06750632106114,
        50.043063606582294,
    ),
    (
        "a missing 4-gram match (exp smoothing)",
        &["the cat sat on a mat today", "a b c d"],
        &["the cat sat on the mat", "a b x d e"],
        36.86541980185497,
        57.25888025901824,
    ),
    (
        "too short for 3-grams (BLEU 0), brevity",
        &["the cat"],
        &["the cat sat on the mat"],
        0.0,
        27.25331540542631,
    ),
    ("an empty output", &[""], &["the cat"], 0.0, 0.0),
    (
        "dates (digits and dashes)",
        &["2026-11-28", "1999-01-02"],
        &["2026-11-28", "1999-02-01"],
        68.38911999336905,
        80.00661375661376,
    ),
];

#[test]
fn bleu_and_chrf_match_sacrebleu() {
    for (name, outputs, references, bleu, chrf) in CASES {
        let ours = corpus_bleu(outputs, references, BleuTokenizer::Mteval13a);
        assert!(
            (ours - bleu).abs() < 1e-9,
            "{name}: BLEU {ours} vs sacreBLEU {bleu}"
        );
        let ours = corpus_chrf(outputs, references);
        assert!(
            (ours - chrf).abs() < 1e-9,
            "{name}: chrF {ours} vs sacreBLEU {chrf}"
        );
    }
}

#[test]
fn chinese_targets_are_scored_by_character() {
    let outputs = ["我有一支笔", "他喜欢猫"];
    let references = ["我有一本书", "他喜欢一只猫"];
    let bleu = corpus_bleu(&outputs, &references, BleuTokenizer::Char);
    assert!((bleu - 33.22168613223072).abs() < 1e-9, "BLEU {bleu}");
    let chrf = corpus_chrf(&outputs, &references);
    assert!((chrf - 28.581014056703346).abs() < 1e-9, "chrF {chrf}");
}
