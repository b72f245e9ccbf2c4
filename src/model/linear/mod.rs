//! A linear layer (`y = x W + b`) with its backward pass as one kernel on the GPU backend.
//!
//! burn's tape replays a linear layer's backward pass as three operations: `dx = dy Wᵀ`,
//! `dW = xᵀ dy` (two products) and `db = Σ dy` (a sum over the rows): three launches per layer
//! and step, and a Transformer has 33 such layers. Here (on the GPU backend, when the products
//! are small enough for the small kernels, [`MAX_MULTIPLY_ADDS`](crate::model::small_matmul::MAX_MULTIPLY_ADDS))
//! the forward pass is burn's own (one launch: the product with its bias, `small_matmul`) and
//! the backward pass one kernel ([`kernel`]) that writes all three gradients. Elsewhere burn's
//! module runs as it is (on the CPU the numbers stay burn's, bit for bit).

#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod kernel;

use crate::model::recurrence::manual::{ManualOp, Plain, apply, on_cube};
use burn::backend::DispatchTensor;
use burn::nn::Linear;
use burn::prelude::*;

/// `layer` applied to `x` `[.., d_input]`: on the GPU backend with the backward pass as one
/// kernel ([`hand_written`]), elsewhere burn's `Linear::forward`.
pub fn forward<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    if on_cube(&x) {
        hand_written(layer, x)
    } else {
        layer.forward(x)
    }
}

/// `layer` applied to `x` `[batch, len, d_input]` and split into `heads` heads as attention
/// reads them: `[batch, heads, len, d_output / heads]` (a view of `[batch, len, d_output]`). On
/// the GPU backend with the backward pass as one kernel that reads the gradient in this layout
/// (no copy back to rows), elsewhere burn's `Linear::forward` and the same view.
pub fn forward_heads(layer: &Linear, x: Tensor<3>, heads: usize) -> Tensor<4> {
    if on_cube(&x) {
        hand_written_heads(layer, x, heads)
    } else {
        split_heads(layer.forward(x), heads)
    }
}

/// `x` `[batch, len, d]` as `[batch, heads, len, d / heads]` (a view).
fn split_heads(x: Tensor<3>, heads: usize) -> Tensor<4> {
    let [batch, len, d] = x.dims();
    x.reshape([batch, len, heads, d / heads]).swap_dims(1, 2)
}

/// `layer` applied to `x` `[.., d_input]`, the same values as `layer.forward(x)`, with the
/// backward pass written by hand, on any backend (burn's operations where no kernel applies).
/// A layer without a bias runs as burn's.
pub fn hand_written<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    let dims = x.dims();
    let rows = dims[..D - 1].iter().product::<usize>();
    let Some(output) = applied(layer, x.clone().reshape([rows, dims[D - 1]]), None) else {
        return layer.forward(x);
    };
    let mut out_dims = dims;
    out_dims[D - 1] = layer.weight.dims()[1];
    Tensor::<2>::from_dispatch(output).reshape(out_dims)
}

/// [`forward_heads`] with the backward pass written by hand, on any backend.
pub fn hand_written_heads(layer: &Linear, x: Tensor<3>, heads: usize) -> Tensor<4> {
    let [batch, len, d_input] = x.dims();
    let layout = Heads { len, heads };
    match applied(
        layer,
        x.clone().reshape([batch * len, d_input]),
        Some(layout),
    ) {
        Some(output) => Tensor::from_dispatch(output),
        None => split_heads(layer.forward(x), heads),
    }
}

/// [`LinearOp`] on `x` `[rows, d_input]`, `None` for a layer without a bias.
fn applied(layer: &Linear, x: Tensor<2>, heads: Option<Heads>) -> Option<DispatchTensor> {
    let bias = layer.bias.as_ref()?;
    let inputs = [
        x.into_dispatch(),
        layer.weight.val().into_dispatch(),
        bias.val().into_dispatch(),
    ];
    Some(apply(LinearOp { heads }, inputs).0)
}

/// `x W + b` for `x` `[rows, d_input]`, inputs `[x, W, b]`; the output `[rows, d_output]`, or
/// split into heads.
#[derive(Debug, Clone)]
struct LinearOp {
    heads: Option<Heads>,
}

/// An output `[batch * len, d_output]` viewed as `[batch, heads, len, d_output / heads]`.
#[derive(Debug, Clone, Copy)]
struct Heads {
    len: usize,
    heads: usize,
}

/// What the backward pass needs: the input and the weights.
#[derive(Debug, Clone)]
struct LinearSaved {
    x: Plain,
    weight: Plain,
}

impl ManualOp<3> for LinearOp {
    type Saved = LinearSaved;

