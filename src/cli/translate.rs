//! `translate`: decodes one input with a checkpoint (greedy, `--beam`, `--sample`) and prints
//! the output (with `--nbest`, the beam's best hypotheses and their scores) and the attention
//! matrix of the chosen one.

use super::args::TranslateArgs;
use super::table::attention_table;
use crate::train::{Checkpoint, Strategy, Trainer};

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
    let strategy = args.strategy()?;
    let translation =
        pollster::block_on(trainer.decode_at_most(&args.input, strategy, args.max_len))
            .map_err(|e| e.to_string())?;
    if !translation.unknown_tokens.is_empty() {
        println!(
            "note: not in the vocabulary, read as <unk>: {}",
            translation.unknown_tokens.join(" ")
        );
    }
    if args.nbest > 1 && matches!(strategy, Strategy::Beam { .. }) {
        for (rank, candidate) in translation.nbest.iter().take(args.nbest).enumerate() {
            println!(
                "{}. {}    log-prob {:.4}  score {:.4}{}",
                rank + 1,
                candidate.text,
                candidate.log_prob,
                candidate.score,
                if candidate.finished {
                    ""
                } else {
                    "  (no <eos>)"
                }
            );
        }
    } else {
        println!("{}", translation.output_text);
    }
    if !translation.finished {
        println!("(stopped at the length limit without <eos>)");
    }
    println!();
    print!("{}", attention_table(&translation));
    Ok(())
}
