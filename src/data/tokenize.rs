//! Tokenisation: Unicode grapheme clusters for character-level sides (symbols, dates, Chinese),
//! Unicode word boundaries for word-level sides (English).

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// The token a run of whitespace becomes at the character level (shown as is in the plots).
pub const SPACE: &str = "␣";

/// How one side of a dataset is cut into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tokenizer {
    /// One token per user-perceived character (grapheme cluster); a run of whitespace inside
    /// the text is one [`SPACE`] token, whitespace at either end is dropped.
    #[default]
    Chars,
    /// One token per word or punctuation mark (Unicode word boundaries), lower-cased.
    Words,
}

impl Tokenizer {
    /// Cuts a text into tokens.
    pub fn tokenize(self, text: &str) -> Vec<String> {
        match self {
            Self::Chars => {
                let mut tokens: Vec<String> = vec![];
                for grapheme in text.trim().graphemes(true) {
                    if grapheme.chars().all(char::is_whitespace) {
                        if tokens.last().is_some_and(|t| t != SPACE) {
                            tokens.push(SPACE.to_string());
                        }
                    } else {
                        tokens.push(grapheme.to_string());
                    }
                }
                tokens
            }
            Self::Words => text
                .split_word_bounds()
                .filter(|w| !w.chars().all(char::is_whitespace))
                .map(str::to_lowercase)
                .collect(),
        }
    }

    /// Joins tokens back into text the way a person writes it.
    pub fn join(self, tokens: &[String]) -> String {
        match self {
            Self::Chars => tokens
                .iter()
                .map(|t| if t == SPACE { " " } else { t.as_str() })
                .collect(),
            Self::Words => tokens.join(" "),
        }
    }

    /// Picks a tokenizer for one side of a person's dataset: words if any line has a space
    /// between two non-space characters, characters otherwise (Chinese, symbols, codes).
    pub fn detect<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let spaced = texts
            .into_iter()
            .any(|t| t.trim().chars().any(char::is_whitespace));
        if spaced { Self::Words } else { Self::Chars }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_cut_by_character_not_byte() {
        assert_eq!(
            Tokenizer::Chars.tokenize("我有一支笔"),
            vec!["我", "有", "一", "支", "笔"]
        );
    }

    #[test]
    fn combining_marks_stay_with_their_letter() {
        // "é" written as e + U+0301 is one grapheme.
        assert_eq!(
            Tokenizer::Chars.tokenize("e\u{301}a"),
            vec!["e\u{301}", "a"]
        );
    }

    #[test]
    fn spaces_inside_a_character_level_text_are_kept_as_one_token() {
        let tokens = Tokenizer::Chars.tokenize("  3 mar  2021 ");
        assert_eq!(
            tokens,
            vec!["3", SPACE, "m", "a", "r", SPACE, "2", "0", "2", "1"]
        );
        assert_eq!(Tokenizer::Chars.join(&tokens), "3 mar 2021");
    }

    #[test]
    fn english_is_cut_by_word_and_lower_cased() {
        assert_eq!(
            Tokenizer::Words.tokenize("I have a pen."),
            vec!["i", "have", "a", "pen", "."]
        );
        assert_eq!(
            Tokenizer::Words.join(&Tokenizer::Words.tokenize("I have a pen")),
            "i have a pen"
        );
    }

    #[test]
    fn detection_follows_spaces() {
        assert_eq!(Tokenizer::detect(["我有一支笔"]), Tokenizer::Chars);
        assert_eq!(Tokenizer::detect(["i have", "x"]), Tokenizer::Words);
    }
}
