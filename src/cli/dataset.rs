//! `dataset`: prints a task's data as the model sees it (vocabulary sizes and token ids of the
//! train and validation pairs) as JSON, so a peer implementation (benches/peers/) trains on
//! exactly the same examples.

use super::args::DatasetArgs;
use crate::data::TaskData;
use crate::data::vocab::{BOS, EOS, PAD, UNK};
use serde_json::json;
use std::io::Write;

/// Runs the command.
pub fn run(args: DatasetArgs) -> Result<(), String> {
    let config = args.run.to_config()?;
    let data = TaskData::from_task(&config.task);
    let pairs = |pairs: &[crate::data::EncodedPair]| {
        pairs
            .iter()
            .map(|p| json!({ "source": p.source, "target": p.target }))
            .collect::<Vec<_>>()
    };
    let vocab = &data.vocabularies;
    let text = json!({
            "task": config.task,
            "source_vocab_size": vocab.source.len(),
            "target_vocab_size": vocab.target.len(),
            "special": { "pad": PAD, "bos": BOS, "eos": EOS, "unk": UNK },
            "train": pairs(&data.train),
            "valid": pairs(&data.valid),
    });
    writeln!(std::io::stdout(), "{text}").map_err(|e| format!("cannot write the data: {e}"))
}
