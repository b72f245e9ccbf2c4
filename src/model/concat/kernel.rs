//! The kernel: a thread per output element of a group of up to seven inputs, reading the input
//! whose stretch of the concatenated axis holds it.

use super::INPUTS_PER_LAUNCH;
use burn::tensor::Shape;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;
use cubecl::{CubeDim, calculate_cube_count_elemwise};

/// Copies a group of inputs into `out`, seen as rows of `out_columns` (the concatenated axis
/// and everything after it): input `i` covers the group's columns `ends[i-1]..ends[i]`
/// (`ends[-1] = 0`), which start at `first_column` in `out`. Inputs past the group's last are
/// one-element stand-ins with an empty stretch (`ends` repeats), never read.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn concat_kernel(
    out: &mut Tensor<f32>,
    in0: &Tensor<f32>,
    in1: &Tensor<f32>,
    in2: &Tensor<f32>,
    in3: &Tensor<f32>,
    in4: &Tensor<f32>,
    in5: &Tensor<f32>,
    in6: &Tensor<f32>,
    ends: Sequence<u32>,
    out_columns: u32,
    first_column: u32,
    rows: u32,
) {
    let columns = ends[6] as usize;
    let index = ABSOLUTE_POS;
    if index < rows as usize * columns {
        let row = index / columns;
        let column = index % columns;
        let at = row * out_columns as usize + first_column as usize + column;
        let e0 = ends[0] as usize;
        let e1 = ends[1] as usize;
        let e2 = ends[2] as usize;
        let e3 = ends[3] as usize;
        let e4 = ends[4] as usize;
        let e5 = ends[5] as usize;
        if column < e0 {
            out[at] = in0[row * e0 + column];
        } else if column < e1 {
            out[at] = in1[row * (e1 - e0) + column - e0];
        } else if column < e2 {
            out[at] = in2[row * (e2 - e1) + column - e1];
        } else if column < e3 {
            out[at] = in3[row * (e3 - e2) + column - e2];
        } else if column < e4 {
            out[at] = in4[row * (e4 - e3) + column - e3];
        } else if column < e5 {
            out[at] = in5[row * (e5 - e4) + column - e4];
        } else {
            out[at] = in6[row * (columns - e5) + column - e5];
        }
    }
}

/// `inputs` concatenated along `dim` on the GPU backend (float tensors of one rank, equal but
/// for `dim`), one launch per [`INPUTS_PER_LAUNCH`] inputs.
pub fn concat(inputs: Vec<CubeTensor>, dim: usize) -> CubeTensor {
    let first = &inputs[0];
    let (client, device, dtype) = (first.client.clone(), first.device.clone(), first.dtype);
    let dims = first.meta.shape().clone();
    let rows: usize = dims.iter().take(dim).product();
    let inner: usize = dims.iter().skip(dim + 1).product();
    let widths: Vec<usize> = inputs
        .iter()
        .map(|input| input.meta.shape()[dim] * inner)
        .collect();
    let out_columns: usize = widths.iter().sum();
    let mut out_dims = dims.clone();
    out_dims[dim] = inputs.iter().map(|input| input.meta.shape()[dim]).sum();
    let out = empty_device_contiguous_dtype(client.clone(), device.clone(), out_dims, dtype);
    let stand_in =
        || empty_device_contiguous_dtype(client.clone(), device.clone(), Shape::new([1]), dtype);
    let mut first_column = 0;
    let mut inputs = inputs.into_iter().zip(widths);
    loop {
        let group: Vec<(CubeTensor, usize)> = inputs.by_ref().take(INPUTS_PER_LAUNCH).collect();
        if group.is_empty() {
            break;
        }
        let mut ends = SequenceArg::new();
        let mut end = 0;
        let mut args = Vec::with_capacity(INPUTS_PER_LAUNCH);
        for (input, width) in group {
            end += width;
            ends.push(end as u32);
            args.push(into_contiguous(input).into_tensor_arg());
        }
        while args.len() < INPUTS_PER_LAUNCH {
            ends.push(end as u32);
            args.push(stand_in().into_tensor_arg());
        }
        let total = rows * end;
        if total > 0 {
            let cube_dim = CubeDim::new(&client, total);
            let cube_count = calculate_cube_count_elemwise(&client, total, cube_dim);
            let [a, b, c, d, e, f, g]: [TensorArg; INPUTS_PER_LAUNCH] = args
                .try_into()
                .unwrap_or_else(|_| unreachable!("padded to seven inputs"));
            concat_kernel::launch(
                &client,
                cube_count,
                cube_dim,
                out.clone().into_tensor_arg(),
                a,
                b,
                c,
                d,
                e,
                f,
                g,
                ends,
                out_columns as u32,
                first_column as u32,
                rows as u32,
            );
        }
        first_column += end;
    }
    out
}
