//! Masked cross-entropy as two CubeCL kernels on the GPU backend, where burn's operations launch
//! about twenty for the loss (log-softmax's max, shift, exponent, sum and logarithm, the gather,
//! the smoothing's mean, the mask, two sums, the division) and about ten for its gradient.
//! Forward: one cube walks the rows (each unit its own rows, then the units' sums added in
//! order) and writes the loss, the count of masked-in positions and each row's log-sum-exp.
//! Backward: one thread per score, `dz = -g m / n ((1 - ε) [v = t] + ε / V - p_v)`.

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

/// Units of the forward kernel's one cube.
const UNITS: usize = 256;

/// Where row `r` (`b * len + i`) of a `[batch, len, ..]` tensor starts.
#[cube]
fn row_at(tensor: &Tensor<f32>, r: usize, len: usize) -> usize {
    (r / len) * tensor.stride(0) + (r % len) * tensor.stride(1)
}

/// `logits` `[batch, len, vocab]`, `targets` (token ids as floats) and `mask` (1 = counted)
/// `[batch, len]`, any strides. Writes to `out` the loss (the mean over counted positions of
/// `-(1 - ε) log p(target) - ε mean_v log p(v)`), the count of counted positions (at least 1),
/// then each row's log-sum-exp `[batch * len]`.
#[cube(launch)]
fn cross_entropy_forward_kernel(
    logits: &Tensor<f32>,
    targets: &Tensor<f32>,
    mask: &Tensor<f32>,
    out: &mut Tensor<f32>,
    smoothing: f32,
    #[comptime] units: usize,
) {
    let len = logits.shape(1);
    let vocab = logits.shape(2);
    let rows = logits.shape(0) * len;
    let step = logits.stride(2);
    let unit = UNIT_POS_X as usize;
    let mut losses = Shared::<[f32]>::new_slice(units);
    let mut counts = Shared::<[f32]>::new_slice(units);
    let mut loss = 0.0f32;
    let mut count = 0.0f32;
    let mut r = unit;
    while r < rows {
        let at = row_at(logits, r, len);
        let mut max = logits[at];
        for v in 1..vocab {
            let z = logits[at + v * step];
            if z > max {
                max = z;
            }
        }
        let mut total = 0.0f32;
        let mut sum = 0.0f32;
        for v in 0..vocab {
            let z = logits[at + v * step];
            total += (z - max).exp();
            sum += z;
        }
        let log_sum_exp = max + total.ln();
        out[2 + r] = log_sum_exp;
        let target = u32::cast_from(targets[row_at(targets, r, len)]) as usize;
        let picked = logits[at + target * step] - log_sum_exp;
        let uniform = sum / vocab as f32 - log_sum_exp;
        let weight = mask[row_at(mask, r, len)];
        loss += weight * ((1.0 - smoothing) * picked + smoothing * uniform);
        count += weight;
        r += units;
    }
    losses[unit] = loss;
    counts[unit] = count;
    sync_cube();
    if unit == 0 {
        let mut loss = 0.0f32;
        let mut count = 0.0f32;
        for u in 0..units {
            loss += losses[u];
            count += counts[u];
        }
        let counted = f32::max(count, 1.0);
        out[0] = -loss / counted;
        out[1] = counted;
    }
}

/// The gradient of the loss with respect to `logits` (written to `out`, `[batch, len, vocab]`
/// contiguous), from the loss's gradient `grad` `[1]` and the forward kernel's output `saved`.
#[cube(launch)]
fn cross_entropy_backward_kernel(
    grad: &Tensor<f32>,
    logits: &Tensor<f32>,
    targets: &Tensor<f32>,
    mask: &Tensor<f32>,
    saved: &Tensor<f32>,
    out: &mut Tensor<f32>,
    smoothing: f32,
) {
    let index = ABSOLUTE_POS;
    if index < out.len() {
        let len = logits.shape(1);
        let vocab = logits.shape(2);
        let r = index / vocab;
        let v = index % vocab;
        let z = logits[row_at(logits, r, len) + v * logits.stride(2)];
        let probability = (z - saved[2 + r]).exp();
        let mut wanted = smoothing / vocab as f32;
        if u32::cast_from(targets[row_at(targets, r, len)]) as usize == v {
            wanted += 1.0 - smoothing;
        }
        let scale = grad[0] * mask[row_at(mask, r, len)] / saved[1];
        out[index] = scale * (probability - wanted);
    }
}

