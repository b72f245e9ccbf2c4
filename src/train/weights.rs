//! Copying a model's weights onto another model (of the same architecture, on any device) with
//! asynchronous reads only: the page cannot block on a GPU read, so burn's synchronous
//! `to_device` across backends is off limits there.

use super::Trainer;
use crate::model::Seq2Seq;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use burn::tensor::{TensorData, Transaction};

/// Gathers every float parameter into one read.
#[derive(Default)]
struct GatherParams {
    transaction: Transaction,
}

impl ModuleVisitor for GatherParams {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let transaction = std::mem::take(&mut self.transaction);
        self.transaction = transaction.register(param.val());
    }
}

/// Replaces every float parameter, in visiting order, by the next value read.
struct ReplaceParams {
    values: std::vec::IntoIter<TensorData>,
}

impl ModuleMapper for ReplaceParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let data = self
            .values
            .next()
            .expect("both models have the same architecture");
        param.map(|tensor| {
            assert_eq!(
                *data.shape(),
                tensor.shape(),
                "both models have the same architecture"
            );
            Tensor::from_data(data, &tensor.device()).set_require_grad(tensor.is_require_grad())
        })
    }
}

/// `onto` with the weights of `from` (same architecture; any devices).
pub async fn copy_weights(from: &Seq2Seq, onto: Seq2Seq) -> Seq2Seq {
    let mut gather = GatherParams::default();
    from.visit(&mut gather);
    let values = gather
        .transaction
        .execute_async()
        .await
        .expect("reading the weights back");
    onto.map(&mut ReplaceParams {
        values: values.into_iter(),
    })
}

impl Trainer {
    /// Takes the weights of `other` (a run of the same config, perhaps on another device); the
    /// optimiser state starts afresh, as after loading a checkpoint.
    pub async fn load_weights_from(&mut self, other: &Trainer) {
        let model = copy_weights(other.model(), self.model().clone()).await;
        self.set_model(model, other.step_count());
    }
}
