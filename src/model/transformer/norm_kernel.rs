//! A layer norm's forward and backward passes as one CubeCL kernel each on the GPU backend, where
//! burn's operations launch about five for the forward pass (mean, centring, variance, root and
//! division, scale and shift) and six for the backward pass (two sums over the rows, two means
//! over each row, the element-wise products between them). Forward: one cube per row computes
//! its mean and deviation and writes the output, the normalised row and the deviation the
//! backward pass reads ([`norm`](super::norm)). Backward: one cube per row writes that row's
//! input gradient, and a few more cubes (one unit per column) sum γ's and β's gradients over the
//! rows.

use crate::model::Stretches;
use crate::model::recurrence::kernels::units_per_row;
use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::prelude::Tensor as BurnTensor;
use burn::tensor::{DType, Shape};
use burn_cubecl::CubeBackend;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

/// `x` `[rows, d]` (any strides), `gamma`, `beta` `[d]`: writes to `out` the output `[rows,
/// d]`, the normalised rows `x̂` `[rows, d]`, then the deviations `σ = sqrt(var + ε)` `[rows]`.
/// burn's operations per element (`x̂ = (x - mean) / σ`, `y = x̂ γ + β`), the sums in order.
#[cube(launch)]
fn layer_norm_forward_kernel(
    x: &Tensor<f32>,
    gamma: &Tensor<f32>,
    beta: &Tensor<f32>,
    out: &mut Tensor<f32>,
    epsilon: f32,
) {
    let rows = x.shape(0);
    let width = x.shape(1);
    let row = CUBE_POS_X as usize;
    let threads = CUBE_DIM_X as usize;
    let at = row * x.stride(0);
    let step = x.stride(1);
    // every unit computes the same mean and variance
    let mut sum = 0.0f32;
    for i in 0..width {
        sum += x[at + i * step];
    }
    let mean = sum / width as f32;
    let mut squares = 0.0f32;
    for i in 0..width {
        let centered = x[at + i * step] - mean;
        squares += centered * centered;
    }
    let deviation = (squares / width as f32 + epsilon).sqrt();
    let normalized_at = rows * width;
    let mut i = UNIT_POS_X as usize;
    while i < width {
        let normalized = (x[at + i * step] - mean) / deviation;
        out[normalized_at + row * width + i] = normalized;
        out[row * width + i] = normalized * gamma[i * gamma.stride(0)] + beta[i * beta.stride(0)];
        i += threads;
    }
    if UNIT_POS_X == 0 {
        out[2 * normalized_at + row] = deviation;
    }
}

/// The backward pass: `grad` (`dy`) and `normalized` (`x̂`) `[rows, d]`, `deviation` (`σ`)
/// `[rows, 1]`, `gamma` `[d]` (any strides). Writes to `out` the input's gradient `[rows, d]`,
/// `dx = (g - mean(g) - x̂ · mean(g · x̂)) / σ` with `g = dy · γ` (cubes `0..rows`, one per row),
/// then `dγ = Σ dy · x̂` `[d]` and `dβ = Σ dy` `[d]`, summed over the rows in order (the cubes
/// after those, one unit per column).
#[cube(launch)]
fn layer_norm_backward_kernel(
    grad: &Tensor<f32>,
    normalized: &Tensor<f32>,
    deviation: &Tensor<f32>,
    gamma: &Tensor<f32>,
    out: &mut Tensor<f32>,
) {
    let rows = grad.shape(0);
    let width = grad.shape(1);
    let cube = CUBE_POS_X as usize;
    let threads = CUBE_DIM_X as usize;
    let grad_step = grad.stride(1);
    let normalized_step = normalized.stride(1);
    let gamma_step = gamma.stride(0);
    if cube < rows {
        let grad_at = cube * grad.stride(0);
        let normalized_at = cube * normalized.stride(0);
        // every unit computes the same two means
        let mut sum_g = 0.0f32;
        let mut sum_g_normalized = 0.0f32;
        for i in 0..width {
            let g = grad[grad_at + i * grad_step] * gamma[i * gamma_step];
            sum_g += g;
            sum_g_normalized += g * normalized[normalized_at + i * normalized_step];
        }
        let mean_g = sum_g / width as f32;
        let mean_g_normalized = sum_g_normalized / width as f32;
        let sigma = deviation[cube * deviation.stride(0)];
        let mut i = UNIT_POS_X as usize;
        while i < width {
            let g = grad[grad_at + i * grad_step] * gamma[i * gamma_step];
            let x_hat = normalized[normalized_at + i * normalized_step];
            out[cube * width + i] = (g - mean_g - x_hat * mean_g_normalized) / sigma;
            i += threads;
        }
    } else {
        let column = (cube - rows) * threads + UNIT_POS_X as usize;
        if column < width {
            let mut d_gamma = 0.0f32;
            let mut d_beta = 0.0f32;
            for row in 0..rows {
                let dy = grad[row * grad.stride(0) + column * grad_step];
                d_gamma += dy * normalized[row * normalized.stride(0) + column * normalized_step];
                d_beta += dy;
            }
            out[rows * width + column] = d_gamma;
            out[rows * width + width + column] = d_beta;
        }
    }
}

