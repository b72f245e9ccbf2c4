//! The recurrent loops as hand-written CubeCL kernels, for the GPU backend (WebGPU in the page,
//! burn's `wgpu` natively): one launch walks every position of a sequence forward, one walks
//! it backward (each cube takes one batch row, or several at large batches: [`rows_per_cube`];
//! their states in shared memory), where the same loop written with tensor operations launches a
//! dozen kernels per position (README, "Kernel launches per step"). The tensor-operation version
//! stays the reference and the CPU path; `tests/recurrence.rs` checks these against it.
//!
//! They reach burn through a backend extension ([`RecurrenceKernels`]): burn's fusion records
//! each as one custom operation in its stream and runs it in order with the fused ones.
//!
//! WebGPU lets a shader bind at most 10 storage buffers (8 here: cubecl adds one for sizes), so
//! each kernel takes its small inputs packed into one buffer (the weights; the initial state)
//! and writes all its outputs into one buffer, which the callers cut into views ([`Packed`]).

mod attentive;
mod cell;
mod sequence;
mod transpose;

use super::manual::Plain;
use crate::model::cell::CellKind;
use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::prelude::Tensor;
use burn::tensor::{DType, Shape};
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The most source positions the attention kernels take (their scores live in shared memory);
/// longer sources use the tensor-operation version.
pub const MAX_SOURCE_LEN: usize = 256;

/// Whether `tensor` lives on the GPU backend, where these kernels run.
pub fn on_gpu(tensor: &Plain) -> bool {
    tensor.on_cube() && tensor.dtype() == DType::F32
}

/// The kernels, as operations of the GPU backend (and of its fused wrapper). Each returns one
/// flat buffer holding all its outputs (see the kernels for the order).
#[backend_extension(Cube, Fusion)]
pub trait RecurrenceKernels: Backend {
    /// [`sequence::sequence_forward`].
    #[fusion(meta = sequence_forward_meta)]
    fn sequence_forward(
        input_gates: FloatTensor<Self>,
        parameters: FloatTensor<Self>,
        initial: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        kind: u32,
        hidden: u32,
    ) -> FloatTensor<Self>;

    /// [`sequence::sequence_backward`].
    #[fusion(meta = sequence_backward_meta)]
    fn sequence_backward(
        grad: FloatTensor<Self>,
        saved: FloatTensor<Self>,
        initial: FloatTensor<Self>,
        keep: FloatTensor<Self>,
        kind: u32,
        hidden: u32,
    ) -> FloatTensor<Self>;

    /// [`attentive::attentive_forward`].
    #[fusion(meta = attentive_forward_meta)]
    #[allow(clippy::too_many_arguments)]
    fn attentive_forward(
        token_gates: FloatTensor<Self>,
        values: FloatTensor<Self>,
        keys: FloatTensor<Self>,
        parameters: FloatTensor<Self>,
        initial: FloatTensor<Self>,
        padding_bias: FloatTensor<Self>,
        kind: u32,
        additive: bool,
    ) -> FloatTensor<Self>;

    /// [`attentive::attentive_backward`].
    #[fusion(meta = attentive_backward_meta)]
    #[allow(clippy::too_many_arguments)]
    fn attentive_backward(
        grad: FloatTensor<Self>,
        saved: FloatTensor<Self>,
        values: FloatTensor<Self>,
        keys: FloatTensor<Self>,
        parameters: FloatTensor<Self>,
        initial: FloatTensor<Self>,
        kind: u32,
        additive: bool,
    ) -> FloatTensor<Self>;
}

/// The kernels' code for a cell kind.
fn kind_code(kind: CellKind) -> u32 {
    match kind {
        CellKind::Rnn => cell::RNN,
        CellKind::Gru => cell::GRU,
        CellKind::Lstm => cell::LSTM,
    }
}

/// Element counts of each kernel's outputs, in their order in its flat buffer.
mod sizes {
    use super::cell::{LSTM, gates, kept};

    /// [`super::sequence::sequence_forward`]: output, activations, the weight transposed.
    pub fn sequence_forward(batch: usize, len: usize, h: usize, kind: u32) -> [usize; 3] {
        let out_width = if kind == LSTM { 2 * h } else { h };
        let positions = batch * len;
        [
            positions * out_width,
            positions * kept(kind) * h,
            gates(kind) * h * h,
        ]
    }

