//! A token's nearest neighbours in embedding space by cosine similarity, as the Embedding
//! Projector lists them: measured on the full vectors, not on the 3-D projection (which keeps
//! only part of the variance).

use crate::data::snapshot::EmbeddingTable;
use serde::Serialize;

/// Neighbours listed for a searched token.
pub const NEIGHBOURS: usize = 6;

/// One neighbour and how close it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neighbour {
    /// Its row in the table.
    pub index: usize,
    /// The token.
    pub token: String,
    /// Cosine similarity to the searched token's vector, in `[-1, 1]`.
    pub cosine: f64,
}

/// What a search found: the token's row and its nearest neighbours, closest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Search {
    /// The text searched for.
    pub token: String,
    /// Its row, `None` when the vocabulary has no such token.
    pub index: Option<usize>,
    /// The closest other tokens (at most [`NEIGHBOURS`]).
    pub neighbours: Vec<Neighbour>,
}

/// Cosine similarity; 0 when either vector is all zeros.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        dot / (aa.sqrt() * bb.sqrt())
    }
}

/// Searches `table` for `token` (exact text, else ignoring case) and lists its `k` nearest
/// neighbours, ties by row order.
pub fn search(table: &EmbeddingTable, token: &str, k: usize) -> Search {
    let token = token.trim();
    let index = table.tokens.iter().position(|t| t == token).or_else(|| {
        let lower = token.to_lowercase();
        table.tokens.iter().position(|t| t.to_lowercase() == lower)
    });
    let neighbours = index.map_or_else(Vec::new, |i| {
        let mut all: Vec<Neighbour> = table
            .vectors
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(j, v)| Neighbour {
                index: j,
                token: table.tokens[j].clone(),
                cosine: cosine(&table.vectors[i], v),
            })
            .collect();
        all.sort_by(|a, b| b.cosine.total_cmp(&a.cosine).then(a.index.cmp(&b.index)));
        all.truncate(k);
        all
    });
    Search {
        token: token.to_string(),
        index,
        neighbours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> EmbeddingTable {
        EmbeddingTable {
            tokens: ["<pad>", "cat", "dog", "run", "Love"]
                .map(String::from)
                .to_vec(),
            vectors: vec![
                vec![0.0, 0.0, 0.0],
                vec![1.0, 0.0, 0.0],
                vec![0.9, 0.1, 0.0],
                vec![0.0, 1.0, 0.0],
                vec![-1.0, 0.0, 0.0],
            ],
            special: 1,
            counts: Vec::new(),
        }
    }

    #[test]
    fn the_nearest_by_cosine_come_first() {
        let found = search(&table(), "cat", 3);
        assert_eq!(found.index, Some(1));
        let tokens: Vec<&str> = found.neighbours.iter().map(|n| n.token.as_str()).collect();
        assert_eq!(tokens, ["dog", "<pad>", "run"]);
        let expected = 0.9 / (0.81f64 + 0.01).sqrt();
        assert!((found.neighbours[0].cosine - expected).abs() < 1e-6);
        // A zero vector is similar to nothing; ties keep row order (<pad> before run).
        assert_eq!(found.neighbours[1].cosine, 0.0);
        assert_eq!(found.neighbours[2].cosine, 0.0);
    }

    #[test]
    fn opposite_vectors_come_last_and_case_is_forgiven() {
        let found = search(&table(), " love ", 4);
        assert_eq!(found.index, Some(4));
        assert_eq!(found.token, "love");
        assert_eq!(found.neighbours.last().unwrap().token, "cat");
        assert!((found.neighbours.last().unwrap().cosine + 1.0).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_token_finds_nothing() {
        let found = search(&table(), "zebra", 3);
        assert_eq!(found.index, None);
        assert!(found.neighbours.is_empty());
    }
}
