//! A layer norm's forward pass as one CubeCL kernel on the GPU backend, where burn's operations
//! launch about five (mean, centring, variance, root and division, scale and shift): one cube
//! per row computes its mean and deviation and writes the output, the normalised row and the
//! deviation the backward pass reads ([`norm`](super::norm)).

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

/// The kernel as an operation of the GPU backend (and of its fused wrapper).
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
}

/// Elements of the kernel's output for `[rows, d]`: output, normalised rows, deviations.
fn output_len(rows: usize, width: usize) -> usize {
    rows * (2 * width + 1)
}

fn layer_norm_forward_meta(
    x: &TensorSpec,
    _gamma: &TensorSpec,
    _beta: &TensorSpec,
    _epsilon: &f32,
) -> TensorSpec {
    TensorSpec::new(Shape::new([output_len(x.shape[0], x.shape[1])]), DType::F32)
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
        let most = client.properties().hardware.max_cube_dim.0.min(256);
        let units = (width.next_power_of_two() as u32).clamp(32, most);
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
    let n = rows * width;
    let output = flat.clone().narrow(0, 0, n).reshape([rows, width]);
    let normalized = flat.clone().narrow(0, n, n).reshape([rows, width]);
    let deviation = flat.narrow(0, 2 * n, rows).reshape([rows, 1]);
    [output, normalized, deviation]
}
