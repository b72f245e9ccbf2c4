//! The masks a Transformer needs, as plain boolean tensors (true = blocked): source padding
//! for encoder self-attention and cross-attention; for decoder self-attention the causal
//! (look-ahead) mask combined with target padding.

use crate::data::vocab::PAD;
use burn::prelude::*;

/// The masks of one batch.
#[derive(Debug, Clone)]
pub struct Masks {
    /// PAD source positions `[batch, source_len]`: no query attends to them.
    pub source_pad: Tensor<2, Bool>,
    /// Decoder self-attention `[batch, target_len, target_len]`: key `k` is blocked for query
    /// `q` when it lies ahead (`k > q`) or is PAD.
    pub target_blocked: Tensor<3, Bool>,
}

impl Masks {
    /// The masks for `source_mask` `[batch, source_len]` (1 = real token) and the decoder's
    /// input tokens `target_input` `[batch, target_len]`.
    pub fn new(source_mask: Tensor<2>, target_input: Tensor<2, Int>) -> Self {
        Self {
            source_pad: source_pad(source_mask),
            target_blocked: target_blocked(target_input),
        }
    }
}

/// True at PAD source positions, from a mask with 1 at real tokens.
pub fn source_pad(source_mask: Tensor<2>) -> Tensor<2, Bool> {
    source_mask.lower_elem(0.5)
}

/// The causal mask `[len, len]`: true where the key lies after the query.
pub fn causal(len: usize, device: &Device) -> Tensor<2, Bool> {
    Tensor::<2, Bool>::tril_mask([len, len], 0, device)
}

/// Causal mask or PAD key, for the decoder's input tokens `[batch, target_len]`.
pub fn target_blocked(target_input: Tensor<2, Int>) -> Tensor<3, Bool> {
    let [batch, len] = target_input.dims();
    let device = target_input.device();
    let ahead = causal(len, &device)
        .unsqueeze_dim::<3>(0)
        .expand([batch, len, len])
        .int();
    let pad_key = target_input
        .equal_elem(PAD as i64)
        .int()
        .unsqueeze_dim::<3>(1)
        .expand([batch, len, len]);
    (ahead + pad_key).greater_elem(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_causal_mask_blocks_exactly_the_keys_ahead() {
        let device = Device::flex();
        let mask = causal(3, &device).into_data().try_to_vec::<bool>().unwrap();
        assert_eq!(
            mask,
            vec![false, true, true, false, false, true, false, false, false]
        );
    }

    #[test]
    fn pad_keys_are_blocked_for_every_query() {
        let device = Device::flex();
        // BOS x PAD
        let tokens = Tensor::<2, Int>::from_data([[1, 5, PAD as i64]], &device);
        let blocked = target_blocked(tokens)
            .into_data()
            .try_to_vec::<bool>()
            .unwrap();
        assert_eq!(
            blocked,
            vec![false, true, true, false, false, true, false, false, true]
        );
    }
}
