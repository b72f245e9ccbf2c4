//! Corpus BLEU as sacreBLEU computes it by default (`sacrebleu.corpus_bleu`): n-grams up to 4,
//! clipped counts summed over the corpus, the geometric mean of the four precisions with
//! sacreBLEU's `exp` smoothing of zero counts, the exponential brevity penalty, one reference
//! per output, tokenisation `13a` (mteval-v13a's rules) or, for targets written without spaces
//! (Chinese), character by character (`char`).

use std::collections::HashMap;

/// Largest n-gram order.
pub const MAX_ORDER: usize = 4;

/// How text is cut into tokens before counting n-grams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BleuTokenizer {
    /// mteval-v13a, sacreBLEU's default: punctuation split off, except `.` and `,` inside
    /// numbers.
    Mteval13a,
    /// Every character a token (sacreBLEU's `char`), for languages written without spaces.
    Char,
}

impl BleuTokenizer {
    /// The tokens of `line`.
    pub fn tokenize(self, line: &str) -> Vec<String> {
        match self {
            Self::Mteval13a => tokenize_13a(line),
            Self::Char => line
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(String::from)
                .collect(),
        }
    }
}

/// Characters mteval-v13a surrounds with spaces: `{|}~ [\]^_` space !"#$%& ()*+ :;<=>?@ /`.
fn split_off(c: char) -> bool {
    matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

/// sacreBLEU's `13a` tokeniser, rule for rule.
pub fn tokenize_13a(line: &str) -> Vec<String> {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    let chars: Vec<char> = format!(" {line} ").chars().collect();
    // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
    let mut spaced = Vec::with_capacity(chars.len() * 2);
    for c in chars {
        if split_off(c) {
            spaced.extend([' ', c, ' ']);
        } else {
            spaced.push(c);
        }
    }
    let digit = |c: char| c.is_ascii_digit();
    let period_or_comma = |c: char| c == '.' || c == ',';
    // ([^0-9])([\.,]) -> "\1 \2 "
    let spaced = pairwise(
        &spaced,
        |a, b| !digit(a) && period_or_comma(b),
        |a, b| vec![a, ' ', b, ' '],
    );
    // ([\.,])([^0-9]) -> " \1 \2"
    let spaced = pairwise(
        &spaced,
        |a, b| period_or_comma(a) && !digit(b),
        |a, b| vec![' ', a, ' ', b],
    );
    // ([0-9])(-) -> "\1 \2 "
    let spaced = pairwise(
        &spaced,
        |a, b| digit(a) && b == '-',
        |a, b| vec![a, ' ', b, ' '],
    );
    spaced
        .iter()
        .collect::<String>()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// A regex substitution of a two-character pattern, as Python's `re.sub` applies it: matches
/// scanned left to right, never overlapping.
fn pairwise(
    chars: &[char],
    matches: impl Fn(char, char) -> bool,
    replace: impl Fn(char, char) -> Vec<char>,
) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() + chars.len() / 2);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && matches(chars[i], chars[i + 1]) {
            out.extend(replace(chars[i], chars[i + 1]));
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// n-gram counts of orders 1 to [`MAX_ORDER`].
fn ngram_counts(tokens: &[String]) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    for n in 1..=MAX_ORDER {
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
    counts
}

/// The sufficient statistics of a corpus: matches and totals per order, lengths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BleuStats {
    /// Clipped n-gram matches per order.
    pub matches: [usize; MAX_ORDER],
    /// Output n-grams per order.
    pub totals: [usize; MAX_ORDER],
    /// Output tokens.
    pub output_len: usize,
    /// Reference tokens.
    pub reference_len: usize,
}

impl BleuStats {
    /// Adds one output and its reference.
    pub fn add(&mut self, output: &str, reference: &str, tokenizer: BleuTokenizer) {
        let (output, reference) = (tokenizer.tokenize(output), tokenizer.tokenize(reference));
        self.output_len += output.len();
        self.reference_len += reference.len();
        let reference_counts = ngram_counts(&reference);
        for (gram, count) in ngram_counts(&output) {
            let n = gram.len() - 1;
            self.totals[n] += count;
            self.matches[n] += count.min(reference_counts.get(gram).copied().unwrap_or(0));
        }
    }

    /// BLEU in `[0, 100]`.
    pub fn score(&self) -> f64 {
        if self.output_len == 0 {
            return 0.0;
        }
        let mut smooth = 1.0;
        let mut log_sum = 0.0;
        for n in 0..MAX_ORDER {
            if self.totals[n] == 0 {
                return 0.0; // no n-grams of this order at all: sacreBLEU's log(0), a score of 0
            }
            let precision = if self.matches[n] == 0 {
                smooth *= 2.0;
                1.0 / (smooth * self.totals[n] as f64)
            } else {
                self.matches[n] as f64 / self.totals[n] as f64
            };
            log_sum += precision.ln();
        }
        let brevity = if self.output_len < self.reference_len {
            (1.0 - self.reference_len as f64 / self.output_len as f64).exp()
        } else {
            1.0
        };
        100.0 * brevity * (log_sum / MAX_ORDER as f64).exp()
    }
}

/// Corpus BLEU of `outputs` against `references` (one each).
pub fn corpus_bleu(outputs: &[&str], references: &[&str], tokenizer: BleuTokenizer) -> f64 {
    let mut stats = BleuStats::default();
    for (output, reference) in outputs.iter().zip(references) {
        stats.add(output, reference, tokenizer);
    }
    stats.score()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_13a_tokeniser_splits_punctuation_but_not_numbers() {
        assert_eq!(
            tokenize_13a("Hello, world! It costs $3.50, (or 4,000) - ok?"),
            [
                "Hello", ",", "world", "!", "It", "costs", "$", "3.50", ",", "(", "or", "4,000",
                ")", "-", "ok", "?"
            ]
        );
        assert_eq!(
            tokenize_13a("2026-11-28 a.b"),
            ["2026", "-", "11", "-", "28", "a", ".", "b"]
        );
        assert_eq!(tokenize_13a("&quot;x&quot;"), ["\"", "x", "\""]);
    }
}
