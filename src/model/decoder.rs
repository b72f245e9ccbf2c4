//! The decoder: generates the target one token at a time from BOS, reading the previous token
//! (the true one under teacher forcing, its own guess otherwise) and a context vector from
//! attention, and scores the next token over the target vocabulary.

use super::recurrence::{AttentiveInputs, SequenceInputs, run_attentive, run_sequence};
use super::{
    Attention, AttentionConfig, AttentionKind, CellKind, EncoderOutput, InitKind, RecurrentCell,
    RecurrentCellConfig,
};
use crate::data::vocab::BOS;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::prelude::*;

/// Configuration of a [`Decoder`].
#[derive(Config, Debug)]
pub struct DecoderConfig {
    /// Target vocabulary size.
    pub vocab_size: usize,
    /// Embedding size.
    pub embedding_size: usize,
    /// Hidden state size (the encoder's).
    pub hidden_size: usize,
    /// Recurrent cell (the encoder's, so its final state can start the decoder).
    #[config(default = "CellKind::Gru")]
    pub cell: CellKind,
    /// Stacked layers (the encoder's).
    #[config(default = 1)]
    pub layers: usize,
    /// Attention scoring.
    #[config(default = "AttentionKind::Additive")]
    pub attention: AttentionKind,
    /// Weight initialisation.
    #[config(default = "InitKind::Xavier")]
    pub init: InitKind,
}

impl DecoderConfig {
    /// Builds the decoder on `device`.
    pub fn init(&self, device: &Device) -> Decoder {
        let h = self.hidden_size;
        let layers = (0..self.layers.max(1))
            .map(|layer| {
                let input = if layer == 0 { self.embedding_size } else { h };
                RecurrentCellConfig::new(input, h)
                    .with_kind(self.cell)
                    .with_init(self.init)
                    .init(device)
            })
            .collect();
        let linear = |input: usize, output: usize, bias: bool| {
            LinearConfig::new(input, output)
                .with_bias(bias)
                .with_initializer(self.init.initializer())
                .init(device)
        };
        Decoder {
            embedding: EmbeddingConfig::new(self.vocab_size, self.embedding_size).init(device),
            layers,
            context_gates: linear(h, self.cell.gates() * h, false),
            attention: AttentionConfig::new(h)
                .with_kind(self.attention)
                .with_init(self.init)
                .init(device),
            output: linear(2 * h, self.vocab_size, true),
        }
    }
}

/// Embedding, stacked recurrent layers, attention and the output projection.
#[derive(Module, Debug)]
pub struct Decoder {
    /// Target token embeddings `[vocab, embedding]`.
    pub embedding: Embedding,
    /// Recurrent layers, bottom first; the bottom one also reads the context vector.
    pub layers: Vec<RecurrentCell>,
    /// Context vector -> bottom layer's gates `[hidden, gates * hidden]`.
    pub context_gates: Linear,
    /// Where to look in the source.
    pub attention: Attention,
    /// `[top state; context]` -> scores over the target vocabulary.
    pub output: Linear,
}

/// What the decoder read at each step.
#[derive(Debug, Clone)]
pub enum DecoderInputs {
    /// Teacher forcing: the true previous tokens, BOS first `[batch, target_len]`.
    TeacherForced(Box<Tensor<2, Int>>),
    /// Scheduled sampling: at each step and for each sequence, the true previous token where
    /// `use_truth` is true, else the decoder's own previous guess (argmax).
    Scheduled {
        /// The true previous tokens, BOS first `[batch, target_len]`.
        tokens: Box<Tensor<2, Int>>,
        /// Per sequence and step, whether the true token is fed `[batch, target_len]`.
        use_truth: Box<Tensor<2, Bool>>,
    },
    /// Free running: its own previous guess (argmax), from BOS, for `steps` steps.
    Greedy {
        /// Sequences.
        batch: usize,
        /// Steps to run.
        steps: usize,
    },
}

/// Scores and attention of a decoding run.
#[derive(Debug, Clone)]
pub struct DecoderOutput {
    /// Unnormalised scores `[batch, target_len, vocab]`.
    pub logits: Tensor<3>,
    /// Attention weights `[batch, target_len, source_len]`; `None` without attention.
    pub attention: Option<Tensor<3>>,
}

