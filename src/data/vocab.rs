//! A vocabulary: the mapping between tokens and the ids the embedding layer looks up.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The four special tokens every vocabulary starts with, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialToken {
    /// Padding: fills a sequence up to the longest one in its batch; masked out everywhere.
    Pad,
    /// Beginning of sequence: the decoder's first input.
    Bos,
    /// End of sequence: the decoder says it is done.
    Eos,
    /// Unknown: any token not seen in the training data.
    Unk,
}

impl SpecialToken {
    /// All special tokens, in id order.
    pub const ALL: [SpecialToken; 4] = [Self::Pad, Self::Bos, Self::Eos, Self::Unk];

    /// The id of this token in every vocabulary.
    pub const fn id(self) -> usize {
        self as usize
    }

    /// How the token is written in plots and tables.
    pub const fn text(self) -> &'static str {
        match self {
            Self::Pad => "<pad>",
            Self::Bos => "<bos>",
            Self::Eos => "<eos>",
            Self::Unk => "<unk>",
        }
    }
}

/// Id of `<pad>`.
pub const PAD: usize = SpecialToken::Pad.id();
/// Id of `<bos>`.
pub const BOS: usize = SpecialToken::Bos.id();
/// Id of `<eos>`.
pub const EOS: usize = SpecialToken::Eos.id();
/// Id of `<unk>`.
pub const UNK: usize = SpecialToken::Unk.id();

/// Most tokens a vocabulary keeps besides the four special ones: the most frequent, the rest are
/// read as `<unk>`. Every built-in task is far below it (`zh-en` has a few hundred); it bounds
/// the embedding and output layers, and the 3D scatter, for a person's own data.
pub const MAX_TOKENS: usize = 4000;

/// Tokens in id order, with the reverse index rebuilt on load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Vocab {
    tokens: Vec<String>,
    index: HashMap<String, usize>,
}

impl From<Vec<String>> for Vocab {
    fn from(tokens: Vec<String>) -> Self {
        let index = tokens
            .iter()
            .enumerate()
            .map(|(id, token)| (token.clone(), id))
            .collect();
        Self { tokens, index }
    }
}

impl From<Vocab> for Vec<String> {
    fn from(vocab: Vocab) -> Self {
        vocab.tokens
    }
}

impl Vocab {
    /// Builds a vocabulary from token sequences: specials first, then at most [`MAX_TOKENS`]
    /// tokens (the most frequent), sorted so the same data always gives the same ids.
    pub fn build<'a>(sequences: impl IntoIterator<Item = &'a [String]>) -> Self {
        Self::build_capped(sequences, MAX_TOKENS)
    }

    /// Like [`build`](Self::build), keeping only the `max_tokens` most frequent tokens (ties by
    /// text); the others are left out and read as `<unk>`.
    pub fn build_capped<'a>(
        sequences: impl IntoIterator<Item = &'a [String]>,
        max_tokens: usize,
    ) -> Self {
        let mut counts: HashMap<&'a str, usize> = HashMap::new();
        for token in sequences.into_iter().flatten() {
            if !SpecialToken::ALL.iter().any(|s| s.text() == token.as_str()) {
                *counts.entry(token.as_str()).or_default() += 1;
            }
        }
        let mut by_count: Vec<(&str, usize)> = counts.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut kept: Vec<&str> = by_count
            .into_iter()
            .take(max_tokens)
            .map(|(t, _)| t)
            .collect();
        kept.sort_unstable();
        let tokens = SpecialToken::ALL
            .iter()
            .map(|s| s.text())
            .chain(kept)
            .map(str::to_string)
            .collect::<Vec<_>>();
        Self::from(tokens)
    }

    /// Number of tokens, specials included.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary holds only the special tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.len() <= SpecialToken::ALL.len()
    }

    /// The id of a token, `<unk>` when unseen.
    pub fn id(&self, token: &str) -> usize {
        self.index.get(token).copied().unwrap_or(UNK)
    }

    /// Whether the token is in the vocabulary.
    pub fn contains(&self, token: &str) -> bool {
        self.index.contains_key(token)
    }

    /// The token of an id (`<unk>` for an id out of range).
    pub fn token(&self, id: usize) -> &str {
        self.tokens
            .get(id)
            .map_or(SpecialToken::Unk.text(), String::as_str)
    }

    /// All tokens in id order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Whether an id is one of the special tokens.
    pub fn is_special(id: usize) -> bool {
        id < SpecialToken::ALL.len()
    }

    /// Ids of a token sequence.
    pub fn encode(&self, tokens: &[String]) -> Vec<usize> {
        tokens.iter().map(|t| self.id(t)).collect()
    }

    /// Tokens of ids, stopping at the first `<eos>` and skipping `<pad>`/`<bos>`.
    pub fn decode(&self, ids: &[usize]) -> Vec<String> {
        ids.iter()
            .take_while(|&&id| id != EOS)
            .filter(|&&id| id != PAD && id != BOS)
            .map(|&id| self.token(id).to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_come_first_and_unknowns_map_to_unk() {
        let seqs = [vec!["b".to_string(), "a".to_string()]];
        let vocab = Vocab::build(seqs.iter().map(Vec::as_slice));
        assert_eq!(vocab.token(PAD), "<pad>");
        assert_eq!(vocab.token(BOS), "<bos>");
        assert_eq!(vocab.token(EOS), "<eos>");
        assert_eq!(vocab.token(UNK), "<unk>");
        assert_eq!(vocab.id("a"), 4);
        assert_eq!(vocab.id("zzz"), UNK);
        assert_eq!(vocab.decode(&[BOS, 4, 5, EOS, 4]), vec!["a", "b"]);
    }

    #[test]
    fn a_capped_vocabulary_keeps_the_most_frequent_tokens() {
        let words = |text: &str| text.split(' ').map(str::to_string).collect::<Vec<_>>();
        let seqs = [words("the cat and the dog"), words("the end and a cat")];
        let vocab = Vocab::build_capped(seqs.iter().map(Vec::as_slice), 3);
        // the: 3, and: 2, cat: 2 are kept; a, dog, end (once each) are left out.
        assert_eq!(&vocab.tokens()[4..], ["and", "cat", "the"]);
        assert_eq!(vocab.id("dog"), UNK);
        let all = Vocab::build_capped(seqs.iter().map(Vec::as_slice), 100);
        assert_eq!(all, Vocab::build(seqs.iter().map(Vec::as_slice)));
        assert_eq!(&all.tokens()[4..], ["a", "and", "cat", "dog", "end", "the"]);
    }

    #[test]
    fn round_trips_through_json() {
        let seqs = [vec!["猫".to_string(), "狗".to_string()]];
        let vocab = Vocab::build(seqs.iter().map(Vec::as_slice));
        let json = serde_json::to_string(&vocab).unwrap();
        let back: Vocab = serde_json::from_str(&json).unwrap();
        assert_eq!(vocab, back);
        assert_eq!(back.id("狗"), vocab.id("狗"));
    }
}
