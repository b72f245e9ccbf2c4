//! Checkpoints: the run's config, vocabularies and step, and the weights (burn's burnpack
//! record), in one self-describing file.

use super::{RunConfig, Trainer};
use crate::data::TaskData;
use crate::data::dataset::Vocabularies;
use burn::module::Module;
use burn::prelude::Device;
use burn::store::ModuleRecord;
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
    /// The weights do not fit the model the config describes.
    #[error("the checkpoint's weights do not fit its model: {0}")]
    Weights(String),
}

#[derive(Serialize, Deserialize)]
struct Header {
    config: RunConfig,
    vocabularies: Vocabularies,
    step: usize,
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
    /// burnpack bytes of the model's weights.
    pub weights: Vec<u8>,
}

impl Checkpoint {
    /// Serialises to bytes: magic, header length (u32 LE), JSON header, weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&Header {
            config: self.config.clone(),
            vocabularies: self.vocabularies.clone(),
            step: self.step,
        })
        .expect("a header always serialises");
        let mut bytes = Vec::with_capacity(12 + header.len() + self.weights.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&self.weights);
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
        let (header, weights) = rest.split_at(len);
        let header: Header = serde_json::from_slice(header)
            .map_err(|e| CheckpointError::Damaged(format!("header: {e}")))?;
        header
            .config
            .validate()
            .map_err(|e| CheckpointError::Damaged(format!("config: {e:?}")))?;
        Ok(Self {
            config: header.config,
            vocabularies: header.vocabularies,
            step: header.step,
            weights: weights.to_vec(),
        })
    }
}

impl Trainer {
    /// Saves the run (reads the weights back synchronously: native only).
    pub fn checkpoint(&self) -> Checkpoint {
        let weights = self
            .model()
            .valid()
            .into_record()
            .into_bytes()
            .expect("weights always serialise");
        Checkpoint {
            config: self.config().clone(),
            vocabularies: self.data().vocabularies.clone(),
            step: self.step_count(),
            weights: weights.to_vec(),
        }
    }

    /// Restores a saved run of a built-in task on `device`: the data is regenerated from the
    /// config (it is deterministic) and must give the saved vocabularies.
    pub fn from_checkpoint(
        checkpoint: &Checkpoint,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let data = TaskData::from_task(&checkpoint.config.task);
        if data.vocabularies != checkpoint.vocabularies {
            return Err(CheckpointError::VocabularyMismatch);
        }
        let mut trainer = Trainer::with_data(checkpoint.config.clone(), data, device);
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(checkpoint.weights.clone()))
            .map_err(|e| CheckpointError::Weights(e.to_string()))?;
        let model = trainer
            .model()
            .clone()
            .try_load_record(record)
            .map_err(|e| CheckpointError::Weights(e.to_string()))?;
        trainer.set_model(model, checkpoint.step);
        Ok(trainer)
    }
}
