//! The one-layer decoder with attention under teacher forcing, as one differentiable operation:
//! at each position attend with the previous state, add the context's gates to the true token's,
//! step the cell.

use super::cell_backward::step_backward;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
use super::kernels::{self, Gpu, Packed};
use super::manual::{ManualOp, Plain, apply};
use super::sequence::add;
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
use crate::model::Stretches;
use crate::model::activation::tanh;
use crate::model::attention::AttentionKind;
use crate::model::cell::{CellKind, CellState, StepCache, gate_equations};
use burn::prelude::*;
use burn::tensor::activation::softmax;
use burn::tensor::module::linear;

/// The inputs of [`run_attentive`].
#[derive(Debug, Clone)]
pub struct AttentiveInputs {
    /// The true previous tokens' gate pre-activations `[batch, len, gates * hidden]`.
    pub token_gates: Tensor<3>,
    /// Encoder states `[batch, source_len, hidden]`.
    pub values: Tensor<3>,
    /// What queries are scored against `[batch, source_len, hidden]`.
    pub keys: Tensor<3>,
    /// 0 on real source tokens, -1e9 on PAD `[batch, source_len]`.
    pub padding_bias: Tensor<2>,
    /// Hidden-to-gates weight `[hidden, gates * hidden]` and bias `[gates * hidden]`.
    pub hidden_gates: (Tensor<2>, Tensor<1>),
    /// Context-to-gates weight `[hidden, gates * hidden]`.
    pub context_gates: Tensor<2>,
    /// Additive attention: the query weight `[hidden, hidden]` and the score vector `[hidden, 1]`.
    pub additive: Option<(Tensor<2>, Tensor<2>)>,
    /// The state before the first position (the encoder's final state).
    pub initial: CellState,
}

/// The decoder's outputs at every position.
#[derive(Debug, Clone)]
pub struct AttentiveOutput {
    /// `[top state; context]` at every position `[batch, len, 2 * hidden]`: what the output
    /// projection reads.
    pub features: Tensor<3>,
    /// Attention weights `[batch, len, source_len]` (no gradient: for the plots).
    pub weights: Tensor<3>,
}

/// Runs the decoder over the true previous tokens: the same numbers as the step-by-step loop of
/// [`Decoder::run`](crate::model::Decoder::run), with one hand-written backward step.
pub fn run_attentive(
    kind: CellKind,
    attention: AttentionKind,
    inputs: AttentiveInputs,
) -> AttentiveOutput {
    assert!(
        attention != AttentionKind::None,
        "attention without a scoring function"
    );
    let device = inputs.token_gates.device();
    let unused = || Tensor::<2>::zeros([1, 1], &device);
    let (query, score) = inputs.additive.unwrap_or_else(|| (unused(), unused()));
    let memory = inputs.initial.memory.unwrap_or_else(unused);
    let op = AttentiveOp {
        kind,
        hidden_size: inputs.hidden_gates.0.dims()[0],
        additive: attention == AttentionKind::Additive,
    };
    let (features, extras) = apply(
        op,
        [
            inputs.token_gates.into_dispatch(),
            inputs.values.into_dispatch(),
            inputs.keys.into_dispatch(),
            inputs.hidden_gates.0.into_dispatch(),
            inputs.hidden_gates.1.into_dispatch(),
            inputs.context_gates.into_dispatch(),
            query.into_dispatch(),
            score.into_dispatch(),
            inputs.initial.hidden.into_dispatch(),
            memory.into_dispatch(),
            inputs.padding_bias.into_dispatch(),
        ],
    );
    let weights = extras.into_iter().next().expect("the attention weights");
    AttentiveOutput {
        features: Tensor::from_dispatch(features),
        weights: Tensor::from_dispatch(weights),
    }
}

/// The operation: inputs `[token_gates, values, keys, hidden weight, hidden bias, context weight,
/// query weight, score vector, initial hidden, initial memory, padding bias]`; output
/// `[batch, len, 2 * hidden]`; extra output the attention weights.
#[derive(Debug, Clone)]
struct AttentiveOp {
    kind: CellKind,
    hidden_size: usize,
    additive: bool,
}

