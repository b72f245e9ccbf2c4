//! The forward pass of an attention core as one CubeCL kernel on the GPU backend, where burn's
//! operations launch nine (scores, scaling, mask, the softmax's max, shift and exponent, sum,
//! division, weights times values, and a copy to merge the heads): one cube per query row of
//! one head computes its scores, masks them, normalises them and weighs the values, and writes
//! the context with the heads already side by side.
//!
//! It reaches burn through a backend extension ([`AttentionKernels`]), like the recurrent
//! kernels (`model::recurrence::kernels`): burn's fusion records it as one custom operation.

use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::prelude::Tensor as BurnTensor;
use burn::tensor::{DType, Shape};
use burn_cubecl::CubeBackend;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

/// The most keys a row may have (its scores live in shared memory); longer rows use burn's
/// operations.
pub const MAX_KEYS: usize = 256;

/// The forward pass: `q` `[batch, heads, query_len, d_k]`, `k`, `v` `[batch, heads, key_len,
/// d_k]` (any strides), `blocked` (1 = blocked) broadcast to `[batch, 1, query_len, key_len]`
/// (size-1 dimensions repeat), `keep` the dropout's draws `[batch, heads, query_len, key_len]`
/// (read only when `dropping`). Writes to `out` the softmax's weights `[batch, heads,
/// query_len, key_len]`, the weights after dropout (same shape), then the context `[batch,
/// query_len, heads, d_k]`. The same operations as burn's, in the same order per element (sums
/// run in key order).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn attention_forward_kernel(
    q: &Tensor<f32>,
    k: &Tensor<f32>,
    v: &Tensor<f32>,
    blocked: &Tensor<f32>,
    keep: &Tensor<f32>,
    out: &mut Tensor<f32>,
    scale: f32,
    min_float: f32,
    keep_scale: f32,
    #[comptime] capacity: usize,
    #[comptime] dropping: bool,
) {
    let batch = q.shape(0);
    let heads = q.shape(1);
    let query_len = q.shape(2);
    let d_k = q.shape(3);
    let key_len = k.shape(2);
    let row = CUBE_POS_X as usize;
    let i = row % query_len;
    let b = row / (heads * query_len);
    let h = (row / query_len) % heads;
    let threads = CUBE_DIM_X as usize;
    let mut scores = Shared::<[f32]>::new_slice(capacity);
    let q_at = b * q.stride(0) + h * q.stride(1) + i * q.stride(2);
    let mut mask_at = 0;
    if blocked.shape(0) != 1 {
        mask_at += b * blocked.stride(0);
    }
    if blocked.shape(2) != 1 {
        mask_at += i * blocked.stride(2);
    }
    let mut mask_step = 0;
    if blocked.shape(3) != 1 {
        mask_step = blocked.stride(3);
    }
    let mut j = UNIT_POS_X as usize;
    while j < key_len {
        let k_at = b * k.stride(0) + h * k.stride(1) + j * k.stride(2);
        let mut sum = 0.0f32;
        for d in 0..d_k {
            sum += q[q_at + d * q.stride(3)] * k[k_at + d * k.stride(3)];
        }
        let mut score = sum / scale;
        if blocked[mask_at + j * mask_step] > 0.5 {
            score = min_float;
        }
        scores[j] = score;
        j += threads;
    }
    sync_cube();
    // the softmax's max and sum (every unit computes the same ones)
    let mut max = scores[0];
    for j in 1..key_len {
        if scores[j] > max {
            max = scores[j];
        }
    }
    let mut total = 0.0f32;
    for j in 0..key_len {
        total += (scores[j] - max).exp();
    }
    sync_cube();
    let weights_at = row * key_len;
    let dropped_at = batch * heads * query_len * key_len + weights_at;
    let mut j = UNIT_POS_X as usize;
    while j < key_len {
        let weight = (scores[j] - max).exp() / total;
        out[weights_at + j] = weight;
        let mut dropped = weight;
        if comptime![dropping] {
            dropped = (weight * keep[weights_at + j]) * keep_scale;
        }
        out[dropped_at + j] = dropped;
        scores[j] = dropped;
        j += threads;
    }
    sync_cube();
    let context_at =
        2 * batch * heads * query_len * key_len + ((b * query_len + i) * heads + h) * d_k;
    let mut d = UNIT_POS_X as usize;
    while d < d_k {
        let v_at = b * v.stride(0) + h * v.stride(1) + d * v.stride(3);
        let mut sum = 0.0f32;
        for j in 0..key_len {
            sum += scores[j] * v[v_at + j * v.stride(2)];
        }
        out[context_at + d] = sum;
        d += threads;
    }
}

