//! `train`: trains with a progress bar, validates along the way, writes a checkpoint.

use super::args::{TrainArgs, config_errors};
use super::plots::write_plots;
use crate::train::{Checkpoint, Trainer};
use crate::viz::Plots;
use burn::prelude::Device;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;

/// Runs `train`.
pub fn run(args: TrainArgs) -> Result<(), String> {
    if args.steps == 0 {
        return Err("--steps must be at least 1".into());
    }
    let mut trainer = match &args.resume {
        Some(path) => resume(path)?,
        None => Trainer::new(args.run.to_config()?, &Device::flex()).map_err(config_errors)?,
    };
    if args.resume.is_some() {
        println!(
            "resumed at step {} (training on to step {})",
            trainer.step_count(),
            args.steps
        );
    }
    let data = trainer.data();
    println!(
        "task {}: {} training / {} validation pairs; vocabularies {} -> {} tokens",
        trainer.config().task.kind.name(),
        data.train.len(),
        data.valid.len(),
        data.vocabularies.source.len(),
        data.vocabularies.target.len()
    );
    let bar = ProgressBar::new(args.steps as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40.cyan/blue} {pos}/{len} steps {per_sec} eta {eta} {msg}",
        )
        .expect("a valid template"),
    );
    let mut plots = Plots::default();
    let mut diverged = 0usize;
    while trainer.step_count() < args.steps {
        let metrics = pollster::block_on(trainer.step()).map_err(|e| e.to_string())?;
        if metrics.diverged {
            diverged += 1;
            if diverged == 3 {
                bar.abandon();
                write_checkpoint(&trainer, &args.checkpoint)?;
                return Err(format!(
                    "the loss diverged three times (last at step {}): the last good weights were \
                     written to {}; try a lower --lr (now {}) or a --clip-norm",
                    metrics.step,
                    args.checkpoint.display(),
                    trainer.config().train.learning_rate
                ));
            }
            continue;
        }
        plots
            .curves
            .push_train(metrics.step as f64, f64::from(metrics.loss));
        bar.set_position(metrics.step as u64);
        bar.set_message(format!("loss {:.3}", metrics.loss));
        if metrics.step % args.eval_every.max(1) == 0 {
            let eval =
                pollster::block_on(trainer.evaluate(usize::MAX)).map_err(|e| e.to_string())?;
            let line = format!(
                "step {:>6}  epoch {:>3}  train loss {:.4}  valid loss {:.4}  token acc {:5.1}%  exact {:5.1}%",
                metrics.step,
                metrics.epoch,
                metrics.loss,
                eval.loss,
                eval.token_accuracy * 100.0,
                eval.exact_accuracy * 100.0
            );
            bar.suspend(|| println!("{line}"));
            plots.curves.push_evaluation(
                metrics.step as f64,
                f64::from(eval.loss),
                f64::from(eval.token_accuracy),
                f64::from(eval.exact_accuracy),
            );
            if let Some(dir) = &args.plots {
                write_plots(dir, &trainer, &mut plots)?;
            }
        }
    }
    bar.finish();
    let eval = pollster::block_on(trainer.evaluate(usize::MAX)).map_err(|e| e.to_string())?;
    println!(
        "final: valid loss {:.4}, token accuracy {:.1}%, exact-sequence accuracy {:.1}%",
        eval.loss,
        eval.token_accuracy * 100.0,
        eval.exact_accuracy * 100.0
    );
    write_checkpoint(&trainer, &args.checkpoint)?;
    println!("checkpoint written to {}", args.checkpoint.display());
    if let Some(dir) = &args.plots {
        // The last validation step may have written them already.
        if plots.data().map(|d| d.step) != Some(trainer.step_count()) {
            write_plots(dir, &trainer, &mut plots)?;
        }
        println!("plots written to {}", dir.display());
    }
    Ok(())
}

/// Writes the run (weights, optimiser state, batch position) to `path`, creating its folder.
fn write_checkpoint(trainer: &Trainer, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let checkpoint = trainer.checkpoint().map_err(|e| e.to_string())?;
    std::fs::write(path, checkpoint.to_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The run saved in `path` (by `train` or the page), to go on exactly where it stopped.
fn resume(path: &Path) -> Result<Trainer, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let checkpoint =
        Checkpoint::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Trainer::from_checkpoint(&checkpoint, &Device::flex())
        .map_err(|e| format!("{}: {e}", path.display()))
}