/// What one position keeps for the backward pass.
#[derive(Debug, Clone)]
struct PositionSaved {
    cache: StepCache,
    /// The state the position started from (the query) `[batch, hidden]`.
    previous: Tensor<2>,
    /// Attention weights `[batch, source_len]`.
    weights: Tensor<2>,
    /// Additive: `tanh(keys + U s)` `[batch, source_len, hidden]`.
    energy: Option<Tensor<3>>,
}

/// What the forward pass keeps.
// One per forward pass, moved once: no gain from boxing the larger variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum AttentiveSaved {
    /// The step-by-step version's.
    Steps(StepsSaved),
    /// The GPU kernel's: `[its flat outputs, values, keys, packed parameters, packed initial
    /// state]`.
    #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
    Kernel([Plain; 5]),
}

/// What the step-by-step forward pass keeps.
#[derive(Debug, Clone)]
struct StepsSaved {
    positions: Vec<PositionSaved>,
    /// The state each position started from, stacked `[batch, len, hidden]`.
    previous: Tensor<3>,
    /// Context vectors, stacked `[batch, len, hidden]`.
    contexts: Tensor<3>,
    /// Attention weights, stacked `[batch, len, source_len]`.
    weights: Tensor<3>,
    values: Tensor<3>,
    keys: Tensor<3>,
    hidden_weight: Tensor<2>,
    context_weight: Tensor<2>,
    query: Tensor<2>,
    score: Tensor<2>,
}

impl ManualOp<11> for AttentiveOp {
    type Saved = AttentiveSaved;

    fn forward(&self, inputs: [Plain; 11]) -> (Plain, AttentiveSaved, Vec<Plain>) {
        #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
        if kernels::on_gpu(&inputs[0]) && inputs[1].get::<3>().dims()[1] <= kernels::MAX_SOURCE_LEN
        {
            return self.forward_on_gpu(inputs);
        }
        let [
            tokens,
            values,
            keys,
            hidden_w,
            hidden_b,
            context_w,
            query,
            score,
            hidden,
            memory,
            bias,
        ] = inputs;
        let token_gates = tokens.get::<3>();
        let (values, keys) = (values.get::<3>(), keys.get::<3>());
        let (hidden_w, hidden_b) = (hidden_w.get::<2>(), hidden_b.get::<1>());
        let (context_w, query, score) = (context_w.get::<2>(), query.get::<2>(), score.get::<2>());
        let padding_bias = bias.get::<2>();
        let mut state = CellState {
            hidden: hidden.get::<2>(),
            memory: (self.kind == CellKind::Lstm).then(|| memory.get::<2>()),
        };
        let (mut positions, mut tops, mut contexts, mut all_weights) =
            (vec![], vec![], vec![], vec![]);
        for gates in super::positions(token_gates) {
            // the same operations, in the same order, as Attention::forward and Decoder::run
            let previous = state.hidden.clone();
            let (scores, energy) = if self.additive {
                let q = linear(previous.clone(), query.clone(), None).unsqueeze_dim::<3>(1);
                let energy = tanh(keys.clone() + q);
                let scores = linear(energy.clone(), score.clone(), None).squeeze_dim(2);
                (scores, Some(energy))
            } else {
                let scores = keys
                    .clone()
                    .matmul(previous.clone().unsqueeze_dim::<3>(2))
                    .squeeze_dim(2);
                (scores, None)
            };
            let weights = softmax(scores + padding_bias.clone(), 1);
            let context: Tensor<2> = weights
                .clone()
                .unsqueeze_dim::<3>(1)
                .matmul(values.clone())
                .squeeze_dim(1);
            let context_gates = linear(context.clone(), context_w.clone(), None);
            let input = gates + context_gates;
            let from_hidden = linear(previous.clone(), hidden_w.clone(), Some(hidden_b.clone()));
            let (next, cache) =
                gate_equations(self.kind, self.hidden_size, input, from_hidden, state);
            state = next;
            tops.push(state.hidden.clone());
            contexts.push(context.clone());
            all_weights.push(weights.clone());
            positions.push(PositionSaved {
                cache,
                previous,
                weights,
                energy,
            });
        }
        let state_at_start = positions[0].previous.clone();
        let tops = Tensor::stack::<3>(tops, 1);
        let contexts = Tensor::stack::<3>(contexts, 1);
        let weights = Tensor::stack::<3>(all_weights, 1);
        // the state each position started from: the initial one, then each top but the last
        let previous = super::previous_states(state_at_start, tops.clone(), self.hidden_size);
        let features = Tensor::cat(vec![tops, contexts.clone()], 2);
        let saved = AttentiveSaved::Steps(StepsSaved {
            positions,
            previous,
            contexts,
            weights: weights.clone(),
            values,
            keys,
            hidden_weight: hidden_w,
            context_weight: context_w,
            query,
            score,
        });
        (Plain::new(features), saved, vec![Plain::new(weights)])
    }

