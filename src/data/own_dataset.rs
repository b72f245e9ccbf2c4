//! A person's own dataset, checked and ready to train on: the good pairs of a pasted or uploaded
//! text, how each side is cut into tokens, and a report of what was refused.

use super::TaskData;
use super::tokenize::Tokenizer;
use super::user_dataset::{DatasetLimits, parse_user_dataset};
use super::vocab::MAX_TOKENS;
use serde::{Deserialize, Serialize};

/// Fewest good pairs a run needs: one to train on and one to validate on.
pub const MIN_PAIRS: usize = 2;

/// Most refused lines listed one by one in a report (the rest are counted).
pub const MAX_LISTED_ERRORS: usize = 50;

/// The good pairs of a person's text, with the tokenisers chosen for each side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnDataset {
    /// Good `(source, target)` pairs, in input order.
    pub pairs: Vec<(String, String)>,
    /// How sources are cut into tokens.
    pub source_tokenizer: Tokenizer,
    /// How targets are cut into tokens.
    pub target_tokenizer: Tokenizer,
}

/// One refused line, as the page lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefusedLine {
    /// Line number (from 1), absent for a problem with the whole input.
    pub line: Option<usize>,
    /// Why, in words.
    pub reason: String,
}

/// What the page shows before the person confirms training on their data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetReport {
    /// Good pairs found.
    pub good_pairs: usize,
    /// Whether there are enough good pairs to train.
    pub usable: bool,
    /// The first refused lines, in input order.
    pub refused: Vec<RefusedLine>,
    /// All refused lines, listed or not.
    pub refused_count: usize,
    /// `"characters"` or `"words"`.
    pub source_tokens: &'static str,
    /// `"characters"` or `"words"`.
    pub target_tokens: &'static str,
    /// The first few good pairs.
    pub examples: Vec<(String, String)>,
    /// The limits the parser applied.
    pub limits: DatasetLimits,
    /// Fewest good pairs a run needs.
    pub min_pairs: usize,
    /// Distinct tokens on each side of the good pairs, `[source, target]`.
    pub distinct_tokens: [usize; 2],
    /// Most tokens a vocabulary keeps (the most frequent; the rest are read as `<unk>`).
    pub max_vocab_tokens: usize,
    /// In words, when a side has more distinct tokens than a vocabulary keeps.
    pub vocabulary_note: Option<String>,
}

/// Distinct tokens of one side of `pairs`.
fn distinct_tokens<'a>(texts: impl Iterator<Item = &'a str>, tokenizer: Tokenizer) -> usize {
    let mut seen = std::collections::HashSet::new();
    for text in texts {
        seen.extend(tokenizer.tokenize(text));
    }
    seen.len()
}

/// What a person should know when a side's vocabulary is capped.
fn vocabulary_note(distinct: [usize; 2], max: usize) -> Option<String> {
    let sides: Vec<String> = ["source", "target"]
        .iter()
        .zip(distinct)
        .filter(|&(_, n)| n > max)
        .map(|(side, n)| format!("the {side} side has {n} distinct tokens"))
        .collect();
    (!sides.is_empty()).then(|| {
        format!(
            "{}: only the {max} most frequent of each side are kept, the rest are read as <unk>",
            sides.join(" and ")
        )
    })
}

/// Words when most texts of a side have a space in them (English), else characters (Chinese,
/// symbol strings).
pub fn guess_tokenizer<'a>(texts: impl Iterator<Item = &'a str>) -> Tokenizer {
    let (mut spaced, mut all) = (0usize, 0usize);
    for text in texts {
        all += 1;
        spaced += usize::from(text.trim().contains(char::is_whitespace));
    }
    if spaced * 2 > all {
        Tokenizer::Words
    } else {
        Tokenizer::Chars
    }
}

fn describe(tokenizer: Tokenizer) -> &'static str {
    match tokenizer {
        Tokenizer::Chars => "characters",
        Tokenizer::Words => "words",
    }
}

