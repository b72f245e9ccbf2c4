//! Multi-head attention with the backward pass of its core written by hand.
//!
//! burn's `MultiHeadAttention` computes `softmax(q kᵀ / √d_k, masked) v` as a dozen tensor
//! operations (burn's softmax alone is five), and the backward pass the tape records replays
//! each of them: on the GPU, a dozen kernel launches per attention and step. Here (on the GPU
//! backend) the projections are the module's `Linear`s with their backward passes as one kernel
//! each (`model::linear`; the query's, key's and value's split into heads, their gradients
//! read in that layout), the core's forward pass is one kernel (`attention_kernel`: burn's operations per element, the same dropout draws;
//! elsewhere burn's operations themselves), and one backward step computes `dq`, `dk`, `dv` from
//! the saved weights (on the GPU two kernels, elsewhere tensor operations):
//! `dv = ŵᵀ dc`, `dŵ = dc vᵀ`, `ds = w ⊙ (dw - Σ dw ⊙ w) / √d_k` (zero where masked), `dq = ds k`,
//! `dk = dsᵀ q`, with `ŵ` the weights after dropout and `dw` `dŵ` through the dropout's mask.

use crate::model::linear;
use crate::model::recurrence::manual::{ManualOp, Plain, apply, on_cube, untracked};
use burn::nn::Linear;
use burn::nn::attention::{MhaInput, MultiHeadAttention};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::softmax;

/// `mha` on `query` `[batch, query_len, d_model]` attending to `key`/`value` `[batch, key_len,
/// d_model]`, with burn's masks (`true` = blocked): the context `[batch, query_len, d_model]` and
/// the weights `[batch, heads, query_len, key_len]` (after dropout, as burn's module returns
/// them). On the GPU backend with the hand-written backward pass ([`hand_written`]), elsewhere
/// burn's module itself (on the CPU the numbers stay burn's, bit for bit).
pub fn attend(
    mha: &MultiHeadAttention,
    query: Tensor<3>,
    key: Tensor<3>,
    value: Tensor<3>,
    mask_pad: Option<Tensor<2, Bool>>,
    mask_attn: Option<Tensor<3, Bool>>,
) -> (Tensor<3>, Tensor<4>) {
    if on_cube(&query) {
        return hand_written(mha, query, key, value, mask_pad, mask_attn);
    }
    let mut input = MhaInput::new(query, key, value);
    if let Some(mask) = mask_pad {
        input = input.mask_pad(mask);
    }
    if let Some(mask) = mask_attn {
        input = input.mask_attn(mask);
    }
    let output = mha.forward(input);
    (output.context, output.weights)
}

/// [`attend`] with the core's backward pass written by hand, on any backend: the same values
/// as burn's module (and the same gradients, to rounding).
pub fn hand_written(
    mha: &MultiHeadAttention,
    query: Tensor<3>,
    key: Tensor<3>,
    value: Tensor<3>,
    mask_pad: Option<Tensor<2, Bool>>,
    mask_attn: Option<Tensor<3, Bool>>,
) -> (Tensor<3>, Tensor<4>) {
    let [batch, query_len, d_model] = query.dims();
    let key_len = key.dims()[1];
    let dropout = &mha.dropout;
    let drop = dropout.prob > 0.0 && dropout.training.is_enabled() && query.device().is_autodiff();
    let core = AttentionCore {
        d_k: mha.d_k,
        min_float: mha.min_float,
        mask_pad: mask_pad.map(|m| untracked(m.reshape([batch, 1, 1, key_len]))),
        mask_attn: mask_attn.map(|m| untracked(m.reshape([batch, 1, query_len, key_len]))),
        dropout: if drop { dropout.prob } else { 0.0 },
    };
    let heads = |x: Tensor<3>, projection: &Linear| {
        linear::forward_heads(projection, x, mha.n_heads).into_dispatch()
    };
    let inputs = [
        heads(query, &mha.query),
        heads(key, &mha.key),
        heads(value, &mha.value),
    ];
    let (context, extras) = apply(core, inputs);
    let context = Tensor::<4>::from_dispatch(context)
        .swap_dims(1, 2)
        .reshape([batch, query_len, d_model]);
    let weights = Tensor::<4>::from_dispatch(extras.into_iter().next().expect("the weights"));
    (linear::forward(&mha.output, context), weights)
}

/// `softmax(q kᵀ / √d_k, masked)`, dropped out, times `v`; inputs `[q, k, v]`, each `[batch,
/// heads, len, d_k]`.
#[derive(Debug, Clone)]
struct AttentionCore {
    d_k: usize,
    /// The score given to blocked positions (burn's module's `min_float`).
    min_float: f64,
    /// Blocked keys `[batch, 1, 1, key_len]`.
    mask_pad: Option<Tensor<4, Bool>>,
    /// Blocked query-key pairs `[batch, 1, query_len, key_len]`.
    mask_attn: Option<Tensor<4, Bool>>,
    /// Dropout on the weights (0: none).
    dropout: f64,
}

