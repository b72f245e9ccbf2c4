//! Corpus chrF as sacreBLEU computes it by default (`sacrebleu.corpus_chrf`): character n-grams
//! of orders 1 to 6 with whitespace removed, hypothesis/reference/match counts summed over the
//! corpus, precision and recall averaged over the orders that occur, F-beta with beta 2.

use std::collections::HashMap;

/// Largest character n-gram order.
pub const CHAR_ORDER: usize = 6;
/// Recall weighs beta² times as much as precision.
pub const BETA: f64 = 2.0;

/// The sufficient statistics of a corpus: per order, output n-grams, reference n-grams, matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChrfStats {
    /// `[output, reference, matched]` n-gram counts per order.
    pub counts: [[usize; 3]; CHAR_ORDER],
}

/// How often each n-gram of `chars` occurs.
fn ngrams(chars: &[char], n: usize) -> HashMap<&[char], usize> {
    let mut counts = HashMap::new();
    for gram in chars.windows(n) {
        *counts.entry(gram).or_insert(0) += 1;
    }
    counts
}

impl ChrfStats {
    /// Adds one output and its reference.
    pub fn add(&mut self, output: &str, reference: &str) {
        let squeeze = |s: &str| -> Vec<char> { s.chars().filter(|c| !c.is_whitespace()).collect() };
        let (output, reference) = (squeeze(output), squeeze(reference));
        for n in 1..=CHAR_ORDER {
            let (out, reference_counts) = (ngrams(&output, n), ngrams(&reference, n));
            let matched: usize = out
                .iter()
                .map(|(gram, &c)| c.min(reference_counts.get(gram).copied().unwrap_or(0)))
                .sum();
            let row = &mut self.counts[n - 1];
            row[0] += output.len().saturating_sub(n - 1);
            row[1] += reference.len().saturating_sub(n - 1);
            row[2] += matched;
        }
    }

    /// chrF in `[0, 100]`.
    pub fn score(&self) -> f64 {
        let (mut precision, mut recall, mut orders) = (0.0, 0.0, 0usize);
        for &[output, reference, matched] in &self.counts {
            if output > 0 && reference > 0 {
                precision += matched as f64 / output as f64;
                recall += matched as f64 / reference as f64;
                orders += 1;
            }
        }
        if orders == 0 {
            return 0.0;
        }
        let (precision, recall) = (precision / orders as f64, recall / orders as f64);
        let factor = BETA * BETA;
        if precision + recall == 0.0 {
            return 0.0;
        }
        100.0 * (1.0 + factor) * precision * recall / (factor * precision + recall)
    }
}

/// Corpus chrF of `outputs` against `references` (one each).
pub fn corpus_chrf(outputs: &[&str], references: &[&str]) -> f64 {
    let mut stats = ChrfStats::default();
    for (output, reference) in outputs.iter().zip(references) {
        stats.add(output, reference);
    }
    stats.score()
}
