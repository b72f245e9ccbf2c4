//! The symbol tasks: random strings over a small alphabet, mapped by a rule.

use super::{SYMBOLS, TaskConfig};
use rand::Rng;
use rand::rngs::StdRng;

/// Generates `config.dataset_size` random symbol strings with lengths in
/// `config.min_len..=config.max_len`, each paired with `rule(string)`.
pub(super) fn generate(
    rng: &mut StdRng,
    config: &TaskConfig,
    rule: impl Fn(&[char]) -> Vec<char>,
) -> Vec<(String, String)> {
    (0..config.dataset_size)
        .map(|_| {
            let len = rng.random_range(config.lengths());
            let source: Vec<char> = (0..len)
                .map(|_| SYMBOLS[rng.random_range(0..SYMBOLS.len())])
                .collect();
            let target = rule(&source);
            (source.into_iter().collect(), target.into_iter().collect())
        })
        .collect()
}
