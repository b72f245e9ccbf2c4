//! Checkpoints: the run's config, vocabularies and step, the weights (burn's burnpack record),
//! Adam's moments and the batcher's position, in one self-describing file: everything that
//! decides the next step, so a loaded run goes on exactly as the saved one would have.

use super::adam::AdamState;
use super::seeded_init::init_seeded;
use super::tensors::DeviceError;
use super::weights::copy_weights;
use super::{RunConfig, Trainer};
use crate::data::dataset::Vocabularies;
use crate::data::{Batcher, BatcherPosition, OwnDataset, TaskData};
use crate::model::Seq2Seq;
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::prelude::{Device, Tensor};
use burn::store::{ModuleRecord, RecordError};
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// First bytes of every checkpoint file.
const MAGIC: &[u8; 8] = b"S2SPLAY1";

/// Why a checkpoint could not be read or used.
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// Not a checkpoint of this program.
    #[error("not a seq2seq-playground checkpoint (wrong header)")]
    NotACheckpoint,
    /// Cut short or corrupted.
    #[error("the checkpoint is damaged: {0}")]
    Damaged(String),
    /// The data regenerated from the config does not match the saved vocabularies.
    #[error("the checkpoint's vocabularies do not match its task's data")]
    VocabularyMismatch,
    /// The weights could not be read from, or written to, the device.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The weights do not fit the model the config describes.
    #[error("the checkpoint's weights do not fit its model: {0}")]
    Weights(String),
}

#[derive(Serialize, Deserialize)]
struct Header {
    config: RunConfig,
    vocabularies: Vocabularies,
    step: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    own_data: Option<OwnDataset>,
    /// Where the batcher stands (files from before it was saved: the start of the order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    batcher: Option<BatcherPosition>,
    /// Bytes of weights after the header; the optimiser state follows them. Files from before
    /// the optimiser state was saved have no such field: the weights run to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weights_len: Option<usize>,
    /// The divergence guard's recent losses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    recent_losses: Vec<f32>,
}

/// A saved run.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The run's configuration.
    pub config: RunConfig,
    /// Tokenisers and vocabularies.
    pub vocabularies: Vocabularies,
    /// Steps trained.
    pub step: usize,
    /// The person's own dataset, when the run is not on a built-in task.
    pub own_data: Option<OwnDataset>,
    /// burnpack bytes of the model's weights.
    pub weights: Vec<u8>,
    /// Where the batcher stands; `None` in older files (the order starts afresh).
    pub batcher: Option<BatcherPosition>,
    /// Adam's moments; `None` in older files (Adam starts afresh).
    pub optimizer: Option<AdamState>,
    /// The divergence guard's recent losses (empty in older files).
    pub recent_losses: Vec<f32>,
}

impl Checkpoint {
    /// Serialises to bytes: magic, header length (u32 LE), JSON header, weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&Header {
            config: self.config.clone(),
            vocabularies: self.vocabularies.clone(),
            step: self.step,
            own_data: self.own_data.clone(),
            batcher: self.batcher,
            weights_len: self.optimizer.as_ref().map(|_| self.weights.len()),
            recent_losses: self.recent_losses.clone(),
        })
        .expect("a header always serialises");
        let optimizer = self.optimizer.as_ref().map(AdamState::to_bytes);
        let optimizer = optimizer.unwrap_or_default();
        let mut bytes =
            Vec::with_capacity(12 + header.len() + self.weights.len() + optimizer.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&self.weights);
        bytes.extend_from_slice(&optimizer);
        bytes
    }

    /// Parses bytes written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or(CheckpointError::NotACheckpoint)?;
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| CheckpointError::Damaged("no header length".into()))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(CheckpointError::Damaged("header cut short".into()));
        }
        let (header, body) = rest.split_at(len);
        let header: Header = serde_json::from_slice(header)
            .map_err(|e| CheckpointError::Damaged(format!("header: {e}")))?;
        let (weights, optimizer) = match header.weights_len {
            None => (body, None),
            Some(weights_len) if weights_len <= body.len() => {
                let (weights, optimizer) = body.split_at(weights_len);
                let optimizer =
                    AdamState::from_bytes(optimizer).map_err(CheckpointError::Damaged)?;
                (weights, Some(optimizer))
            }
            Some(_) => return Err(CheckpointError::Damaged("weights cut short".into())),
        };
        header
            .config
            .validate()
            .map_err(|e| CheckpointError::Damaged(format!("config: {e:?}")))?;
        Ok(Self {
            config: header.config,
            vocabularies: header.vocabularies,
            step: header.step,
            own_data: header.own_data,
            weights: weights.to_vec(),
            batcher: header.batcher,
            optimizer,
            recent_losses: header.recent_losses,
        })
    }
}

