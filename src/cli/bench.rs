//! `bench`: training throughput of the default model (batch 32, embedding 32, hidden 64, GRU,
//! additive attention, `reverse` with lengths 8-12), on the CPU.

use super::args::BenchArgs;
use crate::data::TaskKind;
use crate::train::{RunConfig, Trainer};
use burn::prelude::Device;
use std::time::Instant;

/// The benchmarked configuration.
pub fn bench_config() -> RunConfig {
    let mut config = RunConfig::default();
    config.task.kind = TaskKind::Reverse;
    config.task.min_len = 8;
    config.task.max_len = 12;
    config
}

/// Runs `bench`.
pub fn run(args: BenchArgs) -> Result<(), String> {
    let config = bench_config();
    let mut trainer =
        Trainer::new(config.clone(), &Device::flex()).map_err(|e| format!("{e:?}"))?;
    for _ in 0..args.warmup {
        pollster::block_on(trainer.step()).map_err(|e| e.to_string())?;
    }
    let start = Instant::now();
    let mut tokens = 0usize;
    let mut last_loss = f32::NAN;
    for _ in 0..args.steps.max(1) {
        let metrics = pollster::block_on(trainer.step()).map_err(|e| e.to_string())?;
        tokens += metrics.target_tokens;
        last_loss = metrics.loss;
    }
    let seconds = start.elapsed().as_secs_f64();
    let steps_per_second = args.steps.max(1) as f64 / seconds;
    let tokens_per_second = tokens as f64 / seconds;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "impl": "seq2seq-playground (burn flex, CPU)",
                "steps": args.steps,
                "steps_per_second": steps_per_second,
                "target_tokens_per_second": tokens_per_second,
                "last_loss": last_loss,
                "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            })
        );
    } else {
        println!(
            "seq2seq-playground (burn 0.22.1 on flex CPU): batch {}, embedding {}, hidden {}, {} + {} attention, lengths {}-{}",
            config.train.batch_size,
            config.model.embedding_size,
            config.model.hidden_size,
            config.model.cell.name(),
            config.model.attention.name(),
            config.task.min_len,
            config.task.max_len
        );
        println!(
            "{:.1} steps/s, {:.0} target tokens/s over {} steps ({:.2} s); last loss {:.3}",
            steps_per_second, tokens_per_second, args.steps, seconds, last_loss
        );
    }
    Ok(())
}
