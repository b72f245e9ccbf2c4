//! A linear layer's backward pass as one CubeCL kernel: one thread per element of the three
//! gradients, each a dot product read through the operands' strides (as the small products'
//! kernel, `small_matmul`, computes them), the bias's a sum over the rows.

use crate::model::Stretches;
use crate::model::small_matmul::MAX_MULTIPLY_ADDS;
use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::prelude::Tensor as BurnTensor;
use burn::tensor::{DType, Shape};
use burn_cubecl::CubeBackend;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;
use cubecl::{CubeDim, calculate_cube_count_elemwise};

/// Where `dy[r, j]` lies in `grad`: `grad` is `[rows, d_output]`, or with `heads` the same
/// gradient in attention's heads layout `[batch, heads, len, d_k]` (row `r = b * len + l`,
/// column `j = h * d_k + d`), any strides.
#[cube]
fn grad_at(grad: &Tensor<f32>, r: usize, j: usize, #[comptime] heads: bool) -> usize {
    if comptime![heads] {
        let len = grad.shape(2);
        let d_k = grad.shape(3);
        (r / len) * grad.stride(0)
            + (j / d_k) * grad.stride(1)
            + (r % len) * grad.stride(2)
            + (j % d_k) * grad.stride(3)
    } else {
        r * grad.stride(0) + j * grad.stride(1)
    }
}

/// `grad` (`dy`, see [`grad_at`]), `x` `[rows, d_input]`, `weight` (`W`) `[d_input,
/// d_output]` (any strides). Writes to `out`, one thread per element: `dx = dy Wᵀ` `[rows,
/// d_input]`, then `dW = xᵀ dy` `[d_input, d_output]`, then `db = Σ dy` over the rows
/// `[d_output]`; every sum in order.
#[cube(launch)]
fn linear_backward_kernel(
    grad: &Tensor<f32>,
    x: &Tensor<f32>,
    weight: &Tensor<f32>,
    out: &mut Tensor<f32>,
    #[comptime] heads: bool,
) {
    let rows = x.shape(0);
    let d_input = x.shape(1);
    let d_output = weight.shape(1);
    let d_x_len = rows * d_input;
    let d_weight_len = d_input * d_output;
    let index = ABSOLUTE_POS;
    if index < d_x_len {
        // dx[r, i] = Σ_j dy[r, j] W[i, j]
        let r = index / d_input;
        let i = index % d_input;
        let mut weight_at = i * weight.stride(0);
        let mut sum = 0.0f32;
        for j in 0..d_output {
            sum += grad[grad_at(grad, r, j, heads)] * weight[weight_at];
            weight_at += weight.stride(1);
        }
        out[index] = sum;
    } else if index < d_x_len + d_weight_len {
        // dW[i, j] = Σ_r x[r, i] dy[r, j]
        let at = index - d_x_len;
        let i = at / d_output;
        let j = at % d_output;
        let mut x_at = i * x.stride(1);
        let mut sum = 0.0f32;
        for r in 0..rows {
            sum += x[x_at] * grad[grad_at(grad, r, j, heads)];
            x_at += x.stride(0);
        }
        out[index] = sum;
    } else if index < d_x_len + d_weight_len + d_output {
        // db[j] = Σ_r dy[r, j]
        let j = index - d_x_len - d_weight_len;
        let mut sum = 0.0f32;
        for r in 0..rows {
            sum += grad[grad_at(grad, r, j, heads)];
        }
        out[index] = sum;
    }
}

/// Elements of the kernel's output: `dx`, `dW`, `db`.
fn output_len(rows: usize, d_input: usize, d_output: usize) -> usize {
    rows * d_input + d_input * d_output + d_output
}

/// The kernel as an operation of the GPU backend (and of its fused wrapper).
#[backend_extension(Cube, Fusion)]
pub trait LinearKernels: Backend {
    /// [`linear_backward_kernel`].
    #[fusion(meta = linear_backward_meta)]
    fn linear_backward(
        grad: FloatTensor<Self>,
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

fn linear_backward_meta(_grad: &TensorSpec, x: &TensorSpec, weight: &TensorSpec) -> TensorSpec {
    let len = output_len(x.shape[0], x.shape[1], weight.shape[1]);
    TensorSpec::new(Shape::new([len]), DType::F32)
}

impl LinearKernels for CubeBackend {
    fn linear_backward(grad: CubeTensor, x: CubeTensor, weight: CubeTensor) -> CubeTensor {
        let [rows, d_input] = x.meta.shape().dims::<2>();
        let d_output = weight.meta.shape().dims::<2>()[1];
        let heads = grad.meta.shape().num_dims() == 4;
        let total = output_len(rows, d_input, d_output);
        let client = grad.client.clone();
        let out = empty_device_contiguous_dtype(
            client.clone(),
            grad.device.clone(),
            Shape::new([total]),
            DType::F32,
        );
        let cube_dim = CubeDim::new(&client, total);
        let cube_count = calculate_cube_count_elemwise(&client, total, cube_dim);
        linear_backward_kernel::launch(
            &client,
            cube_count,
            cube_dim,
            grad.into_tensor_arg(),
            x.into_tensor_arg(),
            weight.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            heads,
        );
        out
    }
}

/// Whether a layer of these operands is small enough for the kernel (each of its products at
/// most [`MAX_MULTIPLY_ADDS`], as for the forward pass's small kernel); larger layers keep
/// burn's tiled products.
pub fn fits(x: &BurnTensor<2>, weight: &BurnTensor<2>) -> bool {
    let [rows, d_input] = x.dims();
    rows * d_input * weight.dims()[1] <= MAX_MULTIPLY_ADDS
}

/// The backward pass through burn's dispatch, for `grad` `[rows, d_output]` or, in attention's
/// heads layout, `[batch, heads, len, d_k]` (`D` = 2 or 4): `dx` `[rows, d_input]`, `dW`
/// `[d_input, d_output]`, `db` `[d_output]`.
pub fn linear_backward<const D: usize>(
    grad: BurnTensor<D>,
    x: BurnTensor<2>,
    weight: BurnTensor<2>,
) -> (BurnTensor<2>, BurnTensor<2>, BurnTensor<1>) {
    let [rows, d_input] = x.dims();
    let d_output = weight.dims()[1];
    let flat: BurnTensor<1> =
        BurnTensor::from_dispatch(<Dispatch as LinearKernels>::linear_backward(
            grad.into_dispatch(),
            x.into_dispatch(),
            weight.into_dispatch(),
        ));
    let mut grads = Stretches::new(flat);
    (
        grads.next([rows, d_input]),
        grads.next([d_input, d_output]),
        grads.next([d_output]),
    )
}
