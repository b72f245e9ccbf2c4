//! Masked cross-entropy: the mean negative log-likelihood of the target tokens, PAD excluded,
//! with optional label smoothing.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// `logits` `[batch, len, vocab]`, `targets` `[batch, len]`, `loss_mask` `[batch, len]` (1 where
/// the position counts). Returns the mean over counted positions `[1]`; scores at masked
/// positions have no effect on the value or the gradient. With `smoothing` ε > 0 the target
/// distribution is `(1 - ε)` on the true token plus `ε / vocab` on every token, so each
/// position's loss is `-(1 - ε) log p(target) - ε mean_v log p(v)`.
pub fn masked_cross_entropy(
    logits: Tensor<3>,
    targets: Tensor<2, Int>,
    loss_mask: Tensor<2>,
    smoothing: f64,
) -> Tensor<1> {
    let log_probs = log_softmax(logits, 2); // [batch, len, vocab]
    let picked: Tensor<2> = log_probs
        .clone()
        .gather(2, targets.unsqueeze_dim(2))
        .squeeze_dim(2); // [batch, len]
    let per_position = if smoothing > 0.0 {
        let uniform: Tensor<2> = log_probs.mean_dim(2).squeeze_dim(2);
        picked * (1.0 - smoothing) + uniform * smoothing
    } else {
        picked
    };
    let counted = loss_mask.clone().sum().clamp_min(1.0);
    (per_position * loss_mask).sum().neg() / counted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss_value(logits: Vec<f32>, targets: Vec<i64>, mask: Vec<f32>) -> f32 {
        let device = Device::flex();
        let logits = Tensor::<3>::from_data(TensorData::new(logits, [1, 2, 3]), &device);
        let targets = Tensor::<2, Int>::from_data(TensorData::new(targets, [1, 2]), &device);
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [1, 2]), &device);
        masked_cross_entropy(logits, targets, mask, 0.0).into_scalar::<f32>()
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

    #[test]
    fn label_smoothing_is_its_formula() {
        let device = Device::flex();
        let raw = [0.5f32, -1.0, 2.0];
        let logits = Tensor::<3>::from_data(TensorData::new(raw.to_vec(), [1, 1, 3]), &device);
        let targets = Tensor::<2, Int>::from_data(TensorData::new(vec![2i64], [1, 1]), &device);
        let mask = Tensor::<2>::from_data(TensorData::new(vec![1.0f32], [1, 1]), &device);
        let epsilon = 0.1;
        let got = masked_cross_entropy(logits, targets, mask, epsilon).into_scalar::<f32>();
        let total: f64 = raw.iter().map(|&v| f64::from(v).exp()).sum();
        let log_p = |v: f32| f64::from(v) - total.ln();
        // -sum_v q(v) log p(v) with q = (1 - eps) one-hot + eps / 3
        let expected: f64 = raw
            .iter()
            .enumerate()
            .map(|(v, &x)| {
                let q = if v == 2 { 1.0 - epsilon } else { 0.0 } + epsilon / 3.0;
                -q * log_p(x)
            })
            .sum();
        assert!(
            (f64::from(got) - expected).abs() < 1e-5,
            "{got} vs {expected}"
        );
    }
}
