//! This crate's own optimisations in burn's fusion on the GPU backend: [`small_matmul`]
//! (small matrix products as one short kernel each) and [`concat`] (concatenations as one
//! launch per seven inputs). Each takes one operation of burn's stream, through the fuser they
//! share ([`OneOperationFuser`]).
//!
//! [`small_matmul`]: super::small_matmul
//! [`concat`]: super::concat

use burn::backend::fusion::stream::Context;
use burn::backend::fusion::{FuserProperties, FuserStatus, OperationFuser};
use burn::backend::ir::{OperationIr, TensorIr};
use burn::tensor::DType;
use burn_cubecl::fusion::{CubeFusionHandle, CubeOptimization};

/// Registers this crate's optimisations with burn's fusion on the GPU backend (small matrix
/// products replace burn's own matmul optimisation). Call before the first tensor operation on
/// a GPU device (burn's fusion registry is sealed once its first stream exists); later calls do
/// nothing. Process-wide.
pub fn install() -> Result<(), String> {
    use burn_cubecl::fusion::{RegistryError, register, remove};
    use std::sync::OnceLock;
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let sealed = |e: RegistryError| format!("GPU kernels not installed: {e}");
            remove(super::small_matmul::BUILTIN_MATMUL).map_err(sealed)?;
            register(super::small_matmul::SmallMatmulProvider).map_err(sealed)?;
            register(super::concat::ConcatProvider).map_err(sealed)
        })
        .clone()
}

/// Takes a stream segment that starts with an operation `pick` accepts: that one operation,
/// which `build` turns into the optimisation that runs it.
#[derive(Clone)]
pub struct OneOperationFuser<T: Clone + 'static> {
    pick: fn(&OperationIr) -> Option<T>,
    build: fn(T) -> CubeOptimization,
    taken: Option<T>,
    closed: bool,
}

impl<T: Clone + 'static> OneOperationFuser<T> {
    /// A fuser of the operations `pick` accepts.
    pub fn new(pick: fn(&OperationIr) -> Option<T>, build: fn(T) -> CubeOptimization) -> Self {
        Self {
            pick,
            build,
            taken: None,
            closed: false,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> OperationFuser<CubeOptimization> for OneOperationFuser<T> {
    fn fuse(&mut self, operation: &OperationIr) {
        if !self.closed {
            self.taken = (self.pick)(operation);
            self.closed = true;
        }
    }

    fn finish(&mut self) -> CubeOptimization {
        let taken = self
            .taken
            .clone()
            .expect("finish is only called on a ready fuser, which holds an operation");
        (self.build)(taken)
    }

    fn reset(&mut self) {
        self.taken = None;
        self.closed = false;
    }

    fn status(&self) -> FuserStatus {
        if self.closed {
            FuserStatus::Closed
        } else {
            FuserStatus::Open
        }
    }

    fn properties(&self) -> FuserProperties {
        FuserProperties {
            score: u64::from(self.taken.is_some()),
            ready: self.taken.is_some(),
        }
    }

    fn len(&self) -> usize {
        usize::from(self.taken.is_some())
    }

    fn clone_dyn(&self) -> Box<dyn OperationFuser<CubeOptimization>> {
        Box::new(self.clone())
    }
}

/// A tensor of a recorded operation (relative ids) as it is at run time: real id and shape,
/// with the status (read-only, or last use) the operation has for it.
pub fn resolve(context: &Context<CubeFusionHandle>, relative: &TensorIr) -> Option<TensorIr> {
    let mut tensor = context.tensors.get(&relative.id)?.clone();
    tensor.status = relative.status;
    Some(tensor)
}

/// Whether a plain kernel can read `tensor` (resolved): 32-bit floats in an ordinary buffer.
pub fn readable(context: &Context<CubeFusionHandle>, tensor: &TensorIr) -> bool {
    tensor.dtype == DType::F32
        && context.handles.error(&tensor.id).is_none()
        && context
            .handles
            .get_handle_ref(&tensor.id)
            .is_some_and(|handle| handle.tiles.is_none())
}