/// What the backward pass needs.
#[derive(Debug, Clone)]
struct AttentionSaved {
    q: Plain,
    k: Plain,
    v: Plain,
    /// The softmax's output `[batch, heads, query_len, key_len]`.
    weights: Plain,
    /// The weights after dropout (the same tensor without dropout).
    dropped: Plain,
    /// The dropout's draws (1 kept, 0 dropped), when it dropped.
    kept: Option<Plain>,
    /// The masks as floats (1 blocked), as the forward kernel read them, when the forward pass
    /// ran as a kernel (GPU backend): the backward pass then runs as kernels too.
    #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
    blocked: Option<Plain>,
}

impl AttentionCore {
    fn scale(&self) -> f32 {
        (self.d_k as f32).sqrt()
    }

    /// `tensor` with the blocked positions set to `value`, as burn's module masks.
    fn masked(&self, mut tensor: Tensor<4>, value: f64) -> Tensor<4> {
        for mask in [&self.mask_pad, &self.mask_attn].into_iter().flatten() {
            tensor = tensor.mask_fill(mask.clone(), value);
        }
        tensor
    }

    /// The forward pass as one kernel on the GPU backend (`attention_kernel`): the same
    /// operations per element, the sums in key order.
    #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
    fn forward_kernel(&self, [q, k, v]: [Plain; 3]) -> (Plain, AttentionSaved, Vec<Plain>) {
        let [batch, heads, query_len, _] = q.get::<4>().dims();
        let key_len = k.get::<4>().dims()[2];
        let device = q.get::<4>().device();
        let blocked = match (&self.mask_pad, &self.mask_attn) {
            (Some(pad), Some(attn)) => pad.clone().float() + attn.clone().float(),
            (Some(mask), None) | (None, Some(mask)) => mask.clone().float(),
            (None, None) => Tensor::zeros([1, 1, 1, 1], &device),
        };
        let keep = if self.dropout > 0.0 {
            // the pass's pooled draws (`super::dropout`), or the draw burn's `Dropout::forward`
            // makes for the weights
            let shape = [batch, heads, query_len, key_len];
            super::dropout::take(shape, self.dropout)
                .map(Tensor::inner)
                .unwrap_or_else(|| {
                    Tensor::random(shape, Distribution::Bernoulli(1.0 - self.dropout), &device)
                })
        } else {
            Tensor::empty([1, 1, 1, 1], &device)
        };
        let kept = (self.dropout > 0.0).then(|| Plain::new(keep.clone()));
        let saved_blocked = Some(Plain::new(blocked.clone()));
        let [weights, dropped, context] = super::attention_kernel::attention_forward(
            [q.get(), k.get(), v.get()],
            blocked,
            keep,
            self.min_float as f32,
            self.dropout as f32,
        );
        let saved = AttentionSaved {
            q,
            k,
            v,
            weights: Plain::new(weights),
            dropped: Plain::new(dropped.clone()),
            kept,
            blocked: saved_blocked,
        };
        (Plain::new(context), saved, vec![Plain::new(dropped)])
    }
}

impl ManualOp<3> for AttentionCore {
    type Saved = AttentionSaved;

    fn forward(&self, [q, k, v]: [Plain; 3]) -> (Plain, AttentionSaved, Vec<Plain>) {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if q.on_cube() && k.get::<4>().dims()[2] <= super::attention_kernel::MAX_KEYS {
            return self.forward_kernel([q, k, v]);
        }
        // burn's `MultiHeadAttention::forward` between the projections, operation for operation
        let scores = q
            .get::<4>()
            .matmul(k.get::<4>().transpose())
            .div_scalar(self.scale());
        let weights = softmax(self.masked(scores, self.min_float), 3);
        let (dropped, kept) = if self.dropout > 0.0 {
            // burn's `Dropout::forward`: the same draw, then the same two products
            let keep = 1.0 - self.dropout;
            let random = weights.random_like(Distribution::Bernoulli(keep));
            let dropped = (weights.clone() * random.clone()) * (1.0 / keep);
            (dropped, Some(Plain::new(random)))
        } else {
            (weights.clone(), None)
        };
        let context = dropped.clone().matmul(v.get::<4>());
        let saved = AttentionSaved {
            q,
            k,
            v,
            weights: Plain::new(weights),
            dropped: Plain::new(dropped.clone()),
            kept,
            #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
            blocked: None,
        };
        (Plain::new(context), saved, vec![Plain::new(dropped)])
    }