/// Greedy decoding: the chosen tokens as well.
#[derive(Debug, Clone)]
pub struct GreedyOutput {
    /// Chosen ids `[batch, steps]` (read them up to the first EOS).
    pub tokens: Tensor<2, Int>,
    /// Scores and attention.
    pub output: DecoderOutput,
}

impl Decoder {
    /// Decodes with the true previous tokens (teacher forcing): every input projection is one
    /// product over all positions, and the output projection another.
    pub fn forward_teacher_forced(
        &self,
        encoded: &EncoderOutput,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
    ) -> DecoderOutput {
        self.run(
            encoded,
            source_mask,
            DecoderInputs::TeacherForced(Box::new(target_input)),
        )
        .output
    }

    /// Decodes from BOS, feeding back its own argmax guess, for `steps` steps.
    pub fn greedy(
        &self,
        encoded: &EncoderOutput,
        source_mask: Tensor<2>,
        steps: usize,
    ) -> GreedyOutput {
        let batch = encoded.states.dims()[0];
        self.run(encoded, source_mask, DecoderInputs::Greedy { batch, steps })
    }

    /// Scheduled sampling (see [`DecoderInputs::Scheduled`]).
    pub fn scheduled(
        &self,
        encoded: &EncoderOutput,
        source_mask: Tensor<2>,
        target_input: Tensor<2, Int>,
        use_truth: Tensor<2, Bool>,
    ) -> DecoderOutput {
        let inputs = DecoderInputs::Scheduled {
            tokens: Box::new(target_input),
            use_truth: Box::new(use_truth),
        };
        self.run(encoded, source_mask, inputs).output
    }

    /// Teacher forcing with one layer: the whole loop as one operation with a hand-written
    /// backward pass ([`run_attentive`], or [`run_sequence`] without attention); the same numbers
    /// as the step-by-step loop of [`run`](Self::run).
    fn teacher_forced_one_layer(
        &self,
        encoded: &EncoderOutput,
        source_mask: Tensor<2>,
        tokens: Tensor<2, Int>,
    ) -> GreedyOutput {
        let cell = &self.layers[0];
        let [batch, steps] = tokens.dims();
        // [batch, target_len, gates * hidden]: one product for every position
        let token_gates = cell.project_input(self.embedding.forward(tokens));
        let initial = encoded.final_states[0].clone();
        let hidden_gates = (cell.hidden_gates.weight.val(), cell.hidden_bias());
        let (features, attention) = if self.attention.kind == AttentionKind::None {
            // one fixed context vector: its gates are the same at every step
            let context = initial.hidden.clone();
            let context_gates = self.context_gates.forward(context.clone());
            let run = run_sequence(
                cell.kind,
                SequenceInputs {
                    input_gates: token_gates + context_gates.unsqueeze_dim::<3>(1),
                    weight: hidden_gates.0,
                    bias: hidden_gates.1,
                    initial,
                    keep: Tensor::ones([batch, steps], &context.device()),
                },
            );
            let [_, hidden] = context.dims();
            let contexts = context.unsqueeze_dim::<3>(1).expand([batch, steps, hidden]);
            (Tensor::cat(vec![run.hidden, contexts], 2), None)
        } else {
            let memory = self.attention.memory(encoded.states.clone(), source_mask);
            let additive = match (&self.attention.query, &self.attention.score) {
                (Some(query), Some(score)) => Some((query.weight.val(), score.weight.val())),
                _ => None,
            };
            let run = run_attentive(
                cell.kind,
                self.attention.kind,
                AttentiveInputs {
                    token_gates,
                    values: memory.values,
                    keys: memory.keys,
                    padding_bias: memory.padding_bias,
                    hidden_gates,
                    context_gates: self.context_gates.weight.val(),
                    additive,
                    initial,
                },
            );
            (run.features, Some(run.weights))
        };
        let logits = self.output.forward(features); // [batch, target_len, vocab]
        GreedyOutput {
            tokens: logits.clone().argmax(2).squeeze_dim(2),
            output: DecoderOutput { logits, attention },
        }
    }