    /// [`super::sequence::sequence_backward`]: input-side and hidden-side gate gradients, initial
    /// hidden state and memory gradients.
    pub fn sequence_backward(batch: usize, len: usize, h: usize, kind: u32) -> [usize; 4] {
        let gates = batch * len * gates(kind) * h;
        [gates, gates, batch * h, batch * h]
    }

    /// [`super::attentive::attentive_forward`]: features, weights, activations, queries, then
    /// the hidden-side, context and (additive) query weights transposed.
    pub fn attentive_forward(
        batch: usize,
        len: usize,
        source: usize,
        h: usize,
        kind: u32,
        additive: bool,
    ) -> [usize; 7] {
        let positions = batch * len;
        [
            positions * 2 * h,
            positions * source,
            positions * kept(kind) * h,
            positions * h,
            gates(kind) * h * h,
            gates(kind) * h * h,
            if additive { h * h } else { 0 },
        ]
    }

    /// [`super::attentive::attentive_backward`]: token gates, hidden-side gates, contexts,
    /// queries, keys, score rows, initial hidden state and memory.
    pub fn attentive_backward(
        batch: usize,
        len: usize,
        source: usize,
        h: usize,
        kind: u32,
    ) -> [usize; 8] {
        let positions = batch * len;
        let gates = positions * gates(kind) * h;
        [
            gates,
            gates,
            positions * h,
            positions * h,
            batch * source * h,
            batch * h,
            batch * h,
            batch * h,
        ]
    }
}

fn flat_spec(parts: &[usize]) -> TensorSpec {
    TensorSpec::new(Shape::new([parts.iter().sum::<usize>()]), DType::F32)
}

fn sequence_forward_meta(
    input_gates: &TensorSpec,
    _parameters: &TensorSpec,
    _initial: &TensorSpec,
    _keep: &TensorSpec,
    kind: &u32,
    hidden: &u32,
) -> TensorSpec {
    let (batch, len) = (input_gates.shape[0], input_gates.shape[1]);
    flat_spec(&sizes::sequence_forward(
        batch,
        len,
        *hidden as usize,
        *kind,
    ))
}

#[allow(clippy::too_many_arguments)]
fn sequence_backward_meta(
    grad: &TensorSpec,
    _saved: &TensorSpec,
    _initial: &TensorSpec,
    _keep: &TensorSpec,
    kind: &u32,
    hidden: &u32,
) -> TensorSpec {
    let (batch, len) = (grad.shape[0], grad.shape[1]);
    flat_spec(&sizes::sequence_backward(
        batch,
        len,
        *hidden as usize,
        *kind,
    ))
}

#[allow(clippy::too_many_arguments)]
fn attentive_forward_meta(
    token_gates: &TensorSpec,
    values: &TensorSpec,
    _keys: &TensorSpec,
    _parameters: &TensorSpec,
    _initial: &TensorSpec,
    _padding: &TensorSpec,
    kind: &u32,
    additive: &bool,
) -> TensorSpec {
    let (batch, len) = (token_gates.shape[0], token_gates.shape[1]);
    let (source, h) = (values.shape[1], values.shape[2]);
    flat_spec(&sizes::attentive_forward(
        batch, len, source, h, *kind, *additive,
    ))
}

#[allow(clippy::too_many_arguments)]
fn attentive_backward_meta(
    grad: &TensorSpec,
    _saved: &TensorSpec,
    values: &TensorSpec,
    _keys: &TensorSpec,
    _parameters: &TensorSpec,
    _initial: &TensorSpec,
    kind: &u32,
    _additive: &bool,
) -> TensorSpec {
    let (batch, len) = (grad.shape[0], grad.shape[1]);
    let (source, h) = (values.shape[1], values.shape[2]);
    flat_spec(&sizes::attentive_backward(batch, len, source, h, *kind))
}

/// A new contiguous flat float buffer of `parts` elements in all, on `like`'s device (its
/// contents are written by a kernel).
fn empty(like: &CubeTensor, parts: &[usize]) -> CubeTensor {
    empty_device_contiguous_dtype(
        like.client.clone(),
        like.device.clone(),
        Shape::new([parts.iter().sum::<usize>()]),
        DType::F32,
    )
}

