//! The kernel: one thread per output element, a dot product read through the operands' strides.

use burn::tensor::Shape;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;
use cubecl::{CubeDim, calculate_cube_count_elemwise};

/// `out = lhs x rhs` for `[.., m, k] x [.., k, n]` (batch dimensions broadcast where an
/// operand has size 1). `out` is contiguous; the operands may have any strides.
#[cube(launch)]
fn small_matmul_kernel(
    lhs: &Tensor<f32>,
    rhs: &Tensor<f32>,
    out: &mut Tensor<f32>,
    #[comptime] rank: usize,
) {
    let index = ABSOLUTE_POS;
    if index < out.len() {
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
        out[index] = sum;
    }
}

/// `lhs x rhs` on the GPU backend with the small kernel; `out_shape` is the product's shape
/// (batch dimensions broadcast).
pub fn small_matmul(lhs: CubeTensor, rhs: CubeTensor, out_shape: Shape) -> CubeTensor {
    let rank = out_shape.num_dims();
    let total = out_shape.num_elements();
    let client = lhs.client.clone();
    let out =
        empty_device_contiguous_dtype(client.clone(), lhs.device.clone(), out_shape, lhs.dtype);
    let cube_dim = CubeDim::new(&client, total);
    let cube_count = calculate_cube_count_elemwise(&client, total, cube_dim);
    small_matmul_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        lhs.into_tensor_arg(),
        rhs.into_tensor_arg(),
        out.clone().into_tensor_arg(),
        rank,
    );
    out
}
