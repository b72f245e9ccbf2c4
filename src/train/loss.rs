//! Masked cross-entropy: the mean negative log-likelihood of the target tokens, PAD excluded,
//! with optional label smoothing.

use crate::model::recurrence::manual::{ManualOp, Plain, apply, on_cube};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};

/// `logits` `[batch, len, vocab]`, `targets` `[batch, len]`, `loss_mask` `[batch, len]` (1 where
/// the position counts). Returns the mean over counted positions `[1]`; scores at masked
/// positions have no effect on the value or the gradient. With `smoothing` ε > 0 the target
/// distribution is `(1 - ε)` on the true token plus `ε / vocab` on every token, so each
/// position's loss is `-(1 - ε) log p(target) - ε mean_v log p(v)`.
///
/// On the GPU backend the loss is one kernel and its gradient another ([`hand_written`]);
/// elsewhere burn's operations (on the CPU the numbers stay burn's, bit for bit).
pub fn masked_cross_entropy(
    logits: Tensor<3>,
    targets: Tensor<2, Int>,
    loss_mask: Tensor<2>,
    smoothing: f64,
) -> Tensor<1> {
    if on_cube(&logits) {
        hand_written(logits, targets, loss_mask, smoothing)
    } else {
        with_burns_operations(logits, targets, loss_mask, smoothing)
    }
}

/// [`masked_cross_entropy`] as burn's tensor operations (the tape derives the gradient).
fn with_burns_operations(
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

/// [`masked_cross_entropy`] with its gradient written by hand, on any backend: on the GPU backend
/// one kernel each way (`loss_kernel`), elsewhere the same formulas as tensor operations. The
/// gradient of score `v` at a position is `g m / n (p_v - (1 - ε) [v = target] - ε / V)`, `m`
/// the position's mask, `n` the counted positions, `V` the vocabulary.
pub fn hand_written(
    logits: Tensor<3>,
    targets: Tensor<2, Int>,
    loss_mask: Tensor<2>,
    smoothing: f64,
) -> Tensor<1> {
    let op = CrossEntropyOp {
        targets: targets.float().inner(),
        mask: loss_mask.inner(),
        smoothing,
    };
    Tensor::from_dispatch(apply(op, [logits.into_dispatch()]).0)
}

/// The loss of logits `[batch, len, vocab]` against fixed targets and mask.
#[derive(Debug, Clone)]
struct CrossEntropyOp {
    /// Token ids as floats `[batch, len]`, outside autodiff's context.
    targets: Tensor<2>,
    /// 1 where the position counts `[batch, len]`, outside autodiff's context.
    mask: Tensor<2>,
    smoothing: f64,
}

/// What the backward pass needs.
#[derive(Debug, Clone)]
struct CrossEntropySaved {
    logits: Plain,
    /// The forward kernel's output (GPU backend), or the count of counted positions `[1]`
    /// (elsewhere).
    state: Plain,
}

impl ManualOp<1> for CrossEntropyOp {
    type Saved = CrossEntropySaved;

    fn forward(&self, [logits]: [Plain; 1]) -> (Plain, CrossEntropySaved, Vec<Plain>) {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if logits.on_cube() {
            let (loss, state) = super::loss_kernel::cross_entropy_forward(
                logits.get(),
                self.targets.clone(),
                self.mask.clone(),
                self.smoothing as f32,
            );
            let state = Plain::new(state);
            return (
                Plain::new(loss),
                CrossEntropySaved { logits, state },
                Vec::new(),
            );
        }
        let loss = with_burns_operations(
            logits.get(),
            self.targets.clone().int(),
            self.mask.clone(),
            self.smoothing,
        );
        let state = Plain::new(self.mask.clone().sum().clamp_min(1.0));
        (
            Plain::new(loss),
            CrossEntropySaved { logits, state },
            Vec::new(),
        )
    }

    fn backward(
        &self,
        saved: CrossEntropySaved,
        grad: Plain,
        _needed: [bool; 1],
    ) -> [Option<Plain>; 1] {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if grad.on_cube() {
            let d_logits = super::loss_kernel::cross_entropy_backward(
                grad.get(),
                saved.logits.get(),
                self.targets.clone(),
                self.mask.clone(),
                saved.state.get(),
                self.smoothing as f32,
            );
            return [Some(Plain::new(d_logits))];
        }
        let probabilities = softmax(saved.logits.get::<3>(), 2);
        let [batch, len, vocab] = probabilities.dims();
        let one_hot: Tensor<3> = self
            .targets
            .clone()
            .int()
            .one_hot::<3>(vocab)
            .float()
            .reshape([batch, len, vocab]);
        let wanted = one_hot * (1.0 - self.smoothing) + self.smoothing / vocab as f64;
        let scale = (grad.get::<1>() / saved.state.get::<1>()).reshape([1, 1, 1])
            * self.mask.clone().unsqueeze_dim::<3>(2);
        [Some(Plain::new((probabilities - wanted) * scale))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    /// The hand-written loss and its gradient equal burn's operations' (whose gradient the tape
    /// derives), with and without label smoothing, with a masked-out position, and with every
    /// position masked out (the count is clamped to 1).
    #[test]
    fn the_hand_written_gradient_equals_burns() {
        let device = Device::flex().autodiff();
        let logits = Tensor::<3>::random([2, 3, 5], Distribution::Normal(0.0, 2.0), &device);
        let targets = Tensor::<2, Int>::from_data([[1, 4, 0], [2, 2, 3]], &device);
        for mask in [[[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]], [[0.0; 3]; 2]] {
            let mask = Tensor::<2>::from_data(mask, &device);
            for smoothing in [0.0, 0.1] {
                let run = |ours: bool| {
                    let logits = logits.clone().detach().require_grad();
                    let (targets, mask) = (targets.clone(), mask.clone());
                    let loss = if ours {
                        hand_written(logits.clone(), targets, mask, smoothing)
                    } else {
                        with_burns_operations(logits.clone(), targets, mask, smoothing)
                    };
                    let grads = (loss.clone() * 3.0).backward();
                    let grad = logits.grad(&grads).expect("the scores' gradient");
                    (loss.inner(), grad.reshape([30]))
                };
                let (loss, grad) = run(true);
                let (loss_burn, grad_burn) = run(false);
                let what = format!("smoothing {smoothing}");
                crate::model::transformer::assert_close(loss, loss_burn, &what);
                crate::model::transformer::assert_close(grad, grad_burn, &what);
            }
        }
    }

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
