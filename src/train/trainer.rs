//! The training loop, one step at a time, fit for a browser: [`Trainer::step`] is `async` and
//! reads its metrics back with burn's asynchronous reads, so the page can await it between
//! frames; natively it is driven with a blocking executor.

use super::adam::{Adam, AdamSettings, AdamState};
use super::bleu::{BleuStats, BleuTokenizer};
use super::chrf::ChrfStats;
use super::loss::masked_cross_entropy;
use super::metrics::{Evaluation, SequenceScore, StepMetrics};
use super::optimizer::UpdateRule;
use super::schedule;
use super::search::{Strategy, beam_search};
use super::seeded_init::{init_seeded, with_seeded_generator};
use super::tensors::{BatchTensors, DeviceError, read_floats, read_ids};
use super::{ConfigError, RunConfig, TrainSettings};
use crate::data::vocab::{EOS, PAD};
use crate::data::{Batch, Batcher, BatcherPosition, EncodedPair, OwnDataset, TaskData, Tokenizer};
use crate::model::{ModelKind, Seq2Seq};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

/// Validation examples decoded per batch.
pub(crate) const EVAL_BATCH: usize = 128;

/// A model, its optimiser and its data, stepping on one device.
#[derive(Clone)]
pub struct Trainer {
    config: RunConfig,
    data: TaskData,
    device: Device,
    model: Seq2Seq,
    optimizer: Adam,
    batcher: Batcher,
    step: usize,
    last_batch: Option<Batch>,
    last_good: Option<Snapshot>,
    before_change: Option<Snapshot>,
    own_data: Option<OwnDataset>,
    recent_losses: VecDeque<f32>,
}

/// Everything that decides the next step (weights, optimiser state, batch order and position,
/// step count: the random draws derive from the step), to go back to.
#[derive(Clone)]
struct Snapshot {
    model: Seq2Seq,
    optimizer: Adam,
    batcher: Batcher,
    step: usize,
}

/// Steps after a settings change during which a divergence goes back to before the change.
pub const SETTLED_STEPS: usize = 100;

/// A loss this many times the chance-level loss (`ln(vocabulary)`) means the run has blown up.
pub const DIVERGENCE_FACTOR: f32 = 10.0;

/// Sane losses the divergence guard remembers (their median is the run's recent level).
pub const RECENT_LOSSES: usize = 50;

/// A loss this many times the median of the recent ones, and [`JUMP_MARGIN`] above it, means
/// the run has blown up even below chance level (0.3 -> 20, say).
pub const JUMP_FACTOR: f32 = 10.0;

/// See [`JUMP_FACTOR`]: small losses may jump several-fold on a hard batch without harm.
pub const JUMP_MARGIN: f32 = 2.0;

impl Trainer {
    /// A fresh run of a built-in task on `device` (a plain device; autodiff is added here).
    pub fn new(config: RunConfig, device: &Device) -> Result<Self, Vec<ConfigError>> {
        config.validate()?;
        let data = TaskData::from_task(&config.task);
        Ok(Self::with_data(config, data, device))
    }

    /// A fresh run on a person's own dataset; `config.task` only gives the validation share.
    pub fn with_own_data(
        config: RunConfig,
        dataset: OwnDataset,
        device: &Device,
    ) -> Result<Self, Vec<ConfigError>> {
        config.validate()?;
        let data = dataset.task_data(config.task.valid_fraction);
        let mut trainer = Self::with_data(config, data, device);
        trainer.own_data = Some(dataset);
        Ok(trainer)
    }

    /// A fresh run (new weights from the seed, step 0) of the same config and data on `device`.
    pub fn fresh_on(&self, device: &Device) -> Self {
        let mut trainer = Self::with_data(self.config.clone(), self.data.clone(), device);
        trainer.own_data = self.own_data.clone();
        trainer
    }

    /// The person's own dataset this run trains on, if it is not a built-in task.
    pub fn own_data(&self) -> Option<&OwnDataset> {
        self.own_data.as_ref()
    }

    /// A fresh run on given data. `config` must be valid.
    pub fn with_data(config: RunConfig, data: TaskData, device: &Device) -> Self {
        let device = device.clone().autodiff();
        let vocab = &data.vocabularies;
        let model = init_seeded(
            &config.model.seq2seq(vocab.source.len(), vocab.target.len()),
            &device,
            config.train.seed,
        );
        Self {
            batcher: Batcher::new(data.train.len(), config.train.seed),
            optimizer: Adam::new(AdamSettings::default()),
            config,
            data,
            device,
            model,
            step: 0,
            last_batch: None,
            last_good: None,
            before_change: None,
            own_data: None,
            recent_losses: VecDeque::with_capacity(RECENT_LOSSES),
        }
    }

