//! A backend checked against the CPU: the same steps from the same weights on burn's CPU
//! backend and on another device, compared step by step (loss, gradient norm, and every weight
//! after the step). The page runs it on WebGPU, `bench --crosscheck` natively on wgpu.

use super::optimizer::OptimizerKind;
use super::tensors::DeviceError;
use super::{ConfigError, RunConfig, Trainer};
use burn::prelude::Device;
use serde::Serialize;

/// One step of a crosscheck: what each side measured, and how far the weights are apart after
/// it. They must agree to float precision; a kernel that silently computes wrong shows here.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CrosscheckStep {
    /// The step's loss on the CPU.
    pub cpu_loss: f32,
    /// The step's loss on the other device.
    pub device_loss: f32,
    /// The gradient's global norm on the CPU.
    pub cpu_grad_norm: f32,
    /// The gradient's global norm on the other device.
    pub device_grad_norm: f32,
    /// The largest difference of a weight between the two after the step.
    pub max_weight_difference: f32,
    /// The largest weight (on the CPU), for scale.
    pub largest_weight: f32,
}

/// Two fresh runs of `config` for a crosscheck: `[on burn's CPU backend, on device]`. With
/// `plain_sgd` they train with plain SGD (no momentum) in place of the config's optimiser: a
/// weight then moves by the learning rate times its gradient, where Adam's first steps move each
/// weight by about the learning rate whatever its gradient's size, hiding a gradient wrong in
/// size.
pub fn crosscheck_runs(
    config: &RunConfig,
    device: &Device,
    plain_sgd: bool,
) -> Result<[Trainer; 2], Vec<ConfigError>> {
    let mut config = config.clone();
    if plain_sgd {
        config.train.optimizer = OptimizerKind::Sgd;
        config.train.momentum = 0.0;
    }
    Ok([
        Trainer::new(config.clone(), &Device::flex())?,
        Trainer::new(config, device)?,
    ])
}

/// Copies the weights of `cpu` (a fresh run on burn's CPU backend) onto `other` (a fresh run of
/// the same config on the device checked; asynchronous reads only), then steps both `steps`
/// times (at least once) on the same batches, comparing after each step.
pub async fn crosscheck(
    cpu: &mut Trainer,
    other: &mut Trainer,
    steps: usize,
) -> Result<Vec<CrosscheckStep>, DeviceError> {
    other.load_weights_from(cpu).await?;
    let mut compared = Vec::with_capacity(steps.max(1));
    for _ in 0..steps.max(1) {
        let a = cpu.step().await?;
        let b = other.step().await?;
        let apart = cpu.weight_difference(other).await?;
        compared.push(CrosscheckStep {
            cpu_loss: a.loss,
            device_loss: b.loss,
            cpu_grad_norm: a.grad_norm,
            device_grad_norm: b.grad_norm,
            max_weight_difference: apart.largest,
            largest_weight: apart.scale,
        });
    }
    Ok(compared)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs on the CPU from the same weights agree exactly; plain SGD is what it says.
    #[test]
    fn the_cpu_against_itself_agrees_exactly() {
        let mut config = RunConfig::default();
        config.task.dataset_size = 60;
        config.model.hidden_size = 8;
        config.train.batch_size = 4;
        let device = Device::flex();
        let [adam, _] = crosscheck_runs(&config, &device, false).expect("a valid config");
        assert_eq!(adam.config(), &config);
        let [mut a, mut b] = crosscheck_runs(&config, &device, true).expect("a valid config");
        assert_eq!(a.config().train.optimizer, OptimizerKind::Sgd);
        assert_eq!(b.config().train.momentum, 0.0);
        let steps = pollster::block_on(crosscheck(&mut a, &mut b, 2)).expect("CPU reads");
        assert_eq!(steps.len(), 2);
        for step in steps {
            assert_eq!(step.cpu_loss, step.device_loss);
            assert_eq!(step.max_weight_difference, 0.0);
            assert!(step.largest_weight > 0.0);
        }
    }
}
