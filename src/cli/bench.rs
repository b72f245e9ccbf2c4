//! `bench`: training throughput of a fixed model on a chosen device, and, with
//! `--count-launches`, the GPU kernel launches one training step takes (from cubecl's profiler).

use super::args::{BenchArgs, BenchModel, config_errors};
use super::launches::LaunchLog;
use crate::data::TaskKind;
use crate::train::{CrosscheckStep, RunConfig, Trainer, crosscheck, crosscheck_runs};
use burn::prelude::Device;
use std::time::Instant;

/// The benchmarked configuration: the default model (batch 32, embedding 32, hidden 64, GRU +
/// additive attention), the large one (batch 256, embedding 128, hidden 512) or the Transformer
/// (batch 32, d_model 64, 2 layers, 4 heads, feed-forward 128), on `reverse` with lengths 8-12.
pub fn bench_config(model: BenchModel) -> RunConfig {
    let mut config = RunConfig::default();
    config.task.kind = TaskKind::Reverse;
    config.task.min_len = 8;
    config.task.max_len = 12;
    match model {
        BenchModel::Default => {}
        BenchModel::Large => {
            config.train.batch_size = 256;
            config.model.embedding_size = 128;
            config.model.hidden_size = 512;
        }
        BenchModel::Transformer => {
            config.model.kind = crate::model::ModelKind::Transformer;
            config.model.embedding_size = 64;
            config.model.layers = 2;
            config.model.heads = 4;
            config.model.ff_size = 128;
            config.model.dropout = 0.0;
        }
    }
    config
}

/// Runs `bench`.
pub fn run(args: BenchArgs) -> Result<(), String> {
    let mut config = bench_config(args.model);
    if let Some(cell) = args.cell {
        config.model.cell = cell;
    }
    if let Some(attention) = args.attention {
        config.model.attention = attention;
    }
    if let Some(dropout) = args.dropout {
        config.model.dropout = dropout;
    }
    if let Some(batch) = args.batch {
        config.train.batch_size = batch;
    }
    if let Some(hidden) = args.hidden {
        config.model.hidden_size = hidden;
    }
    if let Some(rows) = args.rows_per_cube {
        set_rows_per_cube(rows as usize)?;
    }
    // Before the device opens: cubecl reads its profiler settings once, at start.
    let launches = args.count_launches.then(LaunchLog::enable).transpose()?;
    let device = args.device.open_capped(args.storage_buffers)?;
    let adapters = args.device.adapters();
    let compared = match args.crosscheck {
        Some(steps) => Some(crosscheck_on(&config, &device, steps as usize)?),
        None => None,
    };
    let mut trainer = Trainer::new(config.clone(), &device).map_err(config_errors)?;
    for _ in 0..args.warmup.max(1) {
        pollster::block_on(trainer.step()).map_err(|e| e.to_string())?;
    }
    let launches_before = launches.as_ref().map(LaunchLog::read).transpose()?;
    reset_rows_used();
    let steps = args.steps.max(1);
    let start = Instant::now();
    let mut tokens = 0usize;
    let mut last_loss = f32::NAN;
    for _ in 0..steps {
        // One read back per step (loss and gradient norm), as `Trainer::step` does.
        let metrics = pollster::block_on(trainer.step()).map_err(|e| e.to_string())?;
        tokens += metrics.target_tokens;
        last_loss = metrics.loss;
    }
    let seconds = start.elapsed().as_secs_f64();
    let rows_used = rows_used();
    let launches = match (launches, launches_before) {
        (Some(log), Some(before)) => Some(log.read()?.since(&before, steps)),
        _ => None,
    };
    let steps_per_second = steps as f64 / seconds;
    let tokens_per_second = tokens as f64 / seconds;
    let (m, t) = (&config.model, &config.task);
    let model = match m.kind {
        crate::model::ModelKind::Rnn => format!(
            "batch {}, embedding {}, hidden {}, {} + {} attention, lengths {}-{}",
            config.train.batch_size,
            m.embedding_size,
            m.hidden_size,
            <&str>::from(m.cell),
            <&str>::from(m.attention),
            t.min_len,
            t.max_len
        ),
        crate::model::ModelKind::Transformer => format!(
            "batch {}, Transformer d_model {}, {} layers, {} heads, feed-forward {}, dropout {}, lengths {}-{}",
            config.train.batch_size,
            m.embedding_size,
            m.layers,
            m.heads,
            m.ff_size,
            m.dropout,
            t.min_len,
            t.max_len
        ),
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "impl": format!("seq2seq-playground ({})", args.device.describe()),
                "device": format!("{:?}", args.device).to_lowercase(),
                "adapters": adapters,
                "model": model,
                "steps": steps,
                "steps_per_second": steps_per_second,
                "target_tokens_per_second": tokens_per_second,
                "last_loss": last_loss,
                // burn's flex backend runs a training step on one thread.
                "threads": 1,
                "launches_per_step": launches.as_ref().map(|l| l.per_step),
                "launches_by_kind": launches.as_ref().map(|l| &l.by_kind),
                "launch_micros_per_step": launches.as_ref().map(|l| l.micros_per_step),
                "launch_micros_by_kind": launches.as_ref().map(|l| &l.micros_by_kind),
                "rows_per_cube": args.rows_per_cube,
                // what the timed steps' recurrent kernels took: [fewest, most] (null on the CPU)
                "rows_per_cube_used": rows_used.map(|(fewest, most)| [fewest, most]),
                "crosscheck": compared,
            })
        );
    } else {
        println!(
            "seq2seq-playground (burn 0.22.1, {}): {model}",
            args.device.describe()
        );
        if !adapters.is_empty() {
            println!("wgpu adapters here: {}", adapters.join("; "));
        }
        println!(
            "{steps_per_second:.1} steps/s, {tokens_per_second:.0} target tokens/s over {steps} steps ({seconds:.2} s); last loss {last_loss:.3}",
        );
        if let Some((fewest, most)) = rows_used {
            println!("recurrent kernels: {fewest} to {most} batch rows a cube");
        }
        if let Some(launches) = launches {
            print!("{launches}");
        }
        for (step, compared) in compared.iter().flatten().enumerate() {
            println!(
                "crosscheck step {}: loss {} on the CPU, {} here; weights at most {:.3e} apart (largest {:.3})",
                step + 1,
                compared.cpu_loss,
                compared.device_loss,
                compared.max_weight_difference,
                compared.largest_weight
            );
        }
    }
    Ok(())
}

