//! Fuzzes the user-dataset parser: any bytes, tight and loose limits, never a panic, and every
//! error names a line that exists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seq2seq_playground::data::{DatasetLimits, parse_user_dataset};

fuzz_target!(|input: &[u8]| {
    let lines = input.split(|&b| b == b'\n').count();
    for limits in [
        DatasetLimits::default(),
        DatasetLimits { max_line_chars: 3, max_pairs: 2 },
    ] {
        let parsed = parse_user_dataset(input, limits);
        assert!(parsed.pairs.len() <= limits.max_pairs);
        for (source, target) in &parsed.pairs {
            assert!(!source.is_empty() && !target.is_empty());
            assert!(!target.contains('\t'));
        }
        for error in &parsed.errors {
            let text = error.to_string();
            if let Some(rest) = text.strip_prefix("line ") {
                let line: usize = rest.split(':').next().unwrap().parse().unwrap();
                assert!(line >= 1 && line <= lines);
            }
        }
    }
});
