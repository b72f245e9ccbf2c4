//! The parser for a person's own dataset: one `source<TAB>target` pair per line.
//!
//! It never panics: every problem becomes a [`DatasetError`] naming the line and the reason, and
//! the good lines are kept, so the caller can show the errors and train on the rest.

use serde::Serialize;
use thiserror::Error;

/// Limits on a pasted or uploaded dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DatasetLimits {
    /// Longest line, in characters.
    pub max_line_chars: usize,
    /// Most pairs kept.
    pub max_pairs: usize,
    /// Largest input, in bytes: a bigger file is refused before it is read.
    pub max_bytes: usize,
}

/// The default [`DatasetLimits::max_bytes`]: room for the most pairs at the longest lines
/// (20,000 x 200 characters of up to 4 bytes each), 16 MiB.
pub const MAX_INPUT_BYTES: usize = 16 << 20;

impl Default for DatasetLimits {
    fn default() -> Self {
        Self {
            max_line_chars: 200,
            max_pairs: 20_000,
            max_bytes: MAX_INPUT_BYTES,
        }
    }
}

/// Why a line (or the whole input) was refused. Line numbers count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DatasetError {
    /// The line has no tab between source and target.
    #[error("line {line}: no tab between source and target (expected `source<TAB>target`)")]
    MissingTab {
        /// Line number.
        line: usize,
    },
    /// The line has more than one tab.
    #[error("line {line}: more than one tab (expected exactly one, between source and target)")]
    ExtraTab {
        /// Line number.
        line: usize,
    },
    /// Nothing before the tab.
    #[error("line {line}: the source (before the tab) is empty")]
    EmptySource {
        /// Line number.
        line: usize,
    },
    /// Nothing after the tab.
    #[error("line {line}: the target (after the tab) is empty")]
    EmptyTarget {
        /// Line number.
        line: usize,
    },
    /// The line is longer than the limit.
    #[error("line {line}: {chars} characters, more than the limit of {limit}")]
    LineTooLong {
        /// Line number.
        line: usize,
        /// Characters on the line.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// The line is not valid UTF-8 text.
    #[error("line {line}: not UTF-8 text (is this a binary file?)")]
    NotUtf8 {
        /// Line number.
        line: usize,
    },
    /// More pairs than the limit: this line and the rest were not read.
    #[error("line {line}: more than {limit} pairs; this line and the ones after it were skipped")]
    TooManyPairs {
        /// First line not read.
        line: usize,
        /// The limit.
        limit: usize,
    },
    /// No usable pair at all.
    #[error("no usable `source<TAB>target` pair in the input")]
    NoPairs,
    /// The whole input is larger than the limit; nothing was read.
    #[error("the input is {}, more than the limit of {} ({} pairs of at most {} characters fit): nothing was read", megabytes(*bytes), megabytes(*limit), max_pairs, max_line_chars)]
    TooLarge {
        /// Size of the input.
        bytes: usize,
        /// The limit.
        limit: usize,
        /// Most pairs kept.
        max_pairs: usize,
        /// Longest line, in characters.
        max_line_chars: usize,
    },
}

/// `bytes` as "12.3 MiB".
fn megabytes(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

impl DatasetLimits {
    /// The refusal of an input of `bytes` bytes, before reading it, if it is too large.
    pub fn check_size(&self, bytes: usize) -> Result<(), DatasetError> {
        if bytes > self.max_bytes {
            Err(DatasetError::TooLarge {
                bytes,
                limit: self.max_bytes,
                max_pairs: self.max_pairs,
                max_line_chars: self.max_line_chars,
            })
        } else {
            Ok(())
        }
    }
}

impl DatasetError {
    /// The line the problem is on; `None` for a problem with the whole input.
    pub fn line(&self) -> Option<usize> {
        match *self {
            Self::MissingTab { line }
            | Self::ExtraTab { line }
            | Self::EmptySource { line }
            | Self::EmptyTarget { line }
            | Self::LineTooLong { line, .. }
            | Self::NotUtf8 { line }
            | Self::TooManyPairs { line, .. } => Some(line),
            Self::NoPairs | Self::TooLarge { .. } => None,
        }
    }
}

/// What the parser made of the input: the good pairs and one error per bad line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedDataset {
    /// Pairs from the good lines, in input order.
    pub pairs: Vec<(String, String)>,
    /// Problems, in input order.
    pub errors: Vec<DatasetError>,
}

