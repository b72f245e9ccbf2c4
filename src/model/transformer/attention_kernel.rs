//! An attention core as CubeCL kernels on the GPU backend: the forward pass in one launch where
//! burn's operations launch nine (scores, scaling, mask, the softmax's max, shift and exponent,
//! sum, division, weights times values, and a copy to merge the heads), the backward pass in
//! two. Forward, and the backward's first half: one cube per query row of one head; the
//! backward's second half: one cube per key row. The context is written with the heads
//! already side by side.
//!
//! They reach burn through a backend extension ([`AttentionKernels`]), like the recurrent
//! kernels (`model::recurrence::kernels`): burn's fusion records each as one custom operation.

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

/// The most keys a row may have (its scores live in shared memory); longer rows use burn's
/// operations.
pub const MAX_KEYS: usize = 256;

/// Where query row `i` of sequence `b` starts in `blocked` (broadcast: size-1 dimensions
/// repeat).
#[cube]
fn mask_row(blocked: &Tensor<f32>, b: usize, i: usize) -> usize {
    let mut at = 0;
    if blocked.shape(0) != 1 {
        at += b * blocked.stride(0);
    }
    if blocked.shape(2) != 1 {
        at += i * blocked.stride(2);
    }
    at
}

/// Where head `h` of sequence `b` starts in `t` `[batch, heads, ..]`.
#[cube]
fn head_at(t: &Tensor<f32>, b: usize, h: usize) -> usize {
    b * t.stride(0) + h * t.stride(1)
}

/// The step from one key to the next in `blocked` (0 when broadcast over the keys).
#[cube]
fn along_keys(blocked: &Tensor<f32>) -> usize {
    let mut step = 0;
    if blocked.shape(3) != 1 {
        step = blocked.stride(3);
    }
    step
}

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
    let q_at = head_at(q, b, h) + i * q.stride(2);
    let mask_at = mask_row(blocked, b, i);
    let mask_step = along_keys(blocked);
    let mut j = UNIT_POS_X as usize;
    while j < key_len {
        let k_at = head_at(k, b, h) + j * k.stride(2);
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
        let v_at = head_at(v, b, h) + d * v.stride(3);
        let mut sum = 0.0f32;
        for j in 0..key_len {
            sum += scores[j] * v[v_at + j * v.stride(2)];
        }
        out[context_at + d] = sum;
        d += threads;
    }
}

/// The backward pass, first half: one cube per query row. From the context's gradient `grad`
/// `[batch, heads, query_len, d_k]`, `v`, `k`, the saved `weights` (contiguous `[batch, heads,
/// query_len, key_len]`), the dropout's draws `keep` (read when `dropping`) and `blocked`:
/// writes to `out` the scores' gradient `[batch, heads, query_len, key_len]` (scaling
/// included) then `dq` `[batch, heads, query_len, d_k]`.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn attention_backward_rows_kernel(
    grad: &Tensor<f32>,
    k: &Tensor<f32>,
    v: &Tensor<f32>,
    weights: &Tensor<f32>,
    keep: &Tensor<f32>,
    blocked: &Tensor<f32>,
    out: &mut Tensor<f32>,
    scale: f32,
    keep_scale: f32,
    #[comptime] capacity: usize,
    #[comptime] dropping: bool,
) {
    let batch = grad.shape(0);
    let heads = grad.shape(1);
    let query_len = grad.shape(2);
    let d_k = grad.shape(3);
    let key_len = k.shape(2);
    let row = CUBE_POS_X as usize;
    let i = row % query_len;
    let b = row / (heads * query_len);
    let h = (row / query_len) % heads;
    let threads = CUBE_DIM_X as usize;
    let mut d_weights = Shared::<[f32]>::new_slice(capacity);
    let grad_at = head_at(grad, b, h) + i * grad.stride(2);
    let weights_at = row * key_len;
    let mut j = UNIT_POS_X as usize;
    while j < key_len {
        let v_at = head_at(v, b, h) + j * v.stride(2);
        let mut sum = 0.0f32;
        for d in 0..d_k {
            sum += grad[grad_at + d * grad.stride(3)] * v[v_at + d * v.stride(3)];
        }
        if comptime![dropping] {
            sum = (sum * keep_scale) * keep[weights_at + j];
        }
        d_weights[j] = sum;
        j += threads;
    }
    sync_cube();
    let mut row_sum = 0.0f32;
    for j in 0..key_len {
        row_sum += d_weights[j] * weights[weights_at + j];
    }
    sync_cube();
    let mask_at = mask_row(blocked, b, i);
    let mask_step = along_keys(blocked);
    let mut j = UNIT_POS_X as usize;
    while j < key_len {
        let mut d_score = weights[weights_at + j] * (d_weights[j] - row_sum);
        if blocked[mask_at + j * mask_step] > 0.5 {
            d_score = 0.0;
        }
        d_score /= scale;
        out[weights_at + j] = d_score;
        d_weights[j] = d_score;
        j += threads;
    }
    sync_cube();
    let q_at = batch * heads * query_len * key_len + row * d_k;
    let mut d = UNIT_POS_X as usize;
    while d < d_k {
        let k_at = head_at(k, b, h) + d * k.stride(3);
        let mut sum = 0.0f32;
        for j in 0..key_len {
            sum += d_weights[j] * k[k_at + j * k.stride(2)];
        }
        out[q_at + d] = sum;
        d += threads;
    }
}