    /// The run's configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The data being learnt.
    pub fn data(&self) -> &TaskData {
        &self.data
    }

    /// The model as it is now.
    pub fn model(&self) -> &Seq2Seq {
        &self.model
    }

    /// Replaces the weights (loading a checkpoint); the optimiser state starts afresh (see
    /// [`set_optimizer_state`](Self::set_optimizer_state)). `model`
    /// must live on this run's device (build it from [`model`](Self::model), as
    /// [`load_weights_from`](Self::load_weights_from) does): moving modules between devices reads
    /// synchronously, and it untracks the parameters for autodiff.
    pub fn set_model(&mut self, model: Seq2Seq, step: usize) {
        self.model = model;
        self.optimizer = Adam::new(AdamSettings::default());
        self.step = step;
        self.last_good = None;
        self.before_change = None;
    }

    /// Adam's moments, read back (asynchronously) in the model's parameter order.
    pub async fn optimizer_state(&self) -> Result<AdamState, DeviceError> {
        self.optimizer.state(&self.model).await
    }

    /// Replaces Adam's moments (from [`optimizer_state`](Self::optimizer_state) of a run of the
    /// same model); fails when they do not fit this model.
    pub fn set_optimizer_state(&mut self, state: &AdamState) -> Result<(), String> {
        self.optimizer = Adam::from_state(
            AdamSettings::default(),
            self.config.train.optimizer,
            &self.model,
            state,
            &self.device,
        )?;
        Ok(())
    }

    /// The learning rate the next step trains at (the schedule's, at this step).
    pub fn learning_rate(&self) -> f64 {
        let t = &self.config.train;
        schedule::rate(
            t.schedule,
            t.learning_rate,
            self.step,
            t.warmup_steps,
            t.decay_steps,
        )
    }

    /// How the next step updates the weights.
    fn update_rule(&self) -> UpdateRule {
        let t = &self.config.train;
        UpdateRule {
            learning_rate: self.learning_rate(),
            optimizer: t.optimizer,
            weight_decay: t.weight_decay,
            momentum: t.momentum,
        }
    }

    /// The batch order and position.
    pub fn batcher(&self) -> &Batcher {
        &self.batcher
    }

    /// Where the batcher stands (with the seed, its whole state).
    pub fn batcher_position(&self) -> BatcherPosition {
        self.batcher.position()
    }

    /// Replaces the batch order and position (a batcher over this run's training data).
    pub fn set_batcher(&mut self, batcher: Batcher) {
        self.batcher = batcher;
    }

    /// Sets the batch shown as the last one (a moved run keeps showing it).
    pub fn set_last_batch(&mut self, batch: Option<Batch>) {
        self.last_batch = batch;
    }

    /// Steps done.
    pub fn step_count(&self) -> usize {
        self.step
    }

    /// The batch of the last step (for the padding-mask plot).
    pub fn last_batch(&self) -> Option<&Batch> {
        self.last_batch.as_ref()
    }

    /// The batch the next step will train on, without consuming it.
    pub fn next_batch(&self) -> Batch {
        self.batcher
            .clone()
            .next_batch(&self.data.train, self.config.train.batch_size)
    }

    /// Changes some optimisation settings between steps without losing progress: `changes` is
    /// a JSON object of [`TrainSettings`] fields (e.g. `{"learning_rate": 0.001}`); the others
    /// keep their values. Malformed JSON, unknown fields and out-of-range values are refused
    /// with one [`ConfigError`] each, and nothing changes.
    pub fn update_train_settings(&mut self, changes: &str) -> Result<(), Vec<ConfigError>> {
        let refuse = |reason: String| {
            vec![ConfigError {
                field: "train".into(),
                value: changes.chars().take(200).collect(),
                reason,
            }]
        };
        let changes: serde_json::Value =
            serde_json::from_str(changes).map_err(|e| refuse(format!("not JSON: {e}")))?;
        let serde_json::Value::Object(changes) = changes else {
            return Err(refuse("expected a JSON object of settings".into()));
        };
        let mut settings =
            serde_json::to_value(&self.config.train).expect("settings serialise to an object");
        for (field, value) in changes {
            settings[field] = value;
        }
        let settings: TrainSettings =
            serde_json::from_value(settings).map_err(|e| refuse(e.to_string()))?;
        self.set_train_settings(settings)
    }