/// Gives the parameters ids 0, 1, 2, ... in module order. burn draws a fresh random id for each
/// parameter of every new model, and burnpack stores them: without this, the same run saved by
/// two processes would differ in those bytes alone.
#[derive(Default)]
struct NumberedIds {
    next: u64,
}

impl ModuleMapper for NumberedIds {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (_, value, mapper) = param.consume();
        self.next += 1;
        Param::from_mapped_value(ParamId::from(self.next - 1), value, mapper)
    }
}

impl Trainer {
    /// Saves the run, blocking on the reads (native only; the page uses
    /// [`checkpoint_async`](Self::checkpoint_async)).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn checkpoint(&self) -> Result<Checkpoint, DeviceError> {
        pollster::block_on(self.checkpoint_async())
    }

    /// Saves the run with asynchronous reads only (fit for WebGPU in a page): the weights are
    /// copied onto a CPU model first, then written as burnpack; Adam's moments are read in one
    /// transaction.
    pub async fn checkpoint_async(&self) -> Result<Checkpoint, DeviceError> {
        let vocab = &self.data().vocabularies;
        let config = self
            .config()
            .model
            .seq2seq(vocab.source.len(), vocab.target.len());
        let shell = init_seeded(&config, &Device::flex(), 0);
        let model = copy_weights(self.model(), shell).await?;
        let optimizer = self.optimizer_state().await?;
        let weights = weights_record(model.map(&mut NumberedIds::default()))
            .into_bytes()
            .expect("weights always serialise");
        Ok(Checkpoint {
            config: self.config().clone(),
            vocabularies: self.data().vocabularies.clone(),
            step: self.step_count(),
            own_data: self.own_data().cloned(),
            weights: weights.to_vec(),
            batcher: Some(self.batcher_position()),
            optimizer: Some(optimizer),
            recent_losses: self.recent_losses(),
        })
    }

    /// Restores a saved run on `device`: the data is regenerated from the config (built-in
    /// tasks are deterministic) or rebuilt from the saved own dataset, and must give the saved
    /// vocabularies. The weights, Adam's moments and the batcher's position are loaded without
    /// any read from the device.
    pub fn from_checkpoint(
        checkpoint: &Checkpoint,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let config = checkpoint.config.clone();
        let mut trainer = match &checkpoint.own_data {
            Some(own) => Trainer::with_own_data(config, own.clone(), device)
                .map_err(|e| CheckpointError::Damaged(format!("config: {e:?}")))?,
            None => {
                Trainer::with_data(config, TaskData::from_task(&checkpoint.config.task), device)
            }
        };
        if trainer.data().vocabularies != checkpoint.vocabularies {
            return Err(CheckpointError::VocabularyMismatch);
        }
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(checkpoint.weights.clone()))
            .map_err(|e| CheckpointError::Weights(e.to_string()))?;
        // Numbered afresh in module order, as they were saved: the file's ids are only bytes,
        // and a damaged file could give two parameters one id (whose gradients would then be
        // taken for each other's).
        let model = load_weights(trainer.model().clone(), record)
            .map_err(|e| CheckpointError::Weights(e.to_string()))?
            .map(&mut NumberedIds::default());
        trainer.set_model(model, checkpoint.step);
        if let Some(state) = &checkpoint.optimizer {
            trainer
                .set_optimizer_state(state)
                .map_err(CheckpointError::Damaged)?;
        }
        if let Some(position) = checkpoint.batcher {
            let batcher = Batcher::at(
                trainer.data().train.len(),
                trainer.config().train.seed,
                position,
            )
            .map_err(CheckpointError::Damaged)?;
            trainer.set_batcher(batcher);
        }
        trainer.set_recent_losses(&checkpoint.recent_losses);
        Ok(trainer)
    }

    /// Restores a saved run on `device` through the CPU, with asynchronous reads only (fit for
    /// WebGPU in a page): the run is loaded on the CPU, then moved over whole.
    pub async fn from_checkpoint_async(
        checkpoint: &Checkpoint,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let on_cpu = Self::from_checkpoint(checkpoint, &Device::flex())?;
        Ok(on_cpu.moved_to(device).await?)
    }
}

/// The weights' record, with the paths of the architecture itself (`encoder.embedding.weight`,
/// not `Rnn.encoder...`): files saved before there was more than one architecture load as they
/// are, and the config says which architecture a file holds.
fn weights_record(model: Seq2Seq) -> ModuleRecord {
    match model {
        Seq2Seq::Rnn(model) => model.into_record(),
        Seq2Seq::Transformer(model) => model.into_record(),
    }
}

/// `model` with the weights of `record` (as [`weights_record`] writes them).
fn load_weights(model: Seq2Seq, record: ModuleRecord) -> Result<Seq2Seq, RecordError> {
    match model {
        Seq2Seq::Rnn(model) => model.try_load_record(record).map(Seq2Seq::Rnn),
        Seq2Seq::Transformer(model) => model.try_load_record(record).map(Seq2Seq::Transformer),
    }
}
