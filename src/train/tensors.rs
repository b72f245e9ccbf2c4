//! Moving a plain [`Batch`] onto a device, and reading tensors back (asynchronously, as the
//! browser requires).

use crate::data::Batch;
use burn::prelude::*;
use burn::tensor::Transaction;

/// A batch as device tensors.
#[derive(Debug, Clone)]
pub struct BatchTensors {
    /// `[batch, source_len]`
    pub source: Tensor<2, Int>,
    /// `[batch, source_len]`, 1 = real token
    pub source_mask: Tensor<2>,
    /// `[batch, target_len]`, BOS + target
    pub target_input: Tensor<2, Int>,
    /// `[batch, target_len]`, target + EOS
    pub target_output: Tensor<2, Int>,
    /// `[batch, target_len]`, 1 = counts in the loss
    pub loss_mask: Tensor<2>,
}

fn ints(values: &[usize], shape: [usize; 2], device: &Device) -> Tensor<2, Int> {
    let values: Vec<i64> = values.iter().map(|&v| v as i64).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn floats(values: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

impl BatchTensors {
    /// Uploads `batch` to `device`.
    pub fn new(batch: &Batch, device: &Device) -> Self {
        let source_shape = [batch.batch_size, batch.source_len];
        let target_shape = [batch.batch_size, batch.target_len];
        Self {
            source: ints(&batch.source, source_shape, device),
            source_mask: floats(&batch.source_mask, source_shape, device),
            target_input: ints(&batch.target_input, target_shape, device),
            target_output: ints(&batch.target_output, target_shape, device),
            loss_mask: floats(&batch.loss_mask, target_shape, device),
        }
    }
}

/// A read from the device failed: the GPU device was lost (driver reset, GPU removed) or the
/// backend refused. The run cannot go on on that device; its last saved state can, elsewhere.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("reading back from the device failed (was the GPU device lost?): {0}")]
pub struct DeviceError(pub String);

impl DeviceError {
    /// Wraps any displayable backend error.
    pub fn from_display(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// Reads float tensors back in one transaction (one round trip on a GPU).
pub async fn read_floats<const D: usize>(
    tensors: Vec<Tensor<D>>,
) -> Result<Vec<Vec<f32>>, DeviceError> {
    let transaction = tensors
        .into_iter()
        .fold(Transaction::default(), Transaction::register);
    Ok(transaction
        .execute_async()
        .await
        .map_err(DeviceError::from_display)?
        .iter()
        .map(|data| data.iter::<f32>().collect())
        .collect())
}

/// Reads an int tensor back as ids.
pub async fn read_ids<const D: usize>(tensor: Tensor<D, Int>) -> Result<Vec<usize>, DeviceError> {
    Ok(tensor
        .into_data_async()
        .await
        .map_err(DeviceError::from_display)?
        .iter::<i64>()
        .map(|v| v.max(0) as usize)
        .collect())
}
