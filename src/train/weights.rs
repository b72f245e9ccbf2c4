//! Copying a model's weights onto another model (of the same architecture, on any device) with
//! asynchronous reads only: the page cannot block on a GPU read, so burn's synchronous
//! `to_device` across backends is off limits there. Parameter ids travel with the values, so a
//! copy saves to the very same bytes as its original.

use super::Trainer;
use super::tensors::DeviceError;
use crate::model::Seq2Seq;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use burn::tensor::{TensorData, Transaction};

/// Gathers every float parameter into one read, and their ids.
#[derive(Default)]
struct GatherParams {
    transaction: Transaction,
    ids: Vec<ParamId>,
}

impl ModuleVisitor for GatherParams {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let transaction = std::mem::take(&mut self.transaction);
        self.transaction = transaction.register(param.val());
        self.ids.push(param.id);
    }
}

/// Replaces every float parameter, in visiting order, by the next value read and its id.
struct ReplaceParams {
    values: std::iter::Zip<std::vec::IntoIter<TensorData>, std::vec::IntoIter<ParamId>>,
}

impl ModuleMapper for ReplaceParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (data, id) = self
            .values
            .next()
            .expect("both models have the same architecture");
        let (_, tensor, mapper) = param.consume();
        assert_eq!(
            *data.shape(),
            tensor.shape(),
            "both models have the same architecture"
        );
        let value =
            Tensor::from_data(data, &tensor.device()).set_require_grad(tensor.is_require_grad());
        Param::from_mapped_value(id, value, mapper)
    }
}

/// `onto` with the weights (and parameter ids) of `from`: same architecture, any devices.
pub async fn copy_weights(from: &Seq2Seq, onto: Seq2Seq) -> Result<Seq2Seq, DeviceError> {
    let mut gather = GatherParams::default();
    from.visit(&mut gather);
    let values = gather
        .transaction
        .execute_async()
        .await
        .map_err(DeviceError::from_display)?;
    Ok(onto.map(&mut ReplaceParams {
        values: values.into_iter().zip(gather.ids),
    }))
}

impl Trainer {
    /// Takes the weights of `other` (a run of the same config, perhaps on another device); the
    /// optimiser state starts afresh.
    pub async fn load_weights_from(&mut self, other: &Trainer) -> Result<(), DeviceError> {
        let model = copy_weights(other.model(), self.model().clone()).await?;
        self.set_model(model, other.step_count());
        Ok(())
    }

    /// This run, moved whole onto `device` (the page's backend switch, a device loss): weights,
    /// Adam's moments, batch order and position, step and last batch, with asynchronous reads
    /// only. The next step there is the step this run would have taken (to float precision
    /// across backends, bit for bit on the same one).
    pub async fn moved_to(&self, device: &Device) -> Result<Trainer, DeviceError> {
        let mut moved = self.fresh_on(device);
        moved.load_weights_from(self).await?;
        let state = self.optimizer_state().await?;
        moved
            .set_optimizer_state(&state)
            .map_err(DeviceError::from_display)?;
        moved.set_batcher(self.batcher().clone());
        moved.set_last_batch(self.last_batch().cloned());
        moved.set_recent_losses(&self.recent_losses());
        Ok(moved)
    }
}
