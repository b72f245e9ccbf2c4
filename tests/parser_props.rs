//! Property tests of the dataset parser: any bytes, no panic, errors name real lines.

use proptest::prelude::*;
use seq2seq_playground::data::{DatasetError, DatasetLimits, parse_user_dataset};

fn line_of(error: &DatasetError) -> Option<usize> {
    match *error {
        DatasetError::MissingTab { line }
        | DatasetError::ExtraTab { line }
        | DatasetError::EmptySource { line }
        | DatasetError::EmptyTarget { line }
        | DatasetError::LineTooLong { line, .. }
        | DatasetError::NotUtf8 { line }
        | DatasetError::TooManyPairs { line, .. } => Some(line),
        DatasetError::NoPairs | DatasetError::TooLarge { .. } => None,
    }
}

proptest! {
    #[test]
    fn any_bytes_parse_without_panicking(input in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let parsed = parse_user_dataset(&input, DatasetLimits::default());
        let lines = input.split(|&b| b == b'\n').count();
        for error in &parsed.errors {
            if let Some(line) = line_of(error) {
                prop_assert!(line >= 1 && line <= lines);
            }
        }
        prop_assert_eq!(parsed.pairs.is_empty(), parsed.errors.contains(&DatasetError::NoPairs));
    }

    #[test]
    fn well_formed_pairs_round_trip(pairs in proptest::collection::vec(("[a-z我有笔 ]{1,20}", "[a-z ]{1,20}"), 1..50)) {
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(s, t)| !s.trim().is_empty() && !t.trim().is_empty())
            .map(|(s, t)| (s.trim().to_string(), t.trim().to_string()))
            .collect();
        let text: String = pairs.iter().map(|(s, t)| format!("{s}\t{t}\n")).collect();
        let parsed = parse_user_dataset(text.as_bytes(), DatasetLimits::default());
        if pairs.is_empty() {
            prop_assert_eq!(parsed.errors, vec![DatasetError::NoPairs]);
        } else {
            prop_assert!(parsed.errors.is_empty());
            prop_assert_eq!(parsed.pairs, pairs);
        }
    }
}
