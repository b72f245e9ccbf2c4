//! Gradient clipping by global norm: all gradients are scaled by one factor so that their joint
//! L2 norm is at most a threshold (burn's own clipping works per parameter tensor). Everything
//! stays on the device: no read-back.

use burn::module::{ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;

struct SquaredNorm<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SquaredNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.get::<D>(param.id) {
            let squared = grad.square().sum();
            self.total = Some(match self.total.take() {
                Some(total) => total + squared,
                None => squared,
            });
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: Tensor<1>,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.remove::<D>(param.id) {
            let factor = self.factor.clone().reshape([1; D]);
            self.grads.register::<D>(param.id, grad * factor);
        }
    }
}

/// The global L2 norm of the gradients of `module`'s parameters (before clipping), `[1]`.
pub fn global_norm<M: Module>(module: &M, grads: &GradientsParams) -> Option<Tensor<1>> {
    let mut visitor = SquaredNorm { grads, total: None };
    module.visit(&mut visitor);
    visitor.total.map(Tensor::sqrt)
}

/// Scales `grads` so their global norm is at most `max_norm` (no-op when `max_norm` is 0).
/// Returns the norm before clipping, for the metrics.
pub fn clip_by_global_norm<M: Module>(
    module: &M,
    grads: &mut GradientsParams,
    max_norm: f64,
) -> Option<Tensor<1>> {
    let norm = global_norm(module, grads)?;
    if max_norm > 0.0 {
        let factor = (norm.clone().add_scalar(1e-6).recip() * max_norm).clamp_max(1.0);
        module.visit(&mut Scale { grads, factor });
    }
    Some(norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;

    #[test]
    fn clipping_scales_all_gradients_to_the_threshold() {
        let device = Device::flex().autodiff();
        let linear = LinearConfig::new(3, 2).init(&device);
        let x = Tensor::<2>::ones([4, 3], &device) * 10.0;
        let loss = linear.forward(x).sum();
        let mut grads = GradientsParams::from_grads(loss.backward(), &linear);
        let before = global_norm(&linear, &grads).unwrap().into_scalar::<f32>();
        assert!(before > 1.0);
        let reported = clip_by_global_norm(&linear, &mut grads, 1.0)
            .unwrap()
            .into_scalar::<f32>();
        assert!((reported - before).abs() < 1e-4);
        let after = global_norm(&linear, &grads).unwrap().into_scalar::<f32>();
        assert!((after - 1.0).abs() < 1e-4, "norm after clipping: {after}");
        // Below the threshold nothing changes.
        let again = clip_by_global_norm(&linear, &mut grads, 5.0)
            .unwrap()
            .into_scalar::<f32>();
        assert!((again - after).abs() < 1e-5);
        assert!((global_norm(&linear, &grads).unwrap().into_scalar::<f32>() - after).abs() < 1e-5);
    }
}