    fn forward(&self, [x, weight, bias]: [Plain; 3]) -> (Plain, LinearSaved, Vec<Plain>) {
        let output = burn::tensor::module::linear(x.get::<2>(), weight.get(), Some(bias.get()));
        let output = match self.heads {
            None => Plain::new(output),
            Some(Heads { len, heads }) => {
                let [rows, d_output] = output.dims();
                Plain::new(split_heads(
                    output.reshape([rows / len, len, d_output]),
                    heads,
                ))
            }
        };
        (output, LinearSaved { x, weight }, Vec::new())
    }

    fn backward(&self, saved: LinearSaved, grad: Plain, needed: [bool; 3]) -> [Option<Plain>; 3] {
        let (x, weight) = (saved.x.get::<2>(), saved.weight.get::<2>());
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if grad.on_cube() && kernel::fits(&x, &weight) {
            let (d_x, d_weight, d_bias) = match self.heads {
                None => kernel::linear_backward(grad.get::<2>(), x, weight),
                Some(_) => kernel::linear_backward(grad.get::<4>(), x, weight),
            };
            return [
                needed[0].then(|| Plain::new(d_x)),
                needed[1].then(|| Plain::new(d_weight)),
                needed[2].then(|| Plain::new(d_bias)),
            ];
        }
        let grad = match self.heads {
            None => grad.get::<2>(),
            Some(_) => {
                let grad = grad.get::<4>().swap_dims(1, 2);
                let [batch, len, heads, d_k] = grad.dims();
                grad.reshape([batch * len, heads * d_k])
            }
        };
        // the three operations burn's tape replays
        [
            needed[0].then(|| Plain::new(grad.clone().matmul(weight.transpose()))),
            needed[1].then(|| Plain::new(x.transpose().matmul(grad.clone()))),
            needed[2].then(|| Plain::new(grad.sum_dim(0).squeeze_dim::<1>(0))),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::transformer::assert_close as close;
    use burn::nn::LinearConfig;
    use burn::tensor::Distribution;

    /// Values and the gradients of the input, weights and bias equal burn's `Linear` (whose
    /// backward pass the tape derives), for an input with two batch dimensions.
    #[test]
    fn values_and_gradients_equal_burns_linear() {
        let device = Device::flex().autodiff();
        let weights = Tensor::<3>::random([2, 4, 3], Distribution::Uniform(-1.0, 1.0), &device);
        compare_with_burns(3, |layer, x, ours| {
            let y = if ours {
                hand_written(layer, x)
            } else {
                layer.forward(x)
            };
            (y * weights.clone()).sum()
        });
    }

    /// Split into heads, the values and the gradients equal burn's `Linear` followed by the same
    /// view.
    #[test]
    fn split_into_heads_equals_burns_linear_and_the_view() {
        let device = Device::flex().autodiff();
        let weights = Tensor::<4>::random([2, 3, 4, 2], Distribution::Uniform(-1.0, 1.0), &device);
        compare_with_burns(6, |layer, x, ours| {
            let y = if ours {
                hand_written_heads(layer, x, 3)
            } else {
                split_heads(layer.forward(x), 3)
            };
            (y * weights.clone()).sum()
        });
    }

    /// Runs a layer `[2, 4, 5] -> [2, 4, d_output]` through `loss` with ours (`true`) and with
    /// burn's (`false`), and compares the loss and the gradients of the input, weights and bias.
    fn compare_with_burns(d_output: usize, loss: impl Fn(&Linear, Tensor<3>, bool) -> Tensor<1>) {
        let device = Device::flex().autodiff();
        let layer = LinearConfig::new(5, d_output).init(&device);
        // force the lazily initialised parameters before the two runs
        let _ = (layer.weight.val(), layer.bias.as_ref().map(|b| b.val()));
        let x = Tensor::<3>::random([2, 4, 5], Distribution::Normal(0.0, 1.0), &device);
        let run = |ours: bool| {
            let x = x.clone().detach().require_grad();
            let loss = loss(&layer, x.clone(), ours);
            let grads = loss.backward();
            let bias = layer.bias.as_ref().expect("a bias");
            (
                loss.inner(),
                x.grad(&grads).expect("dx").reshape([40]),
                layer
                    .weight
                    .grad(&grads)
                    .expect("dW")
                    .reshape([5 * d_output]),
                bias.grad(&grads).expect("db"),
            )
        };
        let (y, dx, dw, db) = run(true);
        let (y_burn, dx_burn, dw_burn, db_burn) = run(false);
        close(y, y_burn, "loss");
        close(dx, dx_burn, "dx");
        close(dw, dw_burn, "dW");
        close(db, db_burn, "db");
    }
}
