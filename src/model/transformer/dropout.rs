//! Dropout with one random draw per pass on the GPU backend.
//!
//! burn's `Dropout` draws its mask where it is applied. A Transformer layer has four dropout
//! sites (the attention weights, two or three residual branches, the feed-forward block's
//! hidden layer) and the embeddings one more, so a training step of the page's default
//! Transformer (dropout 0.1, two layers each side) launched 22 random-number kernels. Here the
//! encoder and the decoder each draw every mask of their pass at once ([`with_draws`], sized by
//! the model: `Transformer::encoder_draws`, `decoder_draws`) and each site takes its own
//! stretch of them ([`dropout`], [`take`]): the same distribution (independent Bernoulli draws
//! of the keep probability), two launches. On the CPU, where a launch costs nothing, no draws
//! are pooled and burn's own dropout runs (its draws, bit for bit).

use crate::model::Stretches;
use burn::nn::Dropout;
use burn::prelude::*;
use burn::tensor::Distribution;
use std::cell::RefCell;

thread_local! {
    /// The pooled draws of the pass under way, if any.
    static DRAWS: RefCell<Option<Draws>> = const { RefCell::new(None) };
}

/// Draws for one pass: 1 = keep, 0 = drop, taken front to back.
struct Draws {
    values: Stretches,
    /// The drop probability they were drawn for.
    prob: f64,
    /// Masks asked for that the draws could not give (another probability, or too few left).
    missed: usize,
}

/// How a pass used the draws it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Draws no site took.
    pub left: usize,
    /// Masks the draws could not give (those sites drew their own).
    pub missed: usize,
}

/// Puts the draws back as they were before a pass, even when it unwinds.
struct Restore(Option<Draws>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        DRAWS.with(|draws| *draws.borrow_mut() = previous);
    }
}

/// Runs `pass` with `size` fresh Bernoulli draws (keep probability `1 - prob`, on `device`)
/// that the dropout sites inside it take their masks from.
pub fn with_draws<T>(size: usize, prob: f64, device: &Device, pass: impl FnOnce() -> T) -> T {
    let values = Tensor::<1>::random([size], Distribution::Bernoulli(1.0 - prob), device);
    with_given_draws(values, prob, pass).0
}

/// Runs `pass` with the given draws `[n]` (1 = keep) for drop probability `prob`; returns its
/// result and how it used the draws.
pub fn with_given_draws<T>(values: Tensor<1>, prob: f64, pass: impl FnOnce() -> T) -> (T, Usage) {
    let draws = Draws {
        values: Stretches::new(values),
        prob,
        missed: 0,
    };
    let restore = Restore(DRAWS.with(|d| d.replace(Some(draws))));
    let result = pass();
    let usage = DRAWS.with(|d| {
        let d = d.borrow();
        let d = d.as_ref().expect("the draws this pass was given");
        Usage {
            left: d.values.left(),
            missed: d.missed,
        }
    });
    drop(restore);
    (result, usage)
}

/// Whether a pass's draws are in place (a pass inside it takes from them instead of drawing
/// its own).
pub fn drawing() -> bool {
    DRAWS.with(|draws| draws.borrow().is_some())
}

/// The next draws of `shape` (1 = keep) when a pass with draws for `prob` is under way and has
/// that many left; `None` otherwise (the site then draws its own).
pub fn take<const D: usize>(shape: [usize; D], prob: f64) -> Option<Tensor<D>> {
    DRAWS.with(|draws| {
        let mut draws = draws.borrow_mut();
        let draws = draws.as_mut()?;
        let mask = if draws.prob == prob {
            draws.values.try_next(shape)
        } else {
            None
        };
        draws.missed += usize::from(mask.is_none());
        mask
    })
}

/// `module` applied to `x`, as `Dropout::forward` computes it (off outside training, on a device
/// without autodiff, or at probability 0), its mask taken from the pass's draws when there are
/// some.
pub fn dropout<const D: usize>(module: &Dropout, x: Tensor<D>) -> Tensor<D> {
    if !module.training.is_enabled() || !x.device().is_autodiff() || module.prob == 0.0 {
        return x;
    }
    let keep = 1.0 - module.prob;
    let random =
        take(x.dims(), module.prob).unwrap_or_else(|| x.random_like(Distribution::Bernoulli(keep)));
    (x * random) * (1.0 / keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::DropoutConfig;

    /// With draws given, each site multiplies by its own stretch of them (scaled by 1 / keep),
    /// in the order the sites run; past the draws' end, a site draws its own.
    #[test]
    fn sites_take_consecutive_stretches_of_the_draws() {
        let device = Device::flex().autodiff();
        let module = DropoutConfig::new(0.5).init();
        let draws = Tensor::<1>::from_data([1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &device);
        let x = Tensor::<2>::ones([1, 2], &device) * 3.0;
        let ((first, second, third), usage) = with_given_draws(draws, 0.5, || {
            (
                dropout(&module, x.clone()),
                dropout(&module, x.clone()),
                take::<2>([1, 3], 0.5),
            )
        });
        let values = |t: Tensor<2>| t.into_data().iter::<f32>().collect::<Vec<_>>();
        assert_eq!(values(first), vec![6.0, 0.0]);
        assert_eq!(values(second), vec![0.0, 6.0]);
        assert!(third.is_none(), "only two draws were left for three");
        assert_eq!(usage, Usage { left: 2, missed: 1 });
        // another probability, or no pass under way: no pooled draws
        let (other, _) =
            with_given_draws(Tensor::<1>::ones([4], &device), 0.5, || take::<1>([2], 0.1));
        assert!(other.is_none());
        assert!(take::<1>([1], 0.5).is_none());
    }
}
