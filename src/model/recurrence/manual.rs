//! Differentiable operations whose backward pass is written by hand.
//!
//! burn's autodiff records every tensor operation of a recurrent loop and replays each one
//! backwards: a slice becomes a zero tensor plus a slice-assign, every use of a weight its own
//! gradient product, every sum of gradients its own kernel. For a loop of a dozen small steps that
//! is most of a GPU step's kernel launches (see README, "Kernel launches per step"). An operation
//! here runs its forward pass on plain tensors (no tape) and registers one backward step that
//! computes all its input gradients at once, on plain tensors again: per-position work stays
//! per position, but weight gradients are one product over all positions, and nothing is sliced.
//!
//! The forward and backward passes are written with the ordinary [`Tensor`] API; only this file
//! knows how burn's runtime dispatch and autodiff represent them (`DispatchTensor`, `Autodiff`).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::{
    BalancedCheckpointing, CheckpointStrategy, NoCheckpointing,
};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Autodiff, AutodiffBackend, Backend, BackendTensor, DispatchAutodiffContext,
    DispatchKindConversion, DispatchTensor, DispatchTensorKind, Flex,
    GradientCheckpointingStrategy,
};
use burn::prelude::*;
use std::fmt::Debug;

/// A plain (untracked) tensor of any rank, as a hand-written operation passes it around.
#[derive(Debug, Clone)]
pub struct Plain(DispatchTensor);

impl Plain {
    /// Wraps a tensor.
    pub fn new<const D: usize>(tensor: Tensor<D>) -> Self {
        Self(tensor.into_dispatch())
    }

    /// The tensor, at the rank the operation knows it has.
    pub fn get<const D: usize>(&self) -> Tensor<D> {
        Tensor::from_dispatch(self.0.clone())
    }

    /// The tensor as burn's dispatch sees it (for a backend extension's operations).
    pub fn dispatch(&self) -> DispatchTensor {
        self.0.clone()
    }

    /// Wraps a tensor burn's dispatch returned.
    pub fn from_dispatch(tensor: DispatchTensor) -> Self {
        Self(tensor)
    }

    /// Whether the tensor lives on the GPU backend (cubecl: WebGPU in the page).
    pub fn on_cube(&self) -> bool {
        is_cube(&self.0.kind)
    }

    /// The element type.
    pub fn dtype(&self) -> burn::tensor::DType {
        burn::backend::TensorMetadata::dtype(&self.0)
    }
}

/// Whether `tensor` (tracked by autodiff or not) lives on the GPU backend (cubecl: WebGPU in the
/// page), where a hand-written operation may pay off when burn's own would not.
pub fn on_cube<const D: usize>(tensor: &Tensor<D>) -> bool {
    match tensor.clone().into_dispatch().kind {
        DispatchTensorKind::Autodiff(inner) => is_cube(&inner),
        plain => is_cube(&plain),
    }
}

/// A mask (or any tensor without gradients) as a hand-written operation's plain tensors can use
/// it: the same data, outside autodiff's context.
pub fn untracked<const D: usize>(mask: Tensor<D, Bool>) -> Tensor<D, Bool> {
    let mut tensor = mask.into_dispatch();
    if let DispatchTensorKind::Autodiff(inner) = tensor.kind {
        tensor.kind = *inner;
    }
    tensor.autodiff = DispatchAutodiffContext::Disabled;
    Tensor::from_dispatch(tensor)
}

/// Whether a tensor of this kind lives on the GPU backend.
fn is_cube(kind: &DispatchTensorKind) -> bool {
    #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
    if let DispatchTensorKind::Cube(_) = kind {
        return true;
    }
    let _ = kind;
    false
}

/// An operation with `N` float inputs and one float output, whose gradient is written by hand.
pub trait ManualOp<const N: usize>: Debug + Clone + Send + 'static {
    /// What the forward pass keeps for the backward pass.
    type Saved: Debug + Clone + Send + 'static;

    /// The output, what to keep for the backward pass, and extra outputs that carry no gradient
    /// (for example attention weights for the plots).
    fn forward(&self, inputs: [Plain; N]) -> (Plain, Self::Saved, Vec<Plain>);

    /// The gradient of each input from the gradient of the output; `needed[i]` says whether input
    /// `i` wants one (return `None` where not).
    fn backward(&self, saved: Self::Saved, grad: Plain, needed: [bool; N]) -> [Option<Plain>; N];
}

