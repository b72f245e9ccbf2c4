//! Recurrent loops as single differentiable operations with hand-written backward passes: the
//! encoder's layers and the teacher-forced one-layer decoder. Same forward numbers as stepping the
//! cells one position at a time; far fewer GPU kernel launches in the backward pass (see
//! [`manual`]).

pub mod attentive;
pub mod cell_backward;
pub mod manual;
pub mod sequence;

pub use attentive::{AttentiveInputs, AttentiveOutput, run_attentive};
pub use sequence::{SequenceInputs, SequenceOutput, run_sequence};