    fn backward(
        &self,
        saved: AttentiveSaved,
        grad: Plain,
        needed: [bool; 11],
    ) -> [Option<Plain>; 11] {
        // (one variant where the GPU backend is not compiled in)
        #[allow(clippy::infallible_destructuring_match)]
        let saved = match saved {
            AttentiveSaved::Steps(saved) => saved,
            #[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
            AttentiveSaved::Kernel(saved) => return self.backward_on_gpu(saved, grad, needed),
        };
        let grad = grad.get::<3>();
        let batch = grad.dims()[0];
        let h = self.hidden_size;
        let hidden_wt = saved.hidden_weight.clone().transpose();
        let context_wt = saved.context_weight.clone().transpose();
        let query_t = saved.query.clone().transpose(); // [1, 1] unless additive
        // the score vector as a row `[1, 1, hidden]`, to scale each energy
        let score_row = self
            .additive
            .then(|| saved.score.clone().reshape([1, 1, h]));
        let values_t = saved.values.clone().swap_dims(1, 2); // [batch, hidden, source_len]
        let (mut d_hidden, mut d_memory): (Option<Tensor<2>>, Option<Tensor<2>>) = (None, None);
        let mut d_keys: Option<Tensor<3>> = None;
        let mut d_score: Option<Tensor<2>> = None;
        let (mut d_token_gates, mut d_hidden_gates, mut d_contexts, mut d_queries) =
            (vec![], vec![], vec![], vec![]);
        let grads = super::positions(grad);
        let mut positions = saved.positions;
        for (position, grad) in positions
            .drain(..)
            .zip(grads)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            let d_top =
                add(Some(grad.clone().narrow(1, 0, h)), d_hidden.take()).expect("a gradient");
            let step = step_backward(position.cache, d_top, d_memory.take());
            // input = token gates + context @ C
            let d_context =
                grad.narrow(1, h, h) + step.input_gates.clone().matmul(context_wt.clone());
            // context = weights @ values
            let d_weights = d_context
                .clone()
                .unsqueeze_dim::<3>(1)
                .matmul(values_t.clone())
                .squeeze_dim::<2>(1); // [batch, source_len]
            // softmax: d_scores = w * (d_w - sum(w * d_w))
            let w = position.weights.clone();
            let d_scores = w.clone() * (d_weights.clone() - (w.clone() * d_weights).sum_dim(1));
            let through_query = match position.energy {
                Some(energy) => {
                    // scores = tanh(keys + q) @ v
                    let d_scores3 = d_scores.unsqueeze_dim::<3>(2); // [batch, source_len, 1]
                    // d(tanh) * d_scores * v, the full-shape factor first: a product of two
                    // broadcast operands is a kernel of its own, one with a full operand fuses
                    let slope = energy.clone().neg() * energy.clone() + 1.0;
                    let d_pre = slope * d_scores3.clone() * score_row.clone().expect("additive");
                    let d_v = (energy * d_scores3)
                        .reshape([batch * position.weights.dims()[1], h])
                        .sum_dim(0);
                    d_score = Some(match d_score.take() {
                        Some(acc) => acc + d_v,
                        None => d_v,
                    });
                    let d_query = d_pre.clone().sum_dim(1).squeeze_dim::<2>(1); // [batch, hidden]
                    d_keys = Some(match d_keys.take() {
                        Some(acc) => acc + d_pre,
                        None => d_pre,
                    });
                    d_queries.push(d_query.clone());
                    d_query.matmul(query_t.clone())
                }
                None => {
                    // scores = keys @ s
                    let d_k = d_scores.clone().unsqueeze_dim::<3>(2)
                        * position.previous.clone().unsqueeze_dim::<3>(1);
                    d_keys = Some(match d_keys.take() {
                        Some(acc) => acc + d_k,
                        None => d_k,
                    });
                    d_scores
                        .unsqueeze_dim::<3>(1)
                        .matmul(saved.keys.clone())
                        .squeeze_dim(1)
                }
            };
            let through_product = step.hidden_gates.clone().matmul(hidden_wt.clone());
            d_hidden = add(Some(through_product + through_query), step.previous_hidden);
            d_memory = step.previous_memory;
            d_token_gates.push(step.input_gates);
            d_hidden_gates.push(step.hidden_gates);
            d_contexts.push(d_context);
        }
        for list in [
            &mut d_token_gates,
            &mut d_hidden_gates,
            &mut d_contexts,
            &mut d_queries,
        ] {
            list.reverse();
        }
        let stack = |list: Vec<Tensor<2>>| Tensor::stack::<3>(list, 1);
        AttentiveGrads {
            token_gates: stack(d_token_gates),
            hidden_gates: stack(d_hidden_gates),
            contexts_grad: stack(d_contexts),
            queries: self.additive.then(|| stack(d_queries)),
            keys: d_keys.expect("a keys gradient"),
            score: d_score,
            initial_hidden: d_hidden.expect("a gradient"),
            initial_memory: d_memory,
            previous: saved.previous,
            contexts: saved.contexts,
            weights: saved.weights,
        }
        .into_inputs(needed, self.kind == CellKind::Lstm)
    }
}

