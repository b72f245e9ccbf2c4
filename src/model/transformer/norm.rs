//! Layer norm with its backward pass written by hand.
//!
//! burn's `layer_norm` is a composite of ten tensor operations (mean, centre, square, mean,
//! root, divide, scale, shift), and the backward pass the tape records for it replays each one:
//! ~25 GPU kernel launches per norm and step, because fusion cannot merge steps that alternate
//! between per-row (`[rows, 1]`) and per-element (`[rows, d]`) shapes. A Transformer has a norm
//! around every sublayer: that was a third of its launches. Here (on the GPU backend) the
//! forward pass is one kernel and the backward pass another (`norm_kernel`; elsewhere burn's
//! operations), and the backward pass computes the three gradients from the saved normalised
//! input:
//! `dx = (g - mean(g) - x̂ · mean(g · x̂)) / σ` with `g = dy · γ`, `dγ = Σ dy · x̂`, `dβ = Σ dy`.

use crate::model::recurrence::manual::{ManualOp, Plain, apply, on_cube};
use burn::nn::{LayerNorm, LayerNormConfig};
use burn::prelude::*;

/// The norms' epsilon (burn's default), added to the variance before the root.
pub const EPSILON: f64 = 1e-5;

/// A layer norm over the last axis of width `d_model`, with burn's parameters (γ ones, β zeros).
pub fn layer_norm_init(d_model: usize, device: &Device) -> LayerNorm {
    LayerNormConfig::new(d_model)
        .with_epsilon(EPSILON)
        .init(device)
}

/// `norm` applied to `x` `[batch, len, d_model]`: on the GPU backend with the hand-written
/// backward pass ([`hand_written`]), elsewhere burn's own (on the CPU a tape's extra operations
/// cost no launches, and the numbers stay burn's, bit for bit).
pub fn layer_norm(norm: &LayerNorm, x: Tensor<3>) -> Tensor<3> {
    if on_cube(&x) {
        hand_written(norm, x)
    } else {
        norm.forward(x)
    }
}

/// `norm` applied to `x` `[batch, len, d_model]`, the same values as `norm.forward(x)`, with the
/// backward pass written by hand, on any backend.
pub fn hand_written(norm: &LayerNorm, x: Tensor<3>) -> Tensor<3> {
    let Some(beta) = &norm.beta else {
        return norm.forward(x);
    };
    let [batch, len, d_model] = x.dims();
    let (output, _) = apply(
        LayerNormOp { epsilon: EPSILON },
        [
            x.reshape([batch * len, d_model]).into_dispatch(),
            norm.gamma.val().into_dispatch(),
            beta.val().into_dispatch(),
        ],
    );
    Tensor::<2>::from_dispatch(output).reshape([batch, len, d_model])
}

/// Layer norm over the rows of `[rows, d]`, inputs `[x, γ, β]`.
#[derive(Debug, Clone)]
struct LayerNormOp {
    epsilon: f64,
}

/// What the backward pass needs.
#[derive(Debug, Clone)]
struct LayerNormSaved {
    /// `x̂ = (x - mean) / σ` `[rows, d]`.
    normalized: Plain,
    /// `σ = sqrt(var + ε)` `[rows, 1]`.
    deviation: Plain,
    /// `γ` `[d]`.
    gamma: Plain,
}

impl ManualOp<3> for LayerNormOp {
    type Saved = LayerNormSaved;

    fn forward(&self, [x, gamma, beta]: [Plain; 3]) -> (Plain, LayerNormSaved, Vec<Plain>) {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if x.on_cube() {
            // one kernel: burn's operations per element (`norm_kernel`)
            let [output, normalized, deviation] = super::norm_kernel::layer_norm_forward(
                x.get(),
                gamma.get(),
                beta.get(),
                self.epsilon as f32,
            );
            let saved = LayerNormSaved {
                normalized: Plain::new(normalized),
                deviation: Plain::new(deviation),
                gamma,
            };
            return (Plain::new(output), saved, Vec::new());
        }
        // burn's `ModuleOps::layer_norm`, operation for operation
        let x = x.get::<2>();
        let mean = x.clone().mean_dim(1);
        let centered = x - mean;
        let variance = (centered.clone() * centered.clone()).mean_dim(1);
        let deviation = variance.add_scalar(self.epsilon).sqrt();
        let normalized = centered / deviation.clone();
        let output = normalized.clone() * gamma.get::<1>().unsqueeze::<2>()
            + beta.get::<1>().unsqueeze::<2>();
        let saved = LayerNormSaved {
            normalized: Plain::new(normalized),
            deviation: Plain::new(deviation),
            gamma,
        };
        (Plain::new(output), saved, Vec::new())
    }

