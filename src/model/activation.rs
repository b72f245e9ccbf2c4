//! `tanh`, computed as `2 sigmoid(2x) - 1`.
//!
//! Mathematically the same function. Measured (perf, native bench, one thread): burn's CPU
//! backend evaluates `tanh` element by element with the C library's `tanhf` (through `expm1f`),
//! which took about half of a training step of the default model, most of it in the additive
//! attention's `tanh` over `[batch, source_len, hidden]` at every decoder step. Its `sigmoid`
//! uses `expf`, several times cheaper; the extra scalings are cheap element-wise passes (on
//! WebGPU and the native `wgpu` feature, burn's `fusion`, which both builds enable, joins them
//! with their neighbours into one kernel; on the CPU they are separate passes).

use burn::prelude::*;
use burn::tensor::activation::sigmoid;

/// Hyperbolic tangent, `2 sigmoid(2x) - 1`.
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    sigmoid(x * 2.0) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_hyperbolic_tangent() {
        let device = Device::flex();
        let xs: Vec<f32> = (-60..=60).map(|i| i as f32 * 0.25).collect();
        let x = Tensor::<1>::from_floats(xs.as_slice(), &device);
        let ours: Vec<f32> = tanh(x).into_data().iter::<f32>().collect();
        for (x, y) in xs.iter().zip(ours) {
            assert!(
                (y - x.tanh()).abs() < 1e-6,
                "tanh({x}) = {y}, not {}",
                x.tanh()
            );
        }
    }
}