    /// A decoding run of zero steps: empty tokens, scores and attention.
    fn no_steps(&self, encoded: &EncoderOutput, batch: usize) -> GreedyOutput {
        let device = encoded.states.device();
        let vocab = self.output.weight.dims()[1];
        let source_len = encoded.states.dims()[1];
        GreedyOutput {
            tokens: Tensor::<2, Int>::zeros([batch, 0], &device),
            output: DecoderOutput {
                logits: Tensor::zeros([batch, 0, vocab], &device),
                attention: (self.attention.kind != AttentionKind::None)
                    .then(|| Tensor::zeros([batch, 0, source_len], &device)),
            },
        }
    }

    /// The decoding loop shared by all modes.
    pub fn run(
        &self,
        encoded: &EncoderOutput,
        source_mask: Tensor<2>,
        inputs: DecoderInputs,
    ) -> GreedyOutput {
        if let (DecoderInputs::TeacherForced(tokens), 1) = (&inputs, self.layers.len()) {
            return self.teacher_forced_one_layer(encoded, source_mask, (**tokens).clone());
        }
        let device = encoded.states.device();
        let bottom = &self.layers[0];
        // Teacher forcing: per step, the true tokens' gate inputs. Scheduled sampling: per step,
        // the true tokens `[batch, 1]` and where to use them.
        let (batch, steps, mut teacher_inputs, mut truths) = match inputs {
            DecoderInputs::TeacherForced(tokens) => {
                let [batch, steps] = tokens.dims();
                // [batch, target_len, gates * hidden]: one product for every position
                let projected = bottom.project_input(self.embedding.forward(*tokens));
                (
                    batch,
                    steps,
                    Some(projected.chunk(steps, 1).into_iter()),
                    None,
                )
            }
            DecoderInputs::Scheduled { tokens, use_truth } => {
                let [batch, steps] = tokens.dims();
                let truths = tokens
                    .chunk(steps, 1)
                    .into_iter()
                    .zip(use_truth.chunk(steps, 1));
                (batch, steps, None, Some(truths))
            }
            DecoderInputs::Greedy { batch, steps } => (batch, steps, None, None),
        };
        if steps == 0 {
            return self.no_steps(encoded, batch);
        }
        let attends = self.attention.kind != AttentionKind::None;
        let mut state = self.begin(encoded, source_mask);
        let mut previous = Tensor::<2, Int>::full([batch, 1], BOS as i64, &device);
        let (mut tops, mut contexts, mut weights, mut step_logits, mut tokens) =
            (vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..steps {
            if let Some((truth, use_truth)) = truths.as_mut().and_then(Iterator::next) {
                // the true token where drawn, else the previous guess (BOS at the first step)
                previous = previous.mask_where(use_truth, truth);
            }
            match teacher_inputs.as_mut() {
                Some(projected) => {
                    let token_gates = projected
                        .next()
                        .expect("one projection per step")
                        .squeeze_dim(1);
                    let step = self.advance(&mut state, token_gates);
                    weights.extend(step.attention);
                    tops.push(step.top);
                    contexts.push(step.context);
                }
                None => {
                    let (logits, step) = self.step(&mut state, previous.clone());
                    weights.extend(step.attention);
                    previous = logits.clone().argmax(1); // [batch, 1]
                    tokens.push(previous.clone());
                    step_logits.push(logits);
                }
            }
        }
        let logits = if teacher_inputs.is_some() {
            let features = Tensor::cat(
                vec![Tensor::stack::<3>(tops, 1), Tensor::stack::<3>(contexts, 1)],
                2,
            ); // [batch, target_len, 2 * hidden]
            self.output.forward(features)
        } else {
            Tensor::stack(step_logits, 1)
        };
        let tokens = if tokens.is_empty() {
            logits.clone().argmax(2).squeeze_dim(2)
        } else {
            Tensor::cat(tokens, 1)
        };
        GreedyOutput {
            tokens,
            output: DecoderOutput {
                logits,
                attention: attends.then(|| Tensor::stack(weights, 1)),
            },
        }
    }
}