    fn backward(
        &self,
        saved: AttentionSaved,
        grad: Plain,
        needed: [bool; 3],
    ) -> [Option<Plain>; 3] {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if let Some(blocked) = &saved.blocked {
            let keep = match &saved.kept {
                Some(kept) => kept.get(),
                // not read without dropout
                None => Tensor::empty([1, 1, 1, 1], &blocked.get::<4>().device()),
            };
            let [d_q, d_k, d_v] = super::attention_kernel::attention_backward(
                grad.get(),
                [saved.q.get(), saved.k.get(), saved.v.get()],
                saved.weights.get(),
                saved.dropped.get(),
                keep,
                blocked.get(),
                self.dropout as f32,
            );
            let wanted = |i: usize, g: Tensor<4>| needed[i].then(|| Plain::new(g));
            return [wanted(0, d_q), wanted(1, d_k), wanted(2, d_v)];
        }
        let grad = grad.get::<4>();
        let d_v = needed[2]
            .then(|| Plain::new(saved.dropped.get::<4>().transpose().matmul(grad.clone())));
        if !needed[0] && !needed[1] {
            return [None, None, d_v];
        }
        let mut d_weights = grad.matmul(saved.v.get::<4>().transpose());
        if let Some(kept) = &saved.kept {
            d_weights = (d_weights * (1.0 / (1.0 - self.dropout))) * kept.get::<4>();
        }
        let weights = saved.weights.get::<4>();
        let row = (d_weights.clone() * weights.clone()).sum_dim(3);
        let d_scores = self
            .masked(weights * (d_weights - row), 0.0)
            .div_scalar(self.scale());
        let d_q = needed[0].then(|| Plain::new(d_scores.clone().matmul(saved.k.get::<4>())));
        let d_k = needed[1].then(|| Plain::new(d_scores.transpose().matmul(saved.q.get::<4>())));
        [d_q, d_k, d_v]
    }
}

#[cfg(test)]
mod tests {
    use super::super::assert_close as close;
    use super::*;
    use burn::nn::attention::MultiHeadAttentionConfig;

    /// Keys (and values), padding mask, attention mask.
    type Case = (Tensor<3>, Option<Tensor<2, Bool>>, Option<Tensor<3, Bool>>);

    /// Context, weights and the gradients of every projection and of the inputs equal burn's
    /// module's (whose backward pass the tape derives): self-attention with a causal mask plus a
    /// padded key, cross-attention with a padding mask, with and without dropout (the same
    /// seed: the same draws).
    #[test]
    fn values_and_gradients_equal_burns_attention() {
        let device = Device::flex().autodiff();
        let (batch, query_len, key_len, d_model) = (2, 4, 5, 8);
        for dropout in [0.0, 0.3] {
            let mha = MultiHeadAttentionConfig::new(d_model, 2)
                .with_dropout(dropout)
                .init(&device);
            // burn initialises parameters on first use, drawing from the generator the runs seed
            for linear in [&mha.query, &mha.key, &mha.value, &mha.output] {
                let _ = (linear.weight.val(), linear.bias.as_ref().map(|b| b.val()));
            }
            let query =
                Tensor::<3>::random([batch, query_len, d_model], Distribution::Default, &device);
            let memory =
                Tensor::<3>::random([batch, key_len, d_model], Distribution::Default, &device);
            let positions = || Tensor::<1, Int>::arange(0..query_len as i64, &device);
            let causal = positions()
                .reshape([1, query_len])
                .greater(positions().reshape([query_len, 1]))
                .unsqueeze::<3>()
                .repeat_dim(0, batch);
            let pad = Tensor::<2, Bool>::from_data(
                TensorData::from([
                    [false, false, false, false, true],
                    [false, false, true, true, true],
                ]),
                &device,
            );
            let loss_weights = Tensor::<3>::random(
                [batch, query_len, d_model],
                Distribution::Uniform(-1.0, 1.0),
                &device,
            );
            let cases: [Case; 2] = [
                (query.clone(), None, Some(causal)),
                (memory, Some(pad), None),
            ];
            for (case, (keys, pad, attn)) in cases.into_iter().enumerate() {
                let run = |ours: bool| {
                    device.seed(11);
                    let q = query.clone().detach().require_grad();
                    let k = keys.clone().detach().require_grad();
                    let (context, weights) = if ours {
                        hand_written(
                            &mha,
                            q.clone(),
                            k.clone(),
                            k.clone(),
                            pad.clone(),
                            attn.clone(),
                        )
                    } else {
                        attend(
                            &mha,
                            q.clone(),
                            k.clone(),
                            k.clone(),
                            pad.clone(),
                            attn.clone(),
                        )
                    };
                    let grads = (context.clone() * loss_weights.clone()).sum().backward();
                    let flat3 = |t: Tensor<3>| {
                        let n = t.shape().num_elements();
                        t.reshape([1, n])
                    };
                    let weight_grads: Vec<Tensor<2>> =
                        [&mha.query, &mha.key, &mha.value, &mha.output]
                            .iter()
                            .map(|l| l.weight.grad(&grads).expect("a projection's gradient"))
                            .collect();
                    let n = weights.shape().num_elements();
                    (
                        flat3(context).inner(),
                        weights.inner().reshape([1, n]),
                        flat3(q.grad(&grads).expect("dq")),
                        flat3(k.grad(&grads).expect("dk")),
                        weight_grads,
                    )
                };
                let ours = run(true);
                let theirs = run(false);
                let what = |name: &str| format!("dropout {dropout}, case {case}: {name}");
                close(ours.0, theirs.0, &what("context"));
                close(ours.1, theirs.1, &what("weights"));
                close(ours.2, theirs.2, &what("d query input"));
                close(ours.3, theirs.3, &what("d key input"));
                for (i, (a, b)) in ours.4.into_iter().zip(theirs.4).enumerate() {
                    close(a, b, &what(&format!("d projection {i}")));
                }
            }
        }
    }
}
