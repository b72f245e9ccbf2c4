//! Gradient clipping by global norm: all gradients are scaled by one factor so that their joint
//! L2 norm is at most a threshold (burn's own clipping works per parameter tensor). Everything
//! stays on the device: no read-back.

use burn::prelude::*;

/// Clips `grad` (all of a model's gradients in one vector) to a global L2 norm of at most
/// `max_norm` (unchanged when `max_norm` is 0). Returns the clipped vector and the norm before
/// clipping `[1]`, for the metrics.
pub fn clip_by_global_norm(grad: Tensor<1>, max_norm: f64) -> (Tensor<1>, Tensor<1>) {
    let norm = grad.clone().square().sum().sqrt();
    if max_norm > 0.0 {
        let factor = (norm.clone().add_scalar(1e-6).recip() * max_norm).clamp_max(1.0);
        (grad * factor, norm)
    } else {
        (grad, norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(values: &[f32]) -> f32 {
        values.iter().map(|v| v * v).sum::<f32>().sqrt()
    }

    #[test]
    fn clipping_scales_all_gradients_to_the_threshold() {
        let device = Device::flex();
        let values = [3.0, -4.0, 12.0, 0.5];
        let grad = Tensor::<1>::from_floats(values, &device);
        let (clipped, reported) = clip_by_global_norm(grad.clone(), 1.0);
        assert!((reported.into_scalar::<f32>() - norm(&values)).abs() < 1e-4);
        let clipped: Vec<f32> = clipped.into_data().iter::<f32>().collect();
        assert!(
            (norm(&clipped) - 1.0).abs() < 1e-4,
            "norm after clipping: {clipped:?}"
        );
        // one factor for all: the direction is kept
        for (c, v) in clipped.iter().zip(values) {
            assert!((c * norm(&values) - v).abs() < 1e-3);
        }
        // Below the threshold, or without clipping, nothing changes.
        for max_norm in [50.0, 0.0] {
            let (same, _) = clip_by_global_norm(grad.clone(), max_norm);
            assert_eq!(same.into_data(), grad.clone().into_data());
        }
    }
}