/// The kernels as operations of the GPU backend (and of its fused wrapper).
#[backend_extension(Cube, Fusion)]
pub trait NormKernels: Backend {
    /// [`layer_norm_forward_kernel`].
    #[fusion(meta = layer_norm_forward_meta)]
    fn layer_norm_forward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f32,
    ) -> FloatTensor<Self>;

    /// [`layer_norm_backward_kernel`].
    #[fusion(meta = layer_norm_backward_meta)]
    fn layer_norm_backward(
        grad: FloatTensor<Self>,
        normalized: FloatTensor<Self>,
        deviation: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// Elements of the forward kernel's output for `[rows, d]`: output, normalised rows, deviations.
fn output_len(rows: usize, width: usize) -> usize {
    rows * (2 * width + 1)
}

/// Elements of the backward kernel's output for `[rows, d]`: `dx`, `dγ`, `dβ`.
fn gradients_len(rows: usize, width: usize) -> usize {
    (rows + 2) * width
}

fn layer_norm_forward_meta(
    x: &TensorSpec,
    _gamma: &TensorSpec,
    _beta: &TensorSpec,
    _epsilon: &f32,
) -> TensorSpec {
    TensorSpec::new(Shape::new([output_len(x.shape[0], x.shape[1])]), DType::F32)
}

fn layer_norm_backward_meta(
    grad: &TensorSpec,
    _normalized: &TensorSpec,
    _deviation: &TensorSpec,
    _gamma: &TensorSpec,
) -> TensorSpec {
    TensorSpec::new(
        Shape::new([gradients_len(grad.shape[0], grad.shape[1])]),
        DType::F32,
    )
}

impl NormKernels for CubeBackend {
    fn layer_norm_forward(
        x: CubeTensor,
        gamma: CubeTensor,
        beta: CubeTensor,
        epsilon: f32,
    ) -> CubeTensor {
        let [rows, width] = x.meta.shape().dims::<2>();
        let client = x.client.clone();
        let out = empty_device_contiguous_dtype(
            client.clone(),
            x.device.clone(),
            Shape::new([output_len(rows, width)]),
            DType::F32,
        );
        let units = units_per_row(&x, width);
        layer_norm_forward_kernel::launch(
            &client,
            CubeCount::Static(rows as u32, 1, 1),
            CubeDim::new_1d(units),
            x.into_tensor_arg(),
            gamma.into_tensor_arg(),
            beta.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            epsilon,
        );
        out
    }

    fn layer_norm_backward(
        grad: CubeTensor,
        normalized: CubeTensor,
        deviation: CubeTensor,
        gamma: CubeTensor,
    ) -> CubeTensor {
        let [rows, width] = grad.meta.shape().dims::<2>();
        let client = grad.client.clone();
        let out = empty_device_contiguous_dtype(
            client.clone(),
            grad.device.clone(),
            Shape::new([gradients_len(rows, width)]),
            DType::F32,
        );
        let units = units_per_row(&grad, width);
        let column_cubes = width.div_ceil(units as usize);
        layer_norm_backward_kernel::launch(
            &client,
            CubeCount::Static((rows + column_cubes) as u32, 1, 1),
            CubeDim::new_1d(units),
            grad.into_tensor_arg(),
            normalized.into_tensor_arg(),
            deviation.into_tensor_arg(),
            gamma.into_tensor_arg(),
            out.clone().into_tensor_arg(),
        );
        out
    }
}

/// The forward pass through burn's dispatch: the output and `x̂` `[rows, d]`, and `σ` `[rows,
/// 1]`.
pub fn layer_norm_forward(
    x: BurnTensor<2>,
    gamma: BurnTensor<1>,
    beta: BurnTensor<1>,
    epsilon: f32,
) -> [BurnTensor<2>; 3] {
    let [rows, width] = x.dims();
    let flat: BurnTensor<1> =
        BurnTensor::from_dispatch(<Dispatch as NormKernels>::layer_norm_forward(
            x.into_dispatch(),
            gamma.into_dispatch(),
            beta.into_dispatch(),
            epsilon,
        ));
    let mut outputs = Stretches::new(flat);
    let output = outputs.next([rows, width]);
    let normalized = outputs.next([rows, width]);
    let deviation = outputs.next([rows, 1]);
    [output, normalized, deviation]
}

/// The backward pass through burn's dispatch: `dx` `[rows, d]`, `dγ` and `dβ` `[d]`.
pub fn layer_norm_backward(
    grad: BurnTensor<2>,
    normalized: BurnTensor<2>,
    deviation: BurnTensor<2>,
    gamma: BurnTensor<1>,
) -> (BurnTensor<2>, BurnTensor<1>, BurnTensor<1>) {
    let [rows, width] = grad.dims();
    let flat: BurnTensor<1> =
        BurnTensor::from_dispatch(<Dispatch as NormKernels>::layer_norm_backward(
            grad.into_dispatch(),
            normalized.into_dispatch(),
            deviation.into_dispatch(),
            gamma.into_dispatch(),
        ));
    let mut grads = Stretches::new(flat);
    (
        grads.next([rows, width]),
        grads.next([width]),
        grads.next([width]),
    )
}