/// The backward pass, second half: one cube per key row. From the scores' gradient `d_scores`
/// and the weights after dropout `dropped` (both contiguous `[batch, heads, query_len,
/// key_len]`), `q` and the context's gradient `grad`: writes to `out` `dk` then `dv`, each
/// `[batch, heads, key_len, d_k]`.
#[cube(launch)]
fn attention_backward_keys_kernel(
    d_scores: &Tensor<f32>,
    dropped: &Tensor<f32>,
    q: &Tensor<f32>,
    grad: &Tensor<f32>,
    out: &mut Tensor<f32>,
) {
    let batch = q.shape(0);
    let heads = q.shape(1);
    let query_len = q.shape(2);
    let d_k = q.shape(3);
    let key_len = d_scores.shape(3);
    let row = CUBE_POS_X as usize;
    let j = row % key_len;
    let bh = row / key_len;
    let b = bh / heads;
    let h = bh % heads;
    let threads = CUBE_DIM_X as usize;
    let scores_at = bh * query_len * key_len + j;
    let v_base = batch * heads * key_len * d_k;
    let mut d = UNIT_POS_X as usize;
    while d < d_k {
        let q_at = head_at(q, b, h) + d * q.stride(3);
        let grad_at = head_at(grad, b, h) + d * grad.stride(3);
        let mut d_key = 0.0f32;
        let mut d_value = 0.0f32;
        for i in 0..query_len {
            d_key += d_scores[scores_at + i * key_len] * q[q_at + i * q.stride(2)];
            d_value += dropped[scores_at + i * key_len] * grad[grad_at + i * grad.stride(2)];
        }
        out[row * d_k + d] = d_key;
        out[v_base + row * d_k + d] = d_value;
        d += threads;
    }
}