    /// Changes the optimisation settings between steps without losing progress.
    /// The seed is refused: it drew the weights, the data and the batch order when the run
    /// started, so it can only change with a new run.
    pub fn set_train_settings(&mut self, settings: TrainSettings) -> Result<(), Vec<ConfigError>> {
        if settings.seed != self.config.train.seed {
            return Err(vec![ConfigError {
                field: "train.seed".into(),
                value: settings.seed.to_string(),
                reason: format!(
                    "the seed drew this run's weights, data and batch order when it started \
                     ({}); a new seed needs a new run (reset)",
                    self.config.train.seed
                ),
            }]);
        }
        let mut config = self.config.clone();
        config.train = settings;
        config.validate()?;
        if config.train != self.config.train {
            // If the new settings blow the run up, it goes back to here, not to weights the new
            // settings already spoilt while their loss still looked sane.
            self.before_change = Some(self.snapshot());
        }
        self.config = config;
        Ok(())
    }

    /// Runs one optimiser step and returns its metrics tensors unread: loss and gradient norm
    /// (`[2]`), plus whether the step was teacher-forced and its target token count.
    fn step_unread(&mut self) -> (Tensor<1>, f32, usize) {
        let settings = &self.config.train;
        let batch = self
            .batcher
            .next_batch(&self.data.train, settings.batch_size);
        let tensors = BatchTensors::new(&batch, &self.device);
        let use_truth = self.teacher_forcing_draws(&batch);
        let forced = use_truth.iter().filter(|&&t| t).count();
        let share = forced as f32 / use_truth.len().max(1) as f32;
        let forward = || {
            if forced == use_truth.len() {
                // every position reads the truth: the decoder's input projections are one product
                self.model
                    .forward(tensors.source, tensors.source_mask, tensors.target_input)
                    .logits
            } else if forced == 0 {
                self.model
                    .greedy(tensors.source, tensors.source_mask, batch.target_len)
                    .output
                    .logits
            } else {
                let shape = [batch.batch_size, batch.target_len];
                let use_truth = Tensor::<2, Bool>::from_data(
                    burn::tensor::TensorData::new(use_truth, shape),
                    &self.device,
                );
                self.model
                    .forward_scheduled(
                        tensors.source,
                        tensors.source_mask,
                        tensors.target_input,
                        use_truth,
                    )
                    .logits
            }
        };
        let logits = if self.config.model.kind == ModelKind::Transformer
            && self.config.model.dropout > 0.0
        {
            // Dropout draws from the backend's generator: seeded from the seed and the step,
            // so a resumed run drops what the saved one would have.
            let seed = self.step_rng().random::<u64>() ^ 0xd60f_0a7e;
            with_seeded_generator(&self.device, seed, forward)
        } else {
            forward()
        };
        let loss = masked_cross_entropy(
            logits,
            tensors.target_output,
            tensors.loss_mask,
            settings.label_smoothing,
        );
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let (model, norm) = self.optimizer.step_clipped(
            self.update_rule(),
            self.model.clone(),
            grads,
            settings.clip_norm,
        );
        self.model = model;
        let norm = norm.unwrap_or_else(|| Tensor::zeros([1], &self.device));
        self.step += 1;
        let tokens = batch.loss_tokens();
        self.last_batch = Some(batch);
        let metrics = Tensor::cat(vec![loss.detach(), norm.detach()], 0);
        (metrics, share, tokens)
    }

    /// Scheduled sampling's draws for this step, `[batch, target_len]` row-major: whether each
    /// sequence reads the true previous token at each position (probability: the teacher-forcing
    /// ratio), else its own previous guess (at the first position both are BOS).
    fn teacher_forcing_draws(&self, batch: &Batch) -> Vec<bool> {
        let ratio = self.config.train.teacher_forcing;
        let mut rng = self.step_rng();
        (0..batch.batch_size * batch.target_len)
            .map(|_| rng.random::<f64>() < ratio)
            .collect()
    }

