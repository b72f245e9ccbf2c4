//! `train`: trains with a progress bar, validates along the way, writes a checkpoint.

use super::args::{TrainArgs, config_errors};
use super::plots::write_plots;
use crate::data::{DatasetLimits, DatasetReport, OwnDataset};
use crate::train::{Checkpoint, Evaluation, Gap, RunConfig, Strategy, Trainer, gap};
use crate::viz::Plots;
use burn::prelude::Device;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit status after Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 130;

/// Runs `train`.
pub fn run(args: TrainArgs) -> Result<(), String> {
    if args.steps == 0 {
        return Err("--steps must be at least 1".into());
    }
    let interrupted = on_ctrl_c()?;
    let device = args.device.open()?;
    let mut trainer = match (&args.resume, &args.data) {
        (Some(path), _) => resume(path, &device)?,
        (None, Some(path)) => own_data_run(path, args.run.to_config()?, &device)?,
        (None, None) => {
            let config = args.run.to_config()?;
            for note in args.run.unused_flag_notes(&config) {
                eprintln!("{note}");
            }
            Trainer::new(config, &device).map_err(config_errors)?
        }
    };
    println!("training on {}", args.device.describe());
    if args.resume.is_some() {
        println!(
            "resumed at step {} (training on to step {})",
            trainer.step_count(),
            args.steps
        );
    }
    let data = trainer.data();
    let task = match trainer.own_data() {
        Some(_) => "own data",
        None => trainer.config().task.kind.into(),
    };
    println!(
        "{task}: {} training / {} validation pairs; vocabularies {} -> {} tokens",
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
    let mut last_eval: Option<Evaluation> = None;
    let mut memorising = false;
    let valid_strategy = match args.valid_beam {
        Some(width) => {
            let strategy = Strategy::Beam { width, alpha: 0.6 };
            strategy.check().map_err(|e| format!("--valid-beam: {e}"))?;
            strategy
        }
        None => Strategy::Greedy,
    };
    while trainer.step_count() < args.steps {
        if interrupted.load(Ordering::SeqCst) {
            bar.abandon();
            write_checkpoint(&trainer, &args.checkpoint)?;
            println!(
                "interrupted at step {}: the run was written to {} (go on with \
                 `train --resume {} --steps {}`)",
                trainer.step_count(),
                args.checkpoint.display(),
                args.checkpoint.display(),
                args.steps
            );
            std::process::exit(INTERRUPTED);
        }
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
        bar.set_message(progress_message(metrics.loss, last_eval.as_ref()));
        if metrics.step % args.eval_every.max(1) == 0 {
            let eval = pollster::block_on(trainer.evaluate_with(usize::MAX, valid_strategy))
                .map_err(|e| e.to_string())?;
            let line = format!(
                "step {:>6}  epoch {:>3}  train loss {:.4}  valid loss {:.4}  token acc {:5.1}%  exact {:5.1}%  BLEU {:5.1}  chrF {:5.1}",
                metrics.step,
                metrics.epoch,
                metrics.loss,
                eval.loss,
                eval.token_accuracy * 100.0,
                eval.exact_accuracy * 100.0,
                eval.bleu,
                eval.chrf
            );
            bar.suspend(|| println!("{line}"));
            plots.curves.push_evaluation(
                metrics.step as f64,
                f64::from(eval.loss),
                f64::from(eval.token_accuracy),
                f64::from(eval.exact_accuracy),
            );
            plots.curves.push_translation_scores(
                metrics.step as f64,
                f64::from(eval.bleu),
                f64::from(eval.chrf),
            );
            // Said once, when the run starts to memorise (as the page says it beside its curves).
            let gap = gap(&plots.curves.train_loss, &plots.curves.valid_loss);
            let now_memorising = matches!(gap, Gap::Memorising { .. });
            if let Some(note) = gap.note().filter(|_| now_memorising && !memorising) {
                bar.suspend(|| println!("note: {}", note.text));
            }
            memorising = now_memorising;
            if let Some(dir) = &args.plots {
                write_plots(dir, &trainer, &mut plots)?;
            }
            last_eval = Some(eval);
        }
    }
    bar.finish();
    let eval = pollster::block_on(trainer.evaluate_with(usize::MAX, valid_strategy))
        .map_err(|e| e.to_string())?;
    println!(
        "final: valid loss {:.4}, token accuracy {:.1}%, exact-sequence accuracy {:.1}%, BLEU {:.1}, chrF {:.1}",
        eval.loss,
        eval.token_accuracy * 100.0,
        eval.exact_accuracy * 100.0,
        eval.bleu,
        eval.chrf
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

/// The progress bar's message: this step's loss and the last validation's accuracies.
fn progress_message(loss: f32, eval: Option<&Evaluation>) -> String {
    match eval {
        Some(eval) => format!(
            "loss {loss:.3}  valid acc {:.1}% exact {:.1}% (step {})",
            eval.token_accuracy * 100.0,
            eval.exact_accuracy * 100.0,
            eval.step
        ),
        None => format!("loss {loss:.3}"),
    }
}

/// A flag Ctrl-C sets; the training loop then writes the checkpoint and exits.
fn on_ctrl_c() -> Result<Arc<AtomicBool>, String> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    ctrlc::set_handler(move || set.store(true, Ordering::SeqCst))
        .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;
    Ok(flag)
}

/// A new run on the person's own file: the page's parser and limits, every refused line printed.
fn own_data_run(path: &Path, config: RunConfig, device: &Device) -> Result<Trainer, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    let limits = DatasetLimits::default();
    limits
        .check_size(usize::try_from(size).unwrap_or(usize::MAX))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (dataset, report) = OwnDataset::check(&bytes, limits);
    print_report(path, &report);
    let dataset = dataset.ok_or_else(|| {
        format!(
            "{}: not enough good pairs to train ({} good, at least {} needed)",
            path.display(),
            report.good_pairs,
            report.min_pairs
        )
    })?;
    Trainer::with_own_data(config, dataset, device).map_err(config_errors)
}

/// What the page's "Check" shows: good pairs, tokenisers, each refused line and why.
fn print_report(path: &Path, report: &DatasetReport) {
    println!(
        "{}: {} good pairs (sources as {}, targets as {}), {} line(s) refused",
        path.display(),
        report.good_pairs,
        report.source_tokens,
        report.target_tokens,
        report.refused_count
    );
    for refused in &report.refused {
        eprintln!("  refused: {}", refused.reason);
    }
    let unlisted = report.refused_count.saturating_sub(report.refused.len());
    if unlisted > 0 {
        eprintln!("  ... and {unlisted} more refused line(s)");
    }
    if let Some(note) = &report.vocabulary_note {
        println!("note: {note}");
    }
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
fn resume(path: &Path, device: &Device) -> Result<Trainer, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let checkpoint =
        Checkpoint::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Trainer::from_checkpoint(&checkpoint, device).map_err(|e| format!("{}: {e}", path.display()))
}