    fn backward(
        &self,
        saved: LayerNormSaved,
        grad: Plain,
        needed: [bool; 3],
    ) -> [Option<Plain>; 3] {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if grad.on_cube() {
            // one kernel (`norm_kernel`), all three gradients
            let (d_x, d_gamma, d_beta) = super::norm_kernel::layer_norm_backward(
                grad.get(),
                saved.normalized.get(),
                saved.deviation.get(),
                saved.gamma.get(),
            );
            return [
                needed[0].then(|| Plain::new(d_x)),
                needed[1].then(|| Plain::new(d_gamma)),
                needed[2].then(|| Plain::new(d_beta)),
            ];
        }
        let grad = grad.get::<2>();
        let normalized = saved.normalized.get::<2>();
        let d_beta = needed[2].then(|| Plain::new(grad.clone().sum_dim(0).squeeze_dim::<1>(0)));
        let d_gamma = needed[1].then(|| {
            let scaled = grad.clone() * normalized.clone();
            Plain::new(scaled.sum_dim(0).squeeze_dim::<1>(0))
        });
        let d_x = needed[0].then(|| {
            let g = grad * saved.gamma.get::<1>().unsqueeze::<2>();
            let mean_g = g.clone().mean_dim(1);
            let mean_g_normalized = (g.clone() * normalized.clone()).mean_dim(1);
            let d_x = (g - mean_g - normalized * mean_g_normalized) / saved.deviation.get::<2>();
            Plain::new(d_x)
        });
        [d_x, d_gamma, d_beta]
    }
}

#[cfg(test)]
mod tests {
    use super::super::assert_close as close;
    use super::*;
    use burn::tensor::Distribution;

    /// Values and all three gradients equal burn's own layer norm (whose backward pass the
    /// tape derives), on a norm with trained-looking γ and β and a loss that weighs every output
    /// differently.
    #[test]
    fn values_and_gradients_equal_burns_layer_norm() {
        let device = Device::flex().autodiff();
        let mut norm = layer_norm_init(6, &device);
        norm.gamma = norm
            .gamma
            .map(|g| g.random_like(Distribution::Normal(1.0, 0.5)).require_grad());
        norm.beta = norm
            .beta
            .map(|b| b.map(|b| b.random_like(Distribution::Normal(0.0, 0.5)).require_grad()));
        let x = Tensor::<3>::random([2, 3, 6], Distribution::Normal(0.5, 2.0), &device);
        let weights = Tensor::<3>::random([2, 3, 6], Distribution::Uniform(-1.0, 1.0), &device);
        let run = |ours: bool| {
            let x = x.clone().detach().require_grad();
            let y = if ours {
                hand_written(&norm, x.clone())
            } else {
                norm.forward(x.clone())
            };
            let grads = (y.clone() * weights.clone()).sum().backward();
            let flat = |t: Tensor<3>| t.reshape([36]);
            (
                flat(y).inner(),
                flat(x.grad(&grads).expect("x's gradient")),
                norm.gamma.grad(&grads).expect("γ's gradient"),
                norm.beta
                    .as_ref()
                    .unwrap()
                    .grad(&grads)
                    .expect("β's gradient"),
            )
        };
        let (y, dx, dgamma, dbeta) = run(true);
        let (y_burn, dx_burn, dgamma_burn, dbeta_burn) = run(false);
        close(y, y_burn, "output");
        close(dx, dx_burn, "dx");
        close(dgamma, dgamma_burn, "dγ");
        close(dbeta, dbeta_burn, "dβ");
    }
}
