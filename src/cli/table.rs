//! The attention matrix as a labelled text table.

use crate::train::Translation;
use std::fmt::Write;
use unicode_width::UnicodeWidthStr;

fn pad(text: &str, width: usize) -> String {
    let shown = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(shown)))
}

/// Rows: output tokens (then `<eos>`); columns: source tokens; cells: weights in percent.
pub fn attention_table(translation: &Translation) -> String {
    let Some(rows) = &translation.attention else {
        return "no attention: the decoder reads one fixed context vector (the encoder's final \
                state) at every step\n"
            .to_string();
    };
    let labels: Vec<String> = translation
        .output_tokens
        .iter()
        .cloned()
        .chain(std::iter::once("<eos>".to_string()))
        .take(rows.len())
        .collect();
    let label_width = labels.iter().map(|l| l.width()).max().unwrap_or(0).max(6);
    let column_width = translation
        .source_tokens
        .iter()
        .map(|t| t.width())
        .max()
        .unwrap_or(0)
        .max(4)
        + 1;
    let mut out = String::new();
    out.push_str(&pad("out\\in", label_width));
    for token in &translation.source_tokens {
        out.push_str(&pad(&format!(" {token}"), column_width));
    }
    out.push('\n');
    for (label, row) in labels.iter().zip(rows) {
        out.push_str(&pad(label, label_width));
        for weight in row {
            let _ = write!(
                out,
                "{:>width$}",
                format!("{:.0}", weight * 100.0),
                width = column_width
            );
        }
        out.push('\n');
    }
    out
}