/// What both versions of the backward pass compute per position; the weights' gradients follow
/// from them in one product over all positions.
struct AttentiveGrads {
    /// `[batch, len, gates * hidden]`.
    token_gates: Tensor<3>,
    /// `[batch, len, gates * hidden]`.
    hidden_gates: Tensor<3>,
    /// Of the context vectors `[batch, len, hidden]`.
    contexts_grad: Tensor<3>,
    /// Of the additive attention's queries `[batch, len, hidden]`.
    queries: Option<Tensor<3>>,
    /// `[batch, source_len, hidden]`.
    keys: Tensor<3>,
    /// Of the additive score vector (`hidden` elements).
    score: Option<Tensor<2>>,
    initial_hidden: Tensor<2>,
    initial_memory: Option<Tensor<2>>,
    /// The state each position started from `[batch, len, hidden]`.
    previous: Tensor<3>,
    /// The context vectors `[batch, len, hidden]`.
    contexts: Tensor<3>,
    /// The attention weights `[batch, len, source_len]`.
    weights: Tensor<3>,
}

impl AttentiveGrads {
    /// The gradients of the operation's inputs (`needed` as in [`ManualOp::backward`]).
    fn into_inputs(self, needed: [bool; 11], lstm: bool) -> [Option<Plain>; 11] {
        let [batch, len, gates] = self.token_gates.dims();
        let h = self.previous.dims()[2];
        let rows = batch * len;
        let flat = |tensor: Tensor<3>| {
            let width = tensor.dims()[2];
            tensor.reshape([rows, width])
        };
        let d_input = flat(self.token_gates.clone());
        let d_hidden_gates = flat(self.hidden_gates);
        let previous = flat(self.previous);
        let [
            tokens,
            values,
            keys,
            hidden_w,
            hidden_b,
            context_w,
            query,
            score,
            hidden,
            memory,
            _,
        ] = needed;
        let (queries, d_score, initial_memory) = (self.queries, self.score, self.initial_memory);
        let (weights, contexts_grad, contexts) = (self.weights, self.contexts_grad, self.contexts);
        [
            tokens.then(|| Plain::new(self.token_gates)),
            // d_values = sum over positions of weights^T d_context
            values.then(|| Plain::new(weights.swap_dims(1, 2).matmul(contexts_grad))),
            keys.then(|| Plain::new(self.keys)),
            hidden_w
                .then(|| Plain::new(previous.clone().transpose().matmul(d_hidden_gates.clone()))),
            hidden_b.then(|| Plain::new(d_hidden_gates.sum_dim(0).reshape([gates]))),
            context_w.then(|| Plain::new(flat(contexts).transpose().matmul(d_input))),
            match (query, queries) {
                (true, Some(queries)) => {
                    Some(Plain::new(previous.transpose().matmul(flat(queries))))
                }
                _ => None,
            },
            match (score, d_score) {
                (true, Some(d_score)) => Some(Plain::new(d_score.reshape([h, 1]))),
                _ => None,
            },
            hidden.then(|| Plain::new(self.initial_hidden)),
            (memory && lstm).then(|| Plain::new(initial_memory.expect("an LSTM memory gradient"))),
            None,
        ]
    }
}

