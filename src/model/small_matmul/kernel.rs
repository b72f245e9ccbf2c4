//! The kernels: one thread per output element, a dot product read through the operands'
//! strides; the second adds a bias row to it (a linear layer's `x W + b` in one launch).

use burn::tensor::Shape;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;
use cubecl::{CubeDim, calculate_cube_count_elemwise};

/// Output element `index` of `lhs x rhs` for `[.., m, k] x [.., k, n]` (batch dimensions
/// broadcast where an operand has size 1), `out` contiguous (only its sizes are read), the
/// operands of any strides.
#[cube]
fn dot_at(
    lhs: &Tensor<f32>,
    rhs: &Tensor<f32>,
    out: &mut Tensor<f32>,
    index: usize,
    #[comptime] rank: usize,
) -> f32 {
    let rows = comptime![rank - 2];
    let columns = comptime![rank - 1];
    let row = (index / out.stride(rows)) % out.shape(rows);
    let column = index % out.shape(columns);
    let mut lhs_at = row * lhs.stride(rows);
    let mut rhs_at = column * rhs.stride(columns);
    for dim in 0..rows {
        let at = (index / out.stride(dim)) % out.shape(dim);
        if lhs.shape(dim) != 1 {
            lhs_at += at * lhs.stride(dim);
        }
        if rhs.shape(dim) != 1 {
            rhs_at += at * rhs.stride(dim);
        }
    }
    let lhs_step = lhs.stride(columns);
    let rhs_step = rhs.stride(rows);
    let mut sum = 0.0f32;
    for _ in 0..lhs.shape(columns) {
        sum += lhs[lhs_at] * rhs[rhs_at];
        lhs_at += lhs_step;
        rhs_at += rhs_step;
    }
    sum
}

/// `out = lhs x rhs`.
#[cube(launch)]
fn small_matmul_kernel(
    lhs: &Tensor<f32>,
    rhs: &Tensor<f32>,
    out: &mut Tensor<f32>,
    #[comptime] rank: usize,
) {
    let index = ABSOLUTE_POS;
    if index < out.len() {
        out[index] = dot_at(lhs, rhs, out, index, rank);
    }
}

/// `out = lhs x rhs + bias`, `bias` a vector of the output's last dimension, added to every
/// row (after the sum, as a separate addition would).
#[cube(launch)]
fn small_matmul_bias_kernel(
    lhs: &Tensor<f32>,
    rhs: &Tensor<f32>,
    bias: &Tensor<f32>,
    out: &mut Tensor<f32>,
    #[comptime] rank: usize,
) {
    let index = ABSOLUTE_POS;
    if index < out.len() {
        let column = index % out.shape(comptime![rank - 1]);
        out[index] = dot_at(lhs, rhs, out, index, rank) + bias[column * bias.stride(0)];
    }
}

/// `lhs x rhs (+ bias)` on the GPU backend with the small kernel; `out_shape` is the product's
/// shape (batch dimensions broadcast); `bias`, when given, is a vector of its last dimension.
pub fn small_matmul(
    lhs: CubeTensor,
    rhs: CubeTensor,
    bias: Option<CubeTensor>,
    out_shape: Shape,
) -> CubeTensor {
    let rank = out_shape.num_dims();
    let total = out_shape.num_elements();
    let client = lhs.client.clone();
    let out =
        empty_device_contiguous_dtype(client.clone(), lhs.device.clone(), out_shape, lhs.dtype);
    let cube_dim = CubeDim::new(&client, total);
    let cube_count = calculate_cube_count_elemwise(&client, total, cube_dim);
    match bias {
        None => small_matmul_kernel::launch(
            &client,
            cube_count,
            cube_dim,
            lhs.into_tensor_arg(),
            rhs.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            rank,
        ),
        Some(bias) => small_matmul_bias_kernel::launch(
            &client,
            cube_count,
            cube_dim,
            lhs.into_tensor_arg(),
            rhs.into_tensor_arg(),
            bias.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            rank,
        ),
    }
    out
}
