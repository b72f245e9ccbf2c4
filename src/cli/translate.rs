//! `translate`: decodes one input with a checkpoint and prints the attention matrix.

use super::args::TranslateArgs;
use super::table::attention_table;
use crate::train::{Checkpoint, Trainer};

/// Runs `translate`.
pub fn run(args: TranslateArgs) -> Result<(), String> {
    let bytes = std::fs::read(&args.checkpoint).map_err(|e| {
        format!(
            "cannot read checkpoint {}: {e} (write one with `train`)",
            args.checkpoint.display()
        )
    })?;
    let checkpoint = Checkpoint::from_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", args.checkpoint.display()))?;
    let trainer =
        Trainer::from_checkpoint(&checkpoint, &args.device.open()?).map_err(|e| e.to_string())?;
    if args.input.trim().is_empty() {
        return Err("the input is empty".into());
    }
    let translation =
        pollster::block_on(trainer.translate(&args.input)).map_err(|e| e.to_string())?;
    if !translation.unknown_tokens.is_empty() {
        println!(
            "note: not in the vocabulary, read as <unk>: {}",
            translation.unknown_tokens.join(" ")
        );
    }
    println!("{}", translation.output_text);
    if !translation.finished {
        println!("(stopped at the length limit without <eos>)");
    }
    println!();
    print!("{}", attention_table(&translation));
    Ok(())
}
