//! Recurrent loops as single differentiable operations with hand-written backward passes: the
//! encoder's layers and the teacher-forced one-layer decoder. Same forward numbers as stepping the
//! cells one position at a time; far fewer GPU kernel launches in the backward pass (see
//! [`manual`]). On the GPU backend each loop is one CubeCL kernel forward and one backward
//! (`kernels`, compiled into the page and the native `wgpu` build); on the CPU the same
//! operations run with burn's tensor API.

pub mod attentive;
pub mod cell_backward;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub mod kernels;
pub mod manual;
pub mod sequence;

pub use attentive::{AttentiveInputs, AttentiveOutput, run_attentive};
pub use sequence::{SequenceInputs, SequenceOutput, run_sequence};

use burn::prelude::*;

/// The positions of `sequence` `[batch, len, width]` as `len` views `[batch, width]`. Slicing
/// `[batch, 1, width]` and dropping the axis would copy each slice (burn reshapes only
/// contiguous tensors); a column range of `[batch, len * width]` is a view.
pub(crate) fn positions(sequence: Tensor<3>) -> Vec<Tensor<2>> {
    let [batch, len, width] = sequence.dims();
    let rows = sequence.reshape([batch, len * width]);
    (0..len)
        .map(|position| rows.clone().narrow(1, position * width, width))
        .collect()
}

/// The hidden state each position started from `[batch, len, hidden]`: `initial` `[batch,
/// hidden]`, then the first `hidden` columns of `states` `[batch, len, width]` at each position
/// but the last.
pub(crate) fn previous_states(initial: Tensor<2>, states: Tensor<3>, hidden: usize) -> Tensor<3> {
    let [batch, len, _] = states.dims();
    let initial = initial.unsqueeze_dim::<3>(1);
    match len {
        1 => initial,
        _ => Tensor::cat(
            vec![initial, states.slice([0..batch, 0..len - 1, 0..hidden])],
            1,
        ),
    }
}

/// `[a, b, ...]` side by side `[batch, N * width]`, as `Tensor::cat` along the columns, but by
/// broadcasting each block against a one-hot column mask: element-wise work that fusion merges
/// into one kernel, where a concatenation is one slice-assign kernel per block.
pub(crate) fn side_by_side<const N: usize>(blocks: [Tensor<2>; N]) -> Tensor<2> {
    let [batch, width] = blocks[0].dims();
    let device = blocks[0].device();
    blocks
        .into_iter()
        .enumerate()
        .map(|(index, block)| {
            let mut one_hot = [0.0f32; N];
            one_hot[index] = 1.0;
            let mask =
                Tensor::<3>::from_data(TensorData::new(one_hot.to_vec(), [1, N, 1]), &device);
            block.unsqueeze_dim::<3>(1) * mask
        })
        .reduce(|sum, block| sum + block)
        .expect("at least one block")
        .reshape([batch, N * width])
}