/// The kernels as operations of the GPU backend (and of its fused wrapper).
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

    /// [`attention_backward_rows_kernel`]; `keep` is ignored unless `dropout > 0`.
    #[fusion(meta = attention_backward_rows_meta)]
    #[allow(clippy::too_many_arguments)]
    fn attention_backward_rows(
        grad: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
        weights: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        blocked: FloatTensor<Self>,
        dropout: f32,
    ) -> FloatTensor<Self>;

    /// [`attention_backward_keys_kernel`].
    #[fusion(meta = attention_backward_keys_meta)]
    fn attention_backward_keys(
        d_scores: FloatTensor<Self>,
        dropped: FloatTensor<Self>,
        q: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// Elements of each kernel's output, from `[batch, heads, query_len, d_k]` and `key_len`.
mod sizes {
    /// Forward: weights, weights after dropout, context.
    pub fn forward([batch, heads, query_len, d_k]: [usize; 4], key_len: usize) -> usize {
        batch * heads * query_len * (2 * key_len + d_k)
    }

    /// Backward, first half: the scores' gradient, `dq`.
    pub fn rows([batch, heads, query_len, d_k]: [usize; 4], key_len: usize) -> usize {
        batch * heads * query_len * (key_len + d_k)
    }

    /// Backward, second half: `dk`, `dv`.
    pub fn keys([batch, heads, _, d_k]: [usize; 4], key_len: usize) -> usize {
        2 * batch * heads * key_len * d_k
    }
}

/// A specification's first four sizes (the kernels' inputs are of rank 4).
fn dims4(spec: &TensorSpec) -> [usize; 4] {
    [spec.shape[0], spec.shape[1], spec.shape[2], spec.shape[3]]
}

fn flat_spec(len: usize) -> TensorSpec {
    TensorSpec::new(Shape::new([len]), DType::F32)
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
    flat_spec(sizes::forward(dims4(q), k.shape[2]))
}

#[allow(clippy::too_many_arguments)]
fn attention_backward_rows_meta(
    grad: &TensorSpec,
    k: &TensorSpec,
    _v: &TensorSpec,
    _weights: &TensorSpec,
    _keep: &TensorSpec,
    _blocked: &TensorSpec,
    _dropout: &f32,
) -> TensorSpec {
    flat_spec(sizes::rows(dims4(grad), k.shape[2]))
}

fn attention_backward_keys_meta(
    d_scores: &TensorSpec,
    _dropped: &TensorSpec,
    q: &TensorSpec,
    _grad: &TensorSpec,
) -> TensorSpec {
    flat_spec(sizes::keys(dims4(q), d_scores.shape[3]))
}

/// A new contiguous flat float buffer of `len` elements on `like`'s device (written by a
/// kernel).
fn empty(like: &CubeTensor, len: usize) -> CubeTensor {
    empty_device_contiguous_dtype(
        like.client.clone(),
        like.device.clone(),
        Shape::new([len]),
        DType::F32,
    )
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
        let out = empty(&q, sizes::forward(dims, key_len));
        let (count, dim) = launch_shape(&q, dims[0] * dims[1] * dims[2], key_len, dims[3]);
        attention_forward_kernel::launch(
            &client,
            count,
            dim,
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
    fn attention_backward_rows(
        grad: CubeTensor,
        k: CubeTensor,
        v: CubeTensor,
        weights: CubeTensor,
        keep: CubeTensor,
        blocked: CubeTensor,
        dropout: f32,
    ) -> CubeTensor {
        let dims = grad.meta.shape().dims::<4>();
        let key_len = k.meta.shape()[2];
        let client = grad.client.clone();
        let out = empty(&grad, sizes::rows(dims, key_len));
        let (count, dim) = launch_shape(&grad, dims[0] * dims[1] * dims[2], key_len, dims[3]);
        attention_backward_rows_kernel::launch(
            &client,
            count,
            dim,
            grad.into_tensor_arg(),
            k.into_tensor_arg(),
            v.into_tensor_arg(),
            weights.into_tensor_arg(),
            keep.into_tensor_arg(),
            blocked.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            (dims[3] as f32).sqrt(),
            1.0 / (1.0 - dropout),
            key_len.div_ceil(16) * 16,
            dropout > 0.0,
        );
        out
    }

    fn attention_backward_keys(
        d_scores: CubeTensor,
        dropped: CubeTensor,
        q: CubeTensor,
        grad: CubeTensor,
    ) -> CubeTensor {
        let dims = q.meta.shape().dims::<4>();
        let key_len = d_scores.meta.shape()[3];
        let client = q.client.clone();
        let out = empty(&q, sizes::keys(dims, key_len));
        let (count, dim) = launch_shape(&q, dims[0] * dims[1] * key_len, 1, dims[3]);
        attention_backward_keys_kernel::launch(
            &client,
            count,
            dim,
            d_scores.into_tensor_arg(),
            dropped.into_tensor_arg(),
            q.into_tensor_arg(),
            grad.into_tensor_arg(),
            out.clone().into_tensor_arg(),
        );
        out
    }
}

/// One cube per row; its units stride over the wider of a row's keys and its `d_k`.
fn launch_shape(like: &CubeTensor, rows: usize, keys: usize, d_k: usize) -> (CubeCount, CubeDim) {
    let units = units_per_row(like, keys.max(d_k));
    (CubeCount::Static(rows as u32, 1, 1), CubeDim::new_1d(units))
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
    let mut outputs = Stretches::new(flat);
    let weights = outputs.next([batch, heads, query_len, key_len]);
    let dropped = outputs.next([batch, heads, query_len, key_len]);
    let context = outputs.next([batch, query_len, heads, d_k]).swap_dims(1, 2);
    [weights, dropped, context]
}

/// The backward pass through burn's dispatch: `[dq, dk, dv]` from the context's gradient and
/// what the forward pass saved (`weights` and `dropped` as [`attention_forward`] returned them,
/// `keep` and `blocked` as it was given them).
#[allow(clippy::too_many_arguments)]
pub fn attention_backward(
    grad: BurnTensor<4>,
    [q, k, v]: [BurnTensor<4>; 3],
    weights: BurnTensor<4>,
    dropped: BurnTensor<4>,
    keep: BurnTensor<4>,
    blocked: BurnTensor<4>,
    dropout: f32,
) -> [BurnTensor<4>; 3] {
    let [batch, heads, query_len, d_k] = q.dims();
    let key_len = k.dims()[2];
    let rows: BurnTensor<1> =
        BurnTensor::from_dispatch(<Dispatch as AttentionKernels>::attention_backward_rows(
            grad.clone().into_dispatch(),
            k.into_dispatch(),
            v.into_dispatch(),
            weights.into_dispatch(),
            keep.into_dispatch(),
            blocked.into_dispatch(),
            dropout,
        ));
    let mut rows = Stretches::new(rows);
    let d_scores = rows.next([batch, heads, query_len, key_len]);
    let d_q = rows.next([batch, heads, query_len, d_k]);
    let keys: BurnTensor<1> =
        BurnTensor::from_dispatch(<Dispatch as AttentionKernels>::attention_backward_keys(
            d_scores.into_dispatch(),
            dropped.into_dispatch(),
            q.into_dispatch(),
            grad.into_dispatch(),
        ));
    let mut keys = Stretches::new(keys);
    let d_k_grad = keys.next([batch, heads, key_len, d_k]);
    let d_v = keys.next([batch, heads, key_len, d_k]);
    [d_q, d_k_grad, d_v]
}
