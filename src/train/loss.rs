//! Masked cross-entropy: the mean negative log-likelihood of the target tokens, PAD excluded.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// `logits` `[batch, len, vocab]`, `targets` `[batch, len]`, `loss_mask` `[batch, len]` (1 where
/// the position counts). Returns the mean over counted positions `[1]`; scores at masked
/// positions have no effect on the value or the gradient.
pub fn masked_cross_entropy(
    logits: Tensor<3>,
    targets: Tensor<2, Int>,
    loss_mask: Tensor<2>,
) -> Tensor<1> {
    let log_probs = log_softmax(logits, 2); // [batch, len, vocab]
    let picked: Tensor<2> = log_probs.gather(2, targets.unsqueeze_dim(2)).squeeze_dim(2); // [batch, len]
    let counted = loss_mask.clone().sum().clamp_min(1.0);
    (picked * loss_mask).sum().neg() / counted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss_value(logits: Vec<f32>, targets: Vec<i64>, mask: Vec<f32>) -> f32 {
        let device = Device::flex();
        let logits = Tensor::<3>::from_data(TensorData::new(logits, [1, 2, 3]), &device);
        let targets = Tensor::<2, Int>::from_data(TensorData::new(targets, [1, 2]), &device);
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [1, 2]), &device);
        masked_cross_entropy(logits, targets, mask).into_scalar::<f32>()
    }

    #[test]
    fn pad_positions_do_not_change_the_loss() {
        let mask = vec![1.0, 0.0];
        let a = loss_value(vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0], vec![2, 0], mask.clone());
        let b = loss_value(vec![1.0, 2.0, 3.0, 50.0, -9.0, 3.5], vec![2, 0], mask);
        assert_eq!(a, b);
        let expected = -(3.0f32.exp() / (1.0f32.exp() + 2.0f32.exp() + 3.0f32.exp())).ln();
        assert!((a - expected).abs() < 1e-5, "{a} vs {expected}");
    }

    #[test]
    fn the_loss_is_the_mean_over_counted_positions() {
        let uniform = loss_value(vec![0.0; 6], vec![1, 2], vec![1.0, 1.0]);
        assert!((uniform - 3.0f32.ln()).abs() < 1e-5);
    }
}