/// Forgets the batch rows a cube the recurrent kernels took (GPU builds; nothing elsewhere).
fn reset_rows_used() {
    #[cfg(feature = "wgpu")]
    crate::model::recurrence::kernels::reset_rows_used();
}

/// The fewest and the most batch rows a cube the recurrent kernels took since
/// [`reset_rows_used`] (`None` on the CPU and in builds without the `wgpu` feature).
fn rows_used() -> Option<(usize, usize)> {
    #[cfg(feature = "wgpu")]
    return crate::model::recurrence::kernels::rows_used();
    #[cfg(not(feature = "wgpu"))]
    None
}

/// `--rows-per-cube`: the recurrent kernels' batch rows per cube (GPU builds only).
fn set_rows_per_cube(rows: usize) -> Result<(), String> {
    #[cfg(feature = "wgpu")]
    {
        crate::model::recurrence::kernels::set_rows_per_cube(Some(rows));
        Ok(())
    }
    #[cfg(not(feature = "wgpu"))]
    {
        let _ = rows;
        Err("--rows-per-cube needs a build with the `wgpu` feature".to_string())
    }
}

/// `--crosscheck`: `steps` plain-SGD steps of `config` from the same weights on the CPU and on
/// `device`, compared after each.
fn crosscheck_on(
    config: &RunConfig,
    device: &Device,
    steps: usize,
) -> Result<Vec<CrosscheckStep>, String> {
    let [mut cpu, mut other] = crosscheck_runs(config, device, true).map_err(config_errors)?;
    pollster::block_on(crosscheck(&mut cpu, &mut other, steps)).map_err(|e| e.to_string())
}