/// Runs `op` on `inputs`: with the autodiff tape when they carry one (one backward step for the
/// whole operation), directly otherwise. Returns the output and the extra outputs.
pub fn apply<O: ManualOp<N>, const N: usize>(
    op: O,
    inputs: [DispatchTensor; N],
) -> (DispatchTensor, Vec<DispatchTensor>) {
    let strategy = match inputs[0].autodiff {
        DispatchAutodiffContext::Disabled => None,
        DispatchAutodiffContext::Enabled(strategy) => Some(strategy),
    };
    let Some(strategy) = strategy else {
        let (output, _, extras) = op.forward(inputs.map(Plain));
        return (output.0, extras.into_iter().map(|p| p.0).collect());
    };
    let DispatchTensorKind::Autodiff(inner) = &inputs[0].kind else {
        unreachable!("an enabled autodiff context holds an autodiff tensor")
    };
    match (inner.as_ref(), strategy) {
        (DispatchTensorKind::Flex(_), GradientCheckpointingStrategy::Disabled) => {
            apply_tracked::<Flex, NoCheckpointing, O, N>(op, inputs)
        }
        (DispatchTensorKind::Flex(_), GradientCheckpointingStrategy::Balanced) => {
            apply_tracked::<Flex, BalancedCheckpointing, O, N>(op, inputs)
        }
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        (DispatchTensorKind::Cube(_), GradientCheckpointingStrategy::Disabled) => {
            apply_tracked::<burn::backend::Cube, NoCheckpointing, O, N>(op, inputs)
        }
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        (DispatchTensorKind::Cube(_), GradientCheckpointingStrategy::Balanced) => {
            apply_tracked::<burn::backend::Cube, BalancedCheckpointing, O, N>(op, inputs)
        }
        #[allow(unreachable_patterns)]
        (other, _) => panic!("no hand-written gradients on this backend: {other:?}"),
    }
}

/// The tape's backward step of a [`ManualOp`].
#[derive(Debug)]
struct ManualBackward<O>(std::marker::PhantomData<O>);

impl<B, O, const N: usize> Backward<B, N> for ManualBackward<O>
where
    B: Backend,
    O: ManualOp<N>,
    DispatchTensor: DispatchKindConversion<B>,
{
    type State = (O, O::Saved);

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let (op, saved) = ops.state;
        let needed = ops.parents.each_ref().map(Option::is_some);
        let input_grads = op.backward(saved, Plain(plain::<B>(grad)), needed);
        for (parent, grad) in ops.parents.into_iter().zip(input_grads) {
            if let (Some(parent), Some(grad)) = (parent, grad) {
                grads.register::<B>(parent.id, primitive::<B>(grad.0));
            }
        }
    }
}

fn apply_tracked<B, C, O, const N: usize>(
    op: O,
    inputs: [DispatchTensor; N],
) -> (DispatchTensor, Vec<DispatchTensor>)
where
    B: Backend,
    C: CheckpointStrategy,
    O: ManualOp<N>,
    DispatchTensor: DispatchKindConversion<B> + DispatchKindConversion<Autodiff<B, C>>,
{
    let tracked: [FloatTensor<Autodiff<B, C>>; N] = inputs.map(|input| {
        match <DispatchTensor as DispatchKindConversion<Autodiff<B, C>>>::try_into_backend(input) {
            Ok(BackendTensor::Float(tensor)) => tensor,
            Ok(other) => panic!(
                "a hand-written operation takes float tensors, got {}",
                other.name()
            ),
            Err(error) => panic!("inputs of one operation must share a device: {error}"),
        }
    });
    let (primitives, guards): (Vec<_>, Vec<_>) = tracked
        .into_iter()
        .map(|tensor| tensor.into_parts())
        .unzip();
    let guards: [_; N] = guards
        .try_into()
        .unwrap_or_else(|_| unreachable!("one guard per input"));
    let plain_inputs: [Plain; N] = primitives
        .into_iter()
        .map(|p| Plain(plain::<B>(p)))
        .collect::<Vec<_>>()
        .try_into()
        .unwrap_or_else(|_| unreachable!("one primitive per input"));
    let (output, extras) = match ManualBackward::<O>(std::marker::PhantomData)
        .prepare::<C>(guards)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let (output, saved, extras) = op.forward(plain_inputs);
            (prep.finish((op, saved), primitive::<B>(output.0)), extras)
        }
        OpsKind::UnTracked(prep) => {
            let (output, _, extras) = op.forward(plain_inputs);
            (prep.finish(primitive::<B>(output.0)), extras)
        }
    };
    let lift = |tensor: FloatTensor<Autodiff<B, C>>| {
        <DispatchTensor as DispatchKindConversion<Autodiff<B, C>>>::from_backend(
            BackendTensor::Float(tensor),
        )
    };
    let extras = extras
        .into_iter()
        .map(|extra| lift(Autodiff::<B, C>::from_inner(primitive::<B>(extra.0))))
        .collect();
    (lift(output), extras)
}

/// A backend primitive as a plain dispatch tensor.
fn plain<B: Backend>(primitive: B::FloatTensorPrimitive) -> DispatchTensor
where
    DispatchTensor: DispatchKindConversion<B>,
{
    <DispatchTensor as DispatchKindConversion<B>>::from_backend(BackendTensor::Float(primitive))
}

/// A plain dispatch tensor as its backend primitive.
fn primitive<B: Backend>(tensor: DispatchTensor) -> B::FloatTensorPrimitive
where
    DispatchTensor: DispatchKindConversion<B>,
{
    match <DispatchTensor as DispatchKindConversion<B>>::try_into_backend(tensor) {
        Ok(tensor) => tensor.float(),
        Err(error) => {
            panic!("a hand-written operation returned a tensor of another backend: {error}")
        }
    }
}
