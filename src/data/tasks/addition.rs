//! The addition task: two numbers and their sum, digit by digit ("347+86" -> "433"), the
//! classic seq2seq exercise (Keras's "addition RNN"): each output digit depends on input digits
//! far apart, and a carry can run the whole length.

use super::TaskConfig;
use rand::Rng;
use rand::rngs::StdRng;

/// Generates `config.dataset_size` sums of two numbers, each with `config.min_len..=max_len`
/// digits (no leading zero), as `"a+b"` -> their sum in decimal.
pub(super) fn generate(rng: &mut StdRng, config: &TaskConfig) -> Vec<(String, String)> {
    (0..config.dataset_size)
        .map(|_| {
            let digits = rng.random_range(config.lengths());
            let a = number(rng, digits);
            let digits = rng.random_range(config.lengths());
            let b = number(rng, digits);
            (format!("{a}+{b}"), sum(&a, &b))
        })
        .collect()
}

/// A random decimal number of `digits` digits (a one-digit number may be 0).
fn number(rng: &mut StdRng, digits: usize) -> String {
    (0..digits)
        .map(|i| {
            let lowest = if i == 0 && digits > 1 { 1 } else { 0 };
            char::from(b'0' + rng.random_range(lowest..10u8))
        })
        .collect()
}

/// The sum of two decimal numbers of any length, as written by hand: right to left, carrying.
fn sum(a: &str, b: &str) -> String {
    let (mut a, mut b) = (a.bytes().rev(), b.bytes().rev());
    let mut digits = Vec::new();
    let mut carry = 0;
    loop {
        let (x, y) = (a.next(), b.next());
        if x.is_none() && y.is_none() {
            break;
        }
        let total = carry + x.map_or(0, |d| d - b'0') + y.map_or(0, |d| d - b'0');
        digits.push(b'0' + total % 10);
        carry = total / 10;
    }
    if carry > 0 {
        digits.push(b'0' + carry);
    }
    digits.iter().rev().map(|&d| char::from(d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TaskKind;

    fn config(min_len: usize, max_len: usize, dataset_size: usize) -> TaskConfig {
        TaskConfig {
            kind: TaskKind::Addition,
            min_len,
            max_len,
            dataset_size,
            ..TaskConfig::default()
        }
    }

    #[test]
    fn sums_are_right_and_numbers_have_the_digits_asked_for() {
        let pairs = config(1, 18, 500).generate();
        assert_eq!(pairs.len(), 500);
        for (source, target) in &pairs {
            let (a, b) = source.split_once('+').expect("a+b");
            for n in [a, b] {
                assert!((1..=18).contains(&n.len()), "{source}");
                assert!(
                    n.len() == 1 || !n.starts_with('0'),
                    "no leading zero: {source}"
                );
            }
            let expected = a.parse::<u64>().unwrap() + b.parse::<u64>().unwrap();
            assert_eq!(target, &expected.to_string(), "{source}");
        }
        assert_eq!(
            pairs,
            config(1, 18, 500).generate(),
            "the same seed, the same pairs"
        );
    }

    #[test]
    fn carries_run_past_what_machine_integers_hold() {
        assert_eq!(sum("999", "1"), "1000");
        assert_eq!(sum("0", "0"), "0");
        assert_eq!(sum("5", "123"), "128");
        let nines = "9".repeat(64);
        assert_eq!(sum(&nines, "1"), format!("1{}", "0".repeat(64)));
        for (source, target) in config(64, 64, 20).generate() {
            let (a, b) = source.split_once('+').unwrap();
            assert_eq!((a.len(), b.len()), (64, 64));
            assert!(target.len() == 64 || target.len() == 65, "{target}");
            // checked against u128 on the low 30 digits
            let low = |s: &str| s[s.len() - 30..].parse::<u128>().unwrap();
            assert_eq!((low(a) + low(b)) % 10u128.pow(30), low(&target));
        }
    }
}