/// The kernels as operations of the GPU backend (and of its fused wrapper).
#[backend_extension(Cube, Fusion)]
pub trait CrossEntropyKernels: Backend {
    /// [`cross_entropy_forward_kernel`].
    #[fusion(meta = forward_meta)]
    fn cross_entropy_forward(
        logits: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        mask: FloatTensor<Self>,
        smoothing: f32,
    ) -> FloatTensor<Self>;

    /// [`cross_entropy_backward_kernel`].
    #[fusion(meta = backward_meta)]
    fn cross_entropy_backward(
        grad: FloatTensor<Self>,
        logits: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        mask: FloatTensor<Self>,
        saved: FloatTensor<Self>,
        smoothing: f32,
    ) -> FloatTensor<Self>;
}

/// Elements of the forward kernel's output for `rows` positions: loss, count, log-sum-exps.
fn forward_len(rows: usize) -> usize {
    2 + rows
}

fn forward_meta(
    logits: &TensorSpec,
    _targets: &TensorSpec,
    _mask: &TensorSpec,
    _smoothing: &f32,
) -> TensorSpec {
    let rows = logits.shape[0] * logits.shape[1];
    TensorSpec::new(Shape::new([forward_len(rows)]), DType::F32)
}

fn backward_meta(
    _grad: &TensorSpec,
    logits: &TensorSpec,
    _targets: &TensorSpec,
    _mask: &TensorSpec,
    _saved: &TensorSpec,
    _smoothing: &f32,
) -> TensorSpec {
    TensorSpec::new(logits.shape.clone(), DType::F32)
}

impl CrossEntropyKernels for CubeBackend {
    fn cross_entropy_forward(
        logits: CubeTensor,
        targets: CubeTensor,
        mask: CubeTensor,
        smoothing: f32,
    ) -> CubeTensor {
        let [batch, len, _] = logits.meta.shape().dims::<3>();
        let client = logits.client.clone();
        let out = empty_device_contiguous_dtype(
            client.clone(),
            logits.device.clone(),
            Shape::new([forward_len(batch * len)]),
            DType::F32,
        );
        let units = (client.properties().hardware.max_cube_dim.0 as usize).min(UNITS);
        cross_entropy_forward_kernel::launch(
            &client,
            CubeCount::Static(1, 1, 1),
            CubeDim::new_1d(units as u32),
            logits.into_tensor_arg(),
            targets.into_tensor_arg(),
            mask.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            smoothing,
            units,
        );
        out
    }

    fn cross_entropy_backward(
        grad: CubeTensor,
        logits: CubeTensor,
        targets: CubeTensor,
        mask: CubeTensor,
        saved: CubeTensor,
        smoothing: f32,
    ) -> CubeTensor {
        let shape = logits.meta.shape().clone();
        let total = shape.num_elements();
        let client = logits.client.clone();
        let out =
            empty_device_contiguous_dtype(client.clone(), logits.device.clone(), shape, DType::F32);
        let cube_dim = CubeDim::new(&client, total);
        let cube_count = calculate_cube_count_elemwise(&client, total, cube_dim);
        cross_entropy_backward_kernel::launch(
            &client,
            cube_count,
            cube_dim,
            grad.into_tensor_arg(),
            logits.into_tensor_arg(),
            targets.into_tensor_arg(),
            mask.into_tensor_arg(),
            saved.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            smoothing,
        );
        out
    }
}

/// The forward pass through burn's dispatch: the loss `[1]` and what the backward pass reads
/// (the whole kernel output).
pub fn cross_entropy_forward(
    logits: BurnTensor<3>,
    targets: BurnTensor<2>,
    mask: BurnTensor<2>,
    smoothing: f32,
) -> (BurnTensor<1>, BurnTensor<1>) {
    let saved: BurnTensor<1> =
        BurnTensor::from_dispatch(<Dispatch as CrossEntropyKernels>::cross_entropy_forward(
            logits.into_dispatch(),
            targets.into_dispatch(),
            mask.into_dispatch(),
            smoothing,
        ));
    (saved.clone().narrow(0, 0, 1), saved)
}

/// The backward pass through burn's dispatch: the gradient of `logits` `[batch, len, vocab]`.
pub fn cross_entropy_backward(
    grad: BurnTensor<1>,
    logits: BurnTensor<3>,
    targets: BurnTensor<2>,
    mask: BurnTensor<2>,
    saved: BurnTensor<1>,
    smoothing: f32,
) -> BurnTensor<3> {
    BurnTensor::from_dispatch(<Dispatch as CrossEntropyKernels>::cross_entropy_backward(
        grad.into_dispatch(),
        logits.into_dispatch(),
        targets.into_dispatch(),
        mask.into_dispatch(),
        saved.into_dispatch(),
        smoothing,
    ))
}