/// The kernel as an operation of the GPU backend (and of its fused wrapper).
#[backend_extension(Cube, Fusion)]
pub trait AttentionKernels: Backend {
    /// [`attention_forward_kernel`]; `keep` is ignored unless `dropout > 0`.
    #[fusion(meta = attention_forward_meta)]
    #[allow(clippy::too_many_arguments)]
    fn attention_forward(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
        blocked: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        min_float: f32,
        dropout: f32,
    ) -> FloatTensor<Self>;
}

/// Elements of the kernel's output: weights, weights after dropout, context.
fn output_len(q: &[usize], key_len: usize) -> usize {
    let [batch, heads, query_len, d_k] = [q[0], q[1], q[2], q[3]];
    2 * batch * heads * query_len * key_len + batch * query_len * heads * d_k
}

#[allow(clippy::too_many_arguments)]
fn attention_forward_meta(
    q: &TensorSpec,
    k: &TensorSpec,
    _v: &TensorSpec,
    _blocked: &TensorSpec,
    _keep: &TensorSpec,
    _min_float: &f32,
    _dropout: &f32,
) -> TensorSpec {
    let len = output_len(q.shape.as_slice(), k.shape[2]);
    TensorSpec::new(Shape::new([len]), DType::F32)
}

impl AttentionKernels for CubeBackend {
    fn attention_forward(
        q: CubeTensor,
        k: CubeTensor,
        v: CubeTensor,
        blocked: CubeTensor,
        keep: CubeTensor,
        min_float: f32,
        dropout: f32,
    ) -> CubeTensor {
        let dims = q.meta.shape().dims::<4>();
        let key_len = k.meta.shape()[2];
        let client = q.client.clone();
        let out = empty_device_contiguous_dtype(
            client.clone(),
            q.device.clone(),
            Shape::new([output_len(&dims, key_len)]),
            DType::F32,
        );
        let rows = (dims[0] * dims[1] * dims[2]) as u32;
        let most = client.properties().hardware.max_cube_dim.0.min(256);
        let units = (key_len.max(dims[3]).next_power_of_two() as u32).clamp(32, most);
        attention_forward_kernel::launch(
            &client,
            CubeCount::Static(rows, 1, 1),
            CubeDim::new_1d(units),
            q.into_tensor_arg(),
            k.into_tensor_arg(),
            v.into_tensor_arg(),
            blocked.into_tensor_arg(),
            keep.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            (dims[3] as f32).sqrt(),
            min_float,
            1.0 / (1.0 - dropout),
            key_len.div_ceil(16) * 16,
            dropout > 0.0,
        );
        out
    }
}

/// The forward pass through burn's dispatch: weights, weights after dropout `[batch, heads,
/// query_len, key_len]` and context `[batch, heads, query_len, d_k]` (a view of `[batch,
/// query_len, heads, d_k]`). `blocked` as the kernel reads it; `keep` the dropout's draws
/// when `dropout > 0` (else any tensor on the device, not read).
pub fn attention_forward(
    [q, k, v]: [BurnTensor<4>; 3],
    blocked: BurnTensor<4>,
    keep: BurnTensor<4>,
    min_float: f32,
    dropout: f32,
) -> [BurnTensor<4>; 3] {
    let [batch, heads, query_len, d_k] = q.dims();
    let key_len = k.dims()[2];
    let flat: BurnTensor<1> =
        BurnTensor::from_dispatch(<Dispatch as AttentionKernels>::attention_forward(
            q.into_dispatch(),
            k.into_dispatch(),
            v.into_dispatch(),
            blocked.into_dispatch(),
            keep.into_dispatch(),
            min_float,
            dropout,
        ));
    let n = batch * heads * query_len * key_len;
    let part = |at: usize, len: usize| flat.clone().narrow(0, at, len);
    let weights = part(0, n).reshape([batch, heads, query_len, key_len]);
    let dropped = part(n, n).reshape([batch, heads, query_len, key_len]);
    let context = part(2 * n, batch * query_len * heads * d_k)
        .reshape([batch, query_len, heads, d_k])
        .swap_dims(1, 2);
    [weights, dropped, context]
}
