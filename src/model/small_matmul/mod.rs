//! Small matrix products on the GPU backend as one plain kernel each, in place of CubeCL's tiled
//! matmul.
//!
//! The page's models multiply small matrices (the default model's largest product is
//! `[384, 64] x [64, 192]`), where a step is bound by launches, not arithmetic. CubeCL's tiled
//! matmul specialises a large kernel for every product's shape and layout: the default model's
//! first training step creates 19 of them, and on a software adapter (SwiftShader) compiling
//! those took 17 of the 20 seconds the step spent creating its 118 compute pipelines
//! (`benches/first_step.sh`; README, "Shipped size and time to the first step"). Here a product
//! of at most [`MAX_MULTIPLY_ADDS`] multiply-adds runs as one short kernel (a thread per output
//! element, operands read through their strides, so transposed views need no copy), whose only
//! compile-time parameter is the tensor rank; larger products keep CubeCL's tiled matmul.
//!
//! It reaches burn as a fusion optimisation ([`install`](crate::model::fusion::install)): burn's
//! fusion records every product in its stream, and this optimisation takes each one, where
//! burn's own matmul optimisation (which fuses element-wise work into a tiled product) is
//! removed.

mod fuser;
mod kernel;

pub use fuser::{BUILTIN_MATMUL, SmallMatmulProvider};
pub use kernel::small_matmul;

/// The most multiply-adds (`batch x m x k x n`) a product may take to run as the small kernel.
pub const MAX_MULTIPLY_ADDS: usize = 1 << 24;