/// Parses `source<TAB>target` lines. Blank lines (spaces only) are skipped; a trailing `\r` is
/// ignored.
pub fn parse_user_dataset(input: &[u8], limits: DatasetLimits) -> ParsedDataset {
    let mut parsed = ParsedDataset::default();
    if let Err(too_large) = limits.check_size(input.len()) {
        parsed.errors.push(too_large);
        return parsed;
    }
    for (index, raw) in input.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(text) = std::str::from_utf8(raw) else {
            parsed.errors.push(DatasetError::NotUtf8 { line });
            continue;
        };
        // Blank lines are skipped; a line of tabs is not blank (it is a malformed pair).
        if text.chars().all(|c| c.is_whitespace() && c != '\t') {
            continue;
        }
        if parsed.pairs.len() == limits.max_pairs {
            parsed.errors.push(DatasetError::TooManyPairs {
                line,
                limit: limits.max_pairs,
            });
            break;
        }
        match parse_line(text, line, limits) {
            Ok(pair) => parsed.pairs.push(pair),
            Err(error) => parsed.errors.push(error),
        }
    }
    if parsed.pairs.is_empty() {
        parsed.errors.push(DatasetError::NoPairs);
    }
    parsed
}

fn parse_line(
    text: &str,
    line: usize,
    limits: DatasetLimits,
) -> Result<(String, String), DatasetError> {
    let chars = text.chars().count();
    if chars > limits.max_line_chars {
        return Err(DatasetError::LineTooLong {
            line,
            chars,
            limit: limits.max_line_chars,
        });
    }
    let (source, target) = text
        .split_once('\t')
        .ok_or(DatasetError::MissingTab { line })?;
    if target.contains('\t') {
        return Err(DatasetError::ExtraTab { line });
    }
    let (source, target) = (source.trim(), target.trim());
    if source.is_empty() {
        return Err(DatasetError::EmptySource { line });
    }
    if target.is_empty() {
        return Err(DatasetError::EmptyTarget { line });
    }
    Ok((source.to_string(), target.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> ParsedDataset {
        parse_user_dataset(text, DatasetLimits::default())
    }

    #[test]
    fn good_lines_are_kept_and_bad_ones_named() {
        let input = "我有一支笔\ti have a pen\r\n\nno tab here\n\tempty source\nempty target\t\na\tb\tc\nok\tfine\n";
        let parsed = parse(input.as_bytes());
        assert_eq!(
            parsed.pairs,
            vec![
                ("我有一支笔".into(), "i have a pen".into()),
                ("ok".into(), "fine".into())
            ]
        );
        assert_eq!(
            parsed.errors,
            vec![
                DatasetError::MissingTab { line: 3 },
                DatasetError::EmptySource { line: 4 },
                DatasetError::EmptyTarget { line: 5 },
                DatasetError::ExtraTab { line: 6 },
            ]
        );
        assert_eq!(
            parsed.errors[0].to_string(),
            "line 3: no tab between source and target (expected `source<TAB>target`)"
        );
    }

    #[test]
    fn long_lines_binary_and_limits_are_reported() {
        let long = format!("{}\tx\n", "a".repeat(300));
        assert_eq!(
            parse(long.as_bytes()).errors[0],
            DatasetError::LineTooLong {
                line: 1,
                chars: 302,
                limit: 200
            }
        );
        let binary = [b'a', b'\t', 0xff, 0xfe, b'\n', b'x', b'\t', b'y'];
        let parsed = parse(&binary);
        assert_eq!(parsed.errors, vec![DatasetError::NotUtf8 { line: 1 }]);
        assert_eq!(parsed.pairs.len(), 1);
        let many = "a\tb\n".repeat(5);
        let parsed = parse_user_dataset(
            many.as_bytes(),
            DatasetLimits {
                max_pairs: 3,
                ..DatasetLimits::default()
            },
        );
        assert_eq!(parsed.pairs.len(), 3);
        assert_eq!(
            parsed.errors,
            vec![DatasetError::TooManyPairs { line: 4, limit: 3 }]
        );
    }

    #[test]
    fn an_input_over_the_byte_limit_is_refused_whole_with_the_limit_stated() {
        let limits = DatasetLimits {
            max_bytes: 100,
            ..DatasetLimits::default()
        };
        let fits = "ab\tba\n".repeat(16); // 96 bytes
        assert_eq!(parse_user_dataset(fits.as_bytes(), limits).pairs.len(), 16);
        let over = "ab\tba\n".repeat(17); // 102 bytes
        let parsed = parse_user_dataset(over.as_bytes(), limits);
        assert!(parsed.pairs.is_empty());
        assert_eq!(parsed.errors.len(), 1, "no 'no pairs' besides");
        let message = parsed.errors[0].to_string();
        assert!(
            message.contains("more than the limit of 0.0 MiB"),
            "{message}"
        );
        assert_eq!(parsed.errors[0].line(), None);
        let big = DatasetLimits::default().check_size(20 << 20).unwrap_err();
        assert!(
            big.to_string()
                .starts_with("the input is 20.0 MiB, more than the limit of 16.0 MiB (20000 pairs of at most 200 characters fit)"),
            "{big}"
        );
        assert!(DatasetLimits::default().check_size(MAX_INPUT_BYTES).is_ok());
    }

    #[test]
    fn nothing_usable_says_so() {
        assert_eq!(parse(b"").errors, vec![DatasetError::NoPairs]);
        assert_eq!(
            parse(b"\t\t\t\n").errors,
            vec![DatasetError::ExtraTab { line: 1 }, DatasetError::NoPairs]
        );
    }
}