#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
impl AttentiveOp {
    /// The forward pass on the GPU: one kernel walks the positions.
    fn forward_on_gpu(&self, inputs: [Plain; 11]) -> (Plain, AttentiveSaved, Vec<Plain>) {
        let [
            tokens,
            values,
            keys,
            hidden_w,
            hidden_b,
            context_w,
            query,
            score,
            hidden,
            memory,
            bias,
        ] = inputs;
        let parameters = Packed::pack(vec![
            Packed::flat(hidden_w.get::<2>()),
            hidden_b.get::<1>(),
            Packed::flat(context_w.get::<2>()),
            Packed::flat(query.get::<2>()),
            Packed::flat(score.get::<2>()),
        ]);
        let initial = Packed::initial_state(self.kind, &hidden, &memory);
        let flat = Gpu::attentive_forward(
            [&tokens, &values, &keys, &parameters, &initial, &bias],
            self.kind,
            self.additive,
        );
        let [batch, len, _] = tokens.get::<3>().dims();
        let source = values.get::<3>().dims()[1];
        let mut outputs = Stretches::new(flat.clone());
        let features = outputs.next([batch, len, 2 * self.hidden_size]);
        let weights = outputs.next([batch, len, source]);
        let saved = [Plain::new(flat), values, keys, parameters, initial];
        (
            Plain::new(features),
            AttentiveSaved::Kernel(saved),
            vec![Plain::new(weights)],
        )
    }

    /// The backward pass on the GPU: one kernel walks the positions back.
    fn backward_on_gpu(
        &self,
        saved: [Plain; 5],
        grad: Plain,
        needed: [bool; 11],
    ) -> [Option<Plain>; 11] {
        let [outputs, values, keys, parameters, initial] = &saved;
        let grads = Gpu::attentive_backward(
            [&grad, outputs, values, keys, parameters, initial],
            self.kind,
            self.additive,
        );
        let h = self.hidden_size;
        let [batch, len, _] = grad.get::<3>().dims();
        let source = values.get::<3>().dims()[1];
        let width = self.kind.gates() * h;
        let mut grads = Stretches::new(grads);
        let d_tokens = grads.next([batch, len, width]);
        let d_hidden_gates = grads.next([batch, len, width]);
        let d_contexts = grads.next([batch, len, h]);
        let d_queries = grads.next([batch, len, h]);
        let d_keys = grads.next([batch, source, h]);
        let d_score_rows = grads.next([batch, h]);
        let d_hidden = grads.next([batch, h]);
        let d_memory = grads.next([batch, h]);
        let mut outputs = Stretches::new(outputs.get());
        let features = outputs.next([batch, len, 2 * h]);
        let weights = outputs.next([batch, len, source]);
        let initial = Stretches::new(initial.get()).next([batch, h]);
        let previous = super::previous_states(initial, features.clone(), h);
        let lstm = self.kind == CellKind::Lstm;
        AttentiveGrads {
            token_gates: d_tokens,
            hidden_gates: d_hidden_gates,
            contexts_grad: d_contexts,
            queries: self.additive.then_some(d_queries),
            keys: d_keys,
            score: self.additive.then(|| d_score_rows.sum_dim(0)),
            initial_hidden: d_hidden,
            initial_memory: lstm.then_some(d_memory),
            previous,
            contexts: features.slice([0..batch, 0..len, h..2 * h]),
            weights,
        }
        .into_inputs(needed, lstm)
    }
}
