//! Built-in tasks, each generated deterministically from a seed.

mod addition;
mod dates;
mod symbols;
mod zh_en;

pub use dates::{DateFormat, format_date};
pub use zh_en::{COURSE_EXAMPLE, zh_en_pairs};

use super::Tokenizer;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

menu_enum! {
    case = "kebab-case";
    /// Which built-in task to learn.
    pub enum TaskKind {
        /// Output the input unchanged.
        #[strum(message = "copy")]
        Copy,
        /// Output the input backwards: the classic task where attention shines.
        #[strum(message = "reverse")]
        #[default]
        Reverse,
        /// Output the input's symbols in sorted order.
        #[strum(message = "sort")]
        Sort,
        /// Two numbers -> their sum ("347+86" -> "433"): carries link digits far apart.
        #[strum(message = "addition", detailed_message = "length: digits of each number")]
        Addition,
        /// Human date formats -> ISO dates ("25 Nov 2026" -> "2026-11-25").
        #[strum(message = "dates → ISO", detailed_message = "its pairs have lengths of their own")]
        Dates,
        /// A tiny Chinese -> English phrase corpus (我有一支笔 -> "i have a pen").
        #[strum(message = "Chinese → English", detailed_message = "its pairs have lengths of their own")]
        ZhEn,
    }
}

impl TaskKind {
    /// The task settings it does not read: `dates` and `zh-en` make pairs of their own lengths.
    pub fn unused_settings(self) -> &'static [&'static str] {
        match self {
            Self::Dates | Self::ZhEn => &["task.min_len", "task.max_len"],
            _ => &[],
        }
    }

    /// How the source and target sides are tokenised.
    pub const fn tokenizers(self) -> (Tokenizer, Tokenizer) {
        match self {
            Self::ZhEn => (Tokenizer::Chars, Tokenizer::Words),
            _ => (Tokenizer::Chars, Tokenizer::Chars),
        }
    }
}

/// What to generate: task, sequence lengths (symbol tasks), size and seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskConfig {
    /// Which task.
    pub kind: TaskKind,
    /// Shortest source sequence of the symbol tasks (`addition`: fewest digits of a number).
    pub min_len: usize,
    /// Longest source sequence of the symbol tasks (`addition`: most digits of a number).
    pub max_len: usize,
    /// Number of pairs generated (train + validation). `zh-en` has at most its template count.
    pub dataset_size: usize,
    /// Share of the pairs kept apart for validation.
    pub valid_fraction: f64,
    /// Seed of the generator.
    pub seed: u64,
}

impl Default for TaskConfig {
    fn default() -> Self {
        Self {
            kind: TaskKind::Reverse,
            min_len: 4,
            max_len: 8,
            dataset_size: 2000,
            valid_fraction: 0.1,
            seed: 42,
        }
    }
}

/// Symbols of the copy / reverse / sort tasks.
pub const SYMBOLS: &[char] = &['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'];

impl TaskConfig {
    /// The lengths the symbol tasks draw from (`addition`: digits of a number): `min_len..=
    /// max_len`, at least 1, and never empty.
    pub fn lengths(&self) -> std::ops::RangeInclusive<usize> {
        let min = self.min_len.max(1);
        min..=self.max_len.max(min)
    }

    /// Generates the task's `(source, target)` text pairs, deterministically from the seed.
    pub fn generate(&self) -> Vec<(String, String)> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        match self.kind {
            TaskKind::Copy => symbols::generate(&mut rng, self, |s| s.to_vec()),
            TaskKind::Reverse => {
                symbols::generate(&mut rng, self, |s| s.iter().rev().copied().collect())
            }
            TaskKind::Sort => symbols::generate(&mut rng, self, |s| {
                let mut sorted = s.to_vec();
                sorted.sort_unstable();
                sorted
            }),
            TaskKind::Addition => addition::generate(&mut rng, self),
            TaskKind::Dates => dates::generate(&mut rng, self.dataset_size),
            TaskKind::ZhEn => zh_en::generate(&mut rng, self.dataset_size),
        }
    }
}