/// How a recurrent kernel is launched: [`rows_per_cube`] batch rows a cube (at
/// `shared_per_row` floats of shared memory a row), one cube per that many rows; its units
/// stride over the hidden units (and source positions), one unit per hidden unit up to 1024
/// where the device allows it, so that no unit takes two past 256 hidden units. Each hidden
/// unit's sums are the same whichever unit computes them; Mesa's lavapipe computed a unit's
/// second hidden unit wrong in the decoder's backward kernel (README, "The recurrent kernels at
/// large batches"). Returns the rows a cube and the launch's shape.
fn launch_shape(
    like: &CubeTensor,
    batch: usize,
    hidden: usize,
    shared_per_row: usize,
) -> (usize, CubeCount, CubeDim) {
    let rows = rows_per_cube(like, batch, shared_per_row);
    (
        rows,
        CubeCount::Static(batch.div_ceil(rows) as u32, 1, 1),
        CubeDim::new_1d(units_up_to(like, hidden, 1024)),
    )
}

/// Batch rows per cube chosen by [`rows_per_cube`] (0: by the batch size), set by
/// [`set_rows_per_cube`].
static ROWS_PER_CUBE: AtomicUsize = AtomicUsize::new(0);

/// The fewest batch rows a cube of any recurrent kernel launched since [`reset_rows_used`]
/// took (`usize::MAX` when none was launched).
static FEWEST_ROWS_USED: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The most batch rows a cube of any recurrent kernel launched since [`reset_rows_used`] took
/// (0 when none was launched).
static MOST_ROWS_USED: AtomicUsize = AtomicUsize::new(0);

/// The fewest and the most batch rows a cube took in the recurrent kernels launched since
/// [`reset_rows_used`] (`None` if none was): what `bench --rows-per-cube N` really ran, as a
/// request past what the device's shared memory holds is capped.
pub fn rows_used() -> Option<(usize, usize)> {
    let (fewest, most) = (
        FEWEST_ROWS_USED.load(Ordering::Relaxed),
        MOST_ROWS_USED.load(Ordering::Relaxed),
    );
    (most > 0).then_some((fewest, most))
}

/// Forgets the rows recorded for [`rows_used`].
pub fn reset_rows_used() {
    FEWEST_ROWS_USED.store(usize::MAX, Ordering::Relaxed);
    MOST_ROWS_USED.store(0, Ordering::Relaxed);
}

/// By default a cube takes one more batch row per this many rows of the batch (see
/// [`rows_per_cube`]).
pub const BATCH_ROWS_PER_CUBE_ROW: usize = 128;

/// The most batch rows a cube takes by default.
pub const MOST_ROWS_PER_CUBE: usize = 4;

/// Makes the recurrent kernels give each cube `rows` batch rows (still at most what fits the
/// device's shared memory), or with `None` choose by the batch size again. The results are the
/// same bit for bit whatever the rows: each row's sums run in the same order; only how the work
/// is shared out changes (`bench --rows-per-cube` measures it).
pub fn set_rows_per_cube(rows: Option<usize>) {
    ROWS_PER_CUBE.store(rows.unwrap_or(0), Ordering::Relaxed);
}

/// Batch rows each cube of a recurrent kernel takes: every weight a cube reads at a position
/// serves all its rows, so `rows` rows a cube read the weights `rows` times less often than one
/// row a cube (which at batch 256, hidden 512 reads 3 MB a row a position), at the cost of
/// fewer, longer cubes. By default one row a cube, one more per [`BATCH_ROWS_PER_CUBE_ROW`] rows
/// of the batch, at most [`MOST_ROWS_PER_CUBE`] (the page's models keep one), and never more than
/// the device's shared memory holds at `shared_per_row` floats a row.
pub fn rows_per_cube(like: &CubeTensor, batch: usize, shared_per_row: usize) -> usize {
    let memory = like.client.properties().hardware.max_shared_memory_size;
    let fit = memory / (shared_per_row * size_of::<f32>());
    let wanted = match ROWS_PER_CUBE.load(Ordering::Relaxed) {
        0 => (batch / BATCH_ROWS_PER_CUBE_ROW).clamp(1, MOST_ROWS_PER_CUBE),
        rows => rows,
    };
    let rows = wanted.min(fit).min(batch).max(1);
    FEWEST_ROWS_USED.fetch_min(rows, Ordering::Relaxed);
    MOST_ROWS_USED.fetch_max(rows, Ordering::Relaxed);
    rows
}