    /// Everything that decides the next step, to go back to.
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            model: self.model.clone(),
            optimizer: self.optimizer.clone(),
            batcher: self.batcher.clone(),
            step: self.step,
        }
    }

    /// Goes back to `snapshot` (weights, optimiser, batch order and position, step).
    fn restore(&mut self, snapshot: Snapshot) {
        (self.model, self.optimizer, self.batcher, self.step) = (
            snapshot.model,
            snapshot.optimizer,
            snapshot.batcher,
            snapshot.step,
        );
    }

    /// The random draws of the current step (teacher forcing): a function of the seed and the
    /// step count only, so a resumed or rolled-back run draws exactly what it would have.
    fn step_rng(&self) -> StdRng {
        let step = (self.step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        StdRng::seed_from_u64(self.config.train.seed ^ 0x7eac_4e5f ^ step)
    }

    /// Where a divergent run goes back to: the weights from before the last settings change
    /// when that change is recent (a learning rate of 10 spoils weights for a few steps before
    /// their loss looks wrong), else the last weights whose loss was sane, else `fallback`.
    fn recovery_point(&mut self, fallback: Snapshot) -> Snapshot {
        match self.before_change.take() {
            Some(before_change) => {
                self.last_good = None;
                before_change
            }
            None => self.last_good.clone().unwrap_or(fallback),
        }
    }

    /// Whether a loss says the run has diverged: NaN, infinite, far above chance level, or far
    /// above the run's own recent level (the median of its last [`RECENT_LOSSES`] sane losses,
    /// once it has 10: more than [`JUMP_FACTOR`] times it and [`JUMP_MARGIN`] above it).
    pub fn is_divergent(&self, loss: f32) -> bool {
        let chance = (self.data.vocabularies.target.len() as f32).ln();
        if !loss.is_finite() || loss > DIVERGENCE_FACTOR * chance.max(1.0) {
            return true;
        }
        if self.recent_losses.len() < 10 {
            return false;
        }
        let mut recent: Vec<f32> = self.recent_losses.iter().copied().collect();
        recent.sort_by(f32::total_cmp);
        let median = recent[recent.len() / 2];
        loss > JUMP_FACTOR * median && loss > median + JUMP_MARGIN
    }

    /// The run's recent sane losses, oldest first (the divergence guard's memory).
    pub fn recent_losses(&self) -> Vec<f32> {
        self.recent_losses.iter().copied().collect()
    }

    /// Sets the divergence guard's memory (a resumed run), keeping the last [`RECENT_LOSSES`].
    pub fn set_recent_losses(&mut self, losses: &[f32]) {
        let skip = losses.len().saturating_sub(RECENT_LOSSES);
        self.recent_losses = losses[skip..].iter().copied().collect();
    }

    /// One optimiser step.
    ///
    /// A step's loss measures the weights it started from. When it comes back divergent (see
    /// [`is_divergent`](Self::is_divergent)) those weights are bad already, so the run goes back
    /// to the last weights (and optimiser state) whose loss was sane, and the metrics say
    /// `diverged` with the step count restored. A failed read (a lost GPU device) is an error,
    /// and the run stays as it was before the step.
    pub async fn step(&mut self) -> Result<StepMetrics, DeviceError> {
        let mut metrics = self.steps(1).await?;
        Ok(metrics.remove(0))
    }

    /// Up to `count` optimiser steps (at least one) with a single read back at the end: on a GPU
    /// the device runs them without waiting for the page in between (one round trip instead of
    /// `count`). Divergence is handled as in [`step`](Self::step), checked step by step once the
    /// metrics are read: the first divergent step ends the run of steps, undoes it and the ones
    /// after it, and is the last metrics returned. A failed read leaves the run as it was
    /// before these steps.
    pub async fn steps(&mut self, count: usize) -> Result<Vec<StepMetrics>, DeviceError> {
        let mut pending = Vec::with_capacity(count.max(1));
        for _ in 0..count.max(1) {
            let before = self.snapshot();
            let (metrics, teacher_forced, target_tokens) = self.step_unread();
            pending.push((
                before,
                metrics,
                teacher_forced,
                target_tokens,
                self.batcher.epoch(),
            ));
        }
        let tensors = pending.iter().map(|p| p.1.clone()).collect();
        let values = match read_floats(tensors).await {
            Ok(values) => values,
            Err(error) => {
                let first = pending.swap_remove(0).0;
                self.restore(first);
                return Err(error);
            }
        };
        let mut done = Vec::with_capacity(pending.len());
        for ((before, _, teacher_forced, target_tokens, epoch), values) in
            pending.into_iter().zip(values)
        {
            let (loss, grad_norm) = (values[0], values[1]);
            let diverged = self.is_divergent(loss) || !grad_norm.is_finite();
            let step = before.step + 1;
            if diverged {
                let good = self.recovery_point(before);
                self.restore(good);
            } else {
                if self
                    .before_change
                    .as_ref()
                    .is_some_and(|b| step > b.step + SETTLED_STEPS)
                {
                    self.before_change = None;
                }
                self.last_good = Some(before);
                if self.recent_losses.len() == RECENT_LOSSES {
                    self.recent_losses.pop_front();
                }
                self.recent_losses.push_back(loss);
            }
            done.push(StepMetrics {
                step: if diverged { self.step } else { step },
                epoch,
                loss,
                grad_norm,
                teacher_forced,
                target_tokens,
                diverged,
            });
            if diverged {
                break;
            }
        }
        Ok(done)
    }

    /// Scores the model on (up to `limit`) validation examples: teacher-forced loss, and greedy
    /// decoding's token and exact-sequence accuracy, BLEU and chrF.
    pub async fn evaluate(&self, limit: usize) -> Result<Evaluation, DeviceError> {
        self.evaluate_with(limit, Strategy::Greedy).await
    }

    /// [`evaluate`](Self::evaluate) with the outputs decoded by `strategy` (greedy or beam
    /// search; sampling is scored as greedy, a validation score should not be a draw).
    pub async fn evaluate_with(
        &self,
        limit: usize,
        strategy: Strategy,
    ) -> Result<Evaluation, DeviceError> {
        let examples = &self.data.valid[..self.data.valid.len().min(limit)];
        self.evaluate_on(examples, strategy).await
    }

    /// Scores the model on the given examples.
    pub async fn evaluate_on(
        &self,
        examples: &[EncodedPair],
        strategy: Strategy,
    ) -> Result<Evaluation, DeviceError> {
        let model = self.model.valid();
        let device = self.device.clone().inner();
        let vocab = &self.data.vocabularies;
        let bleu_tokenizer = match vocab.target_tokenizer {
            Tokenizer::Chars => BleuTokenizer::Char,
            Tokenizer::Words => BleuTokenizer::Mteval13a,
        };
        let (mut bleu, mut chrf) = (BleuStats::default(), ChrfStats::default());
        let mut score = SequenceScore::default();
        let (mut loss_sum, mut loss_weight) = (0.0f64, 0usize);
        for chunk in examples.chunks(EVAL_BATCH) {
            let pairs: Vec<&EncodedPair> = chunk.iter().collect();
            let batch = Batch::from_pairs(&pairs);
            let tensors = BatchTensors::new(&batch, &device);
            let output = model.forward(
                tensors.source.clone(),
                tensors.source_mask.clone(),
                tensors.target_input,
            );
            let loss =
                masked_cross_entropy(output.logits, tensors.target_output, tensors.loss_mask, 0.0);
            let loss = read_floats(vec![loss]).await?[0][0];
            let tokens = decoded_rows(
                &model,
                tensors.source,
                tensors.source_mask,
                batch.target_len,
                strategy,
            )
            .await?;
            let tokens_in_batch = batch.loss_tokens();
            loss_sum += f64::from(loss) * tokens_in_batch as f64;
            loss_weight += tokens_in_batch;
            for (row, pair) in chunk.iter().enumerate() {
                let predicted = &tokens[row * batch.target_len..(row + 1) * batch.target_len];
                score.add(predicted, &pair.target);
                let (output, reference) = (
                    vocab.target_text(predicted),
                    vocab.target_text(&pair.target),
                );
                bleu.add(&output, &reference, bleu_tokenizer);
                chrf.add(&output, &reference);
            }
        }
        Ok(Evaluation {
            step: self.step,
            loss: (loss_sum / loss_weight.max(1) as f64) as f32,
            token_accuracy: score.token_accuracy(),
            exact_accuracy: score.exact_accuracy(),
            examples: score.sequences,
            bleu: bleu.score() as f32,
            chrf: chrf.score() as f32,
        })
    }

    /// The non-autodiff device the model's inference runs on.
    pub fn inference_device(&self) -> Device {
        self.device.clone().inner()
    }
}

/// Each row of a batch decoded by `strategy` for `steps` steps, as `[rows * steps]` ids laid
/// out as greedy decoding gives them (beam search: each row's best hypothesis, EOS when it
/// ended, then PAD). Sampling decodes greedily here: a score should not be a draw.
pub(crate) async fn decoded_rows(
    model: &Seq2Seq,
    source: Tensor<2, Int>,
    source_mask: Tensor<2>,
    steps: usize,
    strategy: Strategy,
) -> Result<Vec<usize>, DeviceError> {
    match strategy {
        Strategy::Beam { width, alpha } => {
            let found = beam_search(model, source, source_mask, width, alpha, steps).await?;
            Ok(found
                .iter()
                .flat_map(|result| {
                    let best = result.nbest.first();
                    let mut ids: Vec<usize> = best.map_or_else(Vec::new, |h| h.tokens.clone());
                    if best.is_some_and(|h| h.finished) {
                        ids.push(EOS);
                    }
                    ids.resize(steps, PAD);
                    ids
                })
                .collect())
        }
        Strategy::Greedy | Strategy::Sample { .. } => {
            read_ids(model.greedy(source, source_mask, steps).tokens).await
        }
    }
}
