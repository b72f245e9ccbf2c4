//! Concatenations on the GPU backend as one launch per [`INPUTS_PER_LAUNCH`] inputs, in place of
//! burn's one slice-assign launch per input.
//!
//! The optimiser gathers every gradient into one flat vector (`train::adam`): a `cat` of one
//! tensor per parameter, about 90 for the Transformer. burn's fusion fuses a `cat` into an
//! element-wise kernel only when all its inputs fit the shader's bindings (Chromium's WebGPU
//! gives the page 10 storage buffers); otherwise burn runs it unfused, as an empty output and
//! one slice-assign per input. Here the inputs go seven at a time (with the output and
//! cubecl's buffer of sizes, nine bindings) into one short kernel: a thread per output element
//! of the group, copying from the input whose stretch of the concatenated axis it falls in.
//!
//! It reaches burn as a fusion optimisation ([`install`](crate::model::fusion::install)), taking
//! the `cat`s burn's own element-wise fusion leaves unfused.

mod fuser;
mod kernel;

pub use fuser::ConcatProvider;
pub use kernel::concat;

/// Inputs one launch copies (the output and cubecl's buffer of sizes take two more bindings,
/// nine of the ten storage buffers a WebGPU shader gets in Chromium).
pub const INPUTS_PER_LAUNCH: usize = 7;