/// Units for a cube that strides over a row of `width` elements on `like`'s device: a power of
/// two from 32 to 256, at most what the device allows (the Transformer's attentions and layer
/// norms, which give a cube each row).
pub fn units_per_row(like: &CubeTensor, width: usize) -> u32 {
    units_up_to(like, width, 256)
}

/// A power of two from 32 to `most` covering `width`, at most what `like`'s device allows a
/// cube (along x, and in all).
fn units_up_to(like: &CubeTensor, width: usize, most: u32) -> u32 {
    let hardware = &like.client.properties().hardware;
    let most = most
        .min(hardware.max_cube_dim.0)
        .min(hardware.max_units_per_cube);
    (width.next_power_of_two() as u32).clamp(32, most)
}

/// Source positions rounded up, so a few lengths share one compiled kernel.
fn source_capacity(source_len: usize) -> usize {
    source_len.div_ceil(16) * 16
}

fn dims<const D: usize>(tensor: &CubeTensor) -> [usize; D] {
    tensor.meta.shape().dims::<D>()
}

fn arg(tensor: CubeTensor) -> TensorArg {
    into_contiguous(tensor).into_tensor_arg()
}

impl RecurrenceKernels for CubeBackend {
    fn sequence_forward(
        input_gates: CubeTensor,
        parameters: CubeTensor,
        initial: CubeTensor,
        keep: CubeTensor,
        kind: u32,
        hidden: u32,
    ) -> CubeTensor {
        let [batch, len, _] = dims::<3>(&input_gates);
        let h = hidden as usize;
        let out = empty(&input_gates, &sizes::sequence_forward(batch, len, h, kind));
        let (rows, count, dim) = launch_shape(&input_gates, batch, h, 2 * h);
        let client = input_gates.client.clone();
        sequence::sequence_forward::launch(
            &client,
            count,
            dim,
            arg(input_gates),
            arg(parameters),
            arg(initial),
            arg(keep),
            out.clone().into_tensor_arg(),
            batch as u32,
            len as u32,
            kind,
            h,
            rows,
        );
        out
    }

    fn sequence_backward(
        grad: CubeTensor,
        saved: CubeTensor,
        initial: CubeTensor,
        keep: CubeTensor,
        kind: u32,
        hidden: u32,
    ) -> CubeTensor {
        let [batch, len, _] = dims::<3>(&grad);
        let h = hidden as usize;
        let out = empty(&grad, &sizes::sequence_backward(batch, len, h, kind));
        let (rows, count, dim) = launch_shape(&grad, batch, h, cell::gates(kind) * h);
        let client = grad.client.clone();
        sequence::sequence_backward::launch(
            &client,
            count,
            dim,
            arg(grad),
            arg(saved),
            arg(initial),
            arg(keep),
            out.clone().into_tensor_arg(),
            batch as u32,
            len as u32,
            kind,
            h,
            rows,
        );
        out
    }

    fn attentive_forward(
        token_gates: CubeTensor,
        values: CubeTensor,
        keys: CubeTensor,
        parameters: CubeTensor,
        initial: CubeTensor,
        padding_bias: CubeTensor,
        kind: u32,
        additive: bool,
    ) -> CubeTensor {
        let [batch, len, _] = dims::<3>(&token_gates);
        let [_, source, h] = dims::<3>(&values);
        let out = empty(
            &token_gates,
            &sizes::attentive_forward(batch, len, source, h, kind, additive),
        );
        let capacity = source_capacity(source);
        let (rows, count, dim) = launch_shape(&token_gates, batch, h, 4 * h + capacity);
        let client = token_gates.client.clone();
        attentive::attentive_forward::launch(
            &client,
            count,
            dim,
            arg(token_gates),
            arg(values),
            arg(keys),
            arg(parameters),
            arg(initial),
            arg(padding_bias),
            out.clone().into_tensor_arg(),
            batch as u32,
            len as u32,
            source as u32,
            kind,
            h,
            additive,
            capacity,
            rows,
        );
        out
    }