impl OwnDataset {
    /// Parses `input` (bytes, as pasted or uploaded) and reports on it; the dataset is `None`
    /// when too few pairs are good.
    pub fn check(input: &[u8], limits: DatasetLimits) -> (Option<Self>, DatasetReport) {
        let parsed = parse_user_dataset(input, limits);
        let source_tokenizer = guess_tokenizer(parsed.pairs.iter().map(|(s, _)| s.as_str()));
        let target_tokenizer = guess_tokenizer(parsed.pairs.iter().map(|(_, t)| t.as_str()));
        let usable = parsed.pairs.len() >= MIN_PAIRS;
        let distinct = [
            distinct_tokens(
                parsed.pairs.iter().map(|(s, _)| s.as_str()),
                source_tokenizer,
            ),
            distinct_tokens(
                parsed.pairs.iter().map(|(_, t)| t.as_str()),
                target_tokenizer,
            ),
        ];
        let mut refused: Vec<RefusedLine> = parsed
            .errors
            .iter()
            .take(MAX_LISTED_ERRORS)
            .map(|error| RefusedLine {
                line: error.line(),
                reason: error.to_string(),
            })
            .collect();
        if !usable && !parsed.pairs.is_empty() {
            refused.push(RefusedLine {
                line: None,
                reason: format!(
                    "only {} good pair(s): a run needs at least {MIN_PAIRS}",
                    parsed.pairs.len()
                ),
            });
        }
        let report = DatasetReport {
            good_pairs: parsed.pairs.len(),
            usable,
            refused_count: parsed.errors.len(),
            refused,
            source_tokens: describe(source_tokenizer),
            target_tokens: describe(target_tokenizer),
            examples: parsed.pairs.iter().take(3).cloned().collect(),
            limits,
            min_pairs: MIN_PAIRS,
            distinct_tokens: distinct,
            max_vocab_tokens: MAX_TOKENS,
            vocabulary_note: vocabulary_note(distinct, MAX_TOKENS),
        };
        let dataset = usable.then_some(Self {
            pairs: parsed.pairs,
            source_tokenizer,
            target_tokenizer,
        });
        (dataset, report)
    }

    /// Tokenised and split: the last `valid_fraction` of the pairs is validation.
    pub fn task_data(&self, valid_fraction: f64) -> TaskData {
        TaskData::from_pairs(
            &self.pairs,
            self.source_tokenizer,
            self.target_tokenizer,
            valid_fraction,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::vocab::UNK;
    use super::*;

    #[test]
    fn good_lines_train_and_bad_ones_are_reported_by_number() {
        let text =
            "我有一支笔\ti have a pen\nno tab here\n他有一本书\the has a book\n\t\n你好\thello\n";
        let (dataset, report) = OwnDataset::check(text.as_bytes(), DatasetLimits::default());
        let dataset = dataset.expect("three good pairs");
        assert_eq!(report.good_pairs, 3);
        assert_eq!(report.refused_count, 2);
        assert_eq!(report.refused[0].line, Some(2));
        assert_eq!(report.refused[1].line, Some(4));
        assert!(report.refused[0].reason.contains("no tab"));
        assert_eq!(
            (report.source_tokens, report.target_tokens),
            ("characters", "words")
        );
        let data = dataset.task_data(0.34);
        assert_eq!(data.train.len() + data.valid.len(), 3);
        assert_eq!(data.train[0].source.len(), 5, "one token per character");
    }

    #[test]
    fn garbage_gives_reasons_and_no_dataset() {
        for garbage in [
            &[0xff, 0xfe, 0x00, 0x01][..],
            b"\t\t\t\n\t\n",
            b"",
            &[b'x'; 100_000][..],
        ] {
            let (dataset, report) = OwnDataset::check(garbage, DatasetLimits::default());
            assert!(dataset.is_none());
            assert!(!report.usable);
            assert!(!report.refused.is_empty(), "{report:?}");
        }
        let one = OwnDataset::check(b"a\tb", DatasetLimits::default()).1;
        assert!(
            one.refused.iter().any(|r| r.reason.contains("at least 2")),
            "{one:?}"
        );
    }

    #[test]
    fn more_distinct_tokens_than_a_vocabulary_keeps_are_reported_and_read_as_unk() {
        // Word-level sides: "w0 z" .. "w4099 z" -> "y x0" .. "y x2".
        let text: String = (0..MAX_TOKENS + 100)
            .map(|i| format!("w{i} z\ty x{}\n", i % 3))
            .collect();
        let (dataset, report) = OwnDataset::check(text.as_bytes(), DatasetLimits::default());
        assert_eq!(report.distinct_tokens, [MAX_TOKENS + 101, 4]);
        assert_eq!(
            report.vocabulary_note.as_deref(),
            Some(
                "the source side has 4101 distinct tokens: only the 4000 most frequent of each side are kept, the rest are read as <unk>"
            )
        );
        let data = dataset.unwrap().task_data(0.01);
        let source = &data.vocabularies.source;
        assert_eq!(source.len(), 4 + MAX_TOKENS);
        assert!(source.contains("z"), "the most frequent token is kept");
        assert_eq!(data.vocabularies.target.len(), 4 + 4);
        let unknown = data.train.iter().filter(|p| p.source[0] == UNK).count();
        assert_eq!(
            unknown,
            data.train.len() - (MAX_TOKENS - 1),
            "the rest read as <unk>"
        );
        let small = OwnDataset::check(b"a\tb\nc\td\n", DatasetLimits::default()).1;
        assert_eq!(small.vocabulary_note, None);
    }

    #[test]
    fn a_huge_input_lists_a_bounded_number_of_errors() {
        let lines = "no tab\n".repeat(10_000);
        let report = OwnDataset::check(lines.as_bytes(), DatasetLimits::default()).1;
        assert_eq!(report.refused_count, 10_001, "every line and 'no pairs'");
        assert_eq!(report.refused.len(), MAX_LISTED_ERRORS);
    }
}