    fn attentive_backward(
        grad: CubeTensor,
        saved: CubeTensor,
        values: CubeTensor,
        keys: CubeTensor,
        parameters: CubeTensor,
        initial: CubeTensor,
        kind: u32,
        additive: bool,
    ) -> CubeTensor {
        let [batch, len, _] = dims::<3>(&grad);
        let [_, source, h] = dims::<3>(&values);
        let out = empty(
            &grad,
            &sizes::attentive_backward(batch, len, source, h, kind),
        );
        let capacity = source_capacity(source);
        let (rows, count, dim) =
            launch_shape(&grad, batch, h, (cell::gates(kind) + 2) * h + capacity);
        let client = grad.client.clone();
        attentive::attentive_backward::launch(
            &client,
            count,
            dim,
            arg(grad),
            arg(saved),
            arg(values),
            arg(keys),
            arg(parameters),
            arg(initial),
            out.clone().into_tensor_arg(),
            batch as u32,
            len as u32,
            source as u32,
            kind,
            h,
            additive,
            capacity,
            rows,
        );
        out
    }
}

/// Small tensors packed into one flat buffer, and a flat buffer cut back into tensors.
pub struct Packed;

impl Packed {
    /// `parts`, flattened, one after the other.
    pub fn pack(parts: Vec<Tensor<1>>) -> Plain {
        Plain::new(Tensor::cat(parts, 0))
    }

    /// The initial state packed as the kernels read it: the hidden state, then for LSTM the
    /// memory.
    pub fn initial_state(kind: CellKind, hidden: &Plain, memory: &Plain) -> Plain {
        let mut parts = vec![Self::flat(hidden.get::<2>())];
        if kind == CellKind::Lstm {
            parts.push(Self::flat(memory.get::<2>()));
        }
        Self::pack(parts)
    }

    /// `tensor` as a flat vector.
    pub fn flat<const D: usize>(tensor: Tensor<D>) -> Tensor<1> {
        let count = tensor.shape().num_elements();
        tensor.reshape([count])
    }
}

/// The kernels called through burn's dispatch on plain tensors.
pub struct Gpu;

impl Gpu {
    /// [`sequence::sequence_forward`]: the flat buffer of outputs.
    pub fn sequence_forward(
        input_gates: &Plain,
        parameters: &Plain,
        initial: &Plain,
        keep: &Plain,
        kind: CellKind,
        hidden: usize,
    ) -> Tensor<1> {
        Tensor::from_dispatch(<Dispatch as RecurrenceKernels>::sequence_forward(
            input_gates.dispatch(),
            parameters.dispatch(),
            initial.dispatch(),
            keep.dispatch(),
            kind_code(kind),
            hidden as u32,
        ))
    }

    /// [`sequence::sequence_backward`]: the flat buffer of gradients.
    pub fn sequence_backward(
        grad: &Plain,
        saved: [&Plain; 3],
        kind: CellKind,
        hidden: usize,
    ) -> Tensor<1> {
        let [saved, initial, keep] = saved;
        Tensor::from_dispatch(<Dispatch as RecurrenceKernels>::sequence_backward(
            grad.dispatch(),
            saved.dispatch(),
            initial.dispatch(),
            keep.dispatch(),
            kind_code(kind),
            hidden as u32,
        ))
    }

    /// [`attentive::attentive_forward`]: the flat buffer of outputs.
    pub fn attentive_forward(inputs: [&Plain; 6], kind: CellKind, additive: bool) -> Tensor<1> {
        let [a, b, c, d, e, f] = inputs.map(Plain::dispatch);
        Tensor::from_dispatch(<Dispatch as RecurrenceKernels>::attentive_forward(
            a,
            b,
            c,
            d,
            e,
            f,
            kind_code(kind),
            additive,
        ))
    }

    /// [`attentive::attentive_backward`]: the flat buffer of gradients.
    pub fn attentive_backward(inputs: [&Plain; 6], kind: CellKind, additive: bool) -> Tensor<1> {
        let [a, b, c, d, e, f] = inputs.map(Plain::dispatch);
        Tensor::from_dispatch(<Dispatch as RecurrenceKernels>::attentive_backward(
            a,
            b,
            c,
            d,
            e,
            f,
            kind_code(kind),
            additive,
        ))
    }
}
