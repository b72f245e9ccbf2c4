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

/// Replaces every float parameter, in visiting order, by the next value read and its id; a
/// parameter without a value of its shape is left as it was and the mismatch recorded.
struct ReplaceParams {
    values: std::iter::Zip<std::vec::IntoIter<TensorData>, std::vec::IntoIter<ParamId>>,
    visited: usize,
    mismatch: Option<String>,
}

impl ModuleMapper for ReplaceParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let index = self.visited;
        self.visited += 1;
        let Some((data, id)) = self.values.next() else {
            self.mismatch
                .get_or_insert_with(|| format!("the source model has only {index} parameters"));
            return param;
        };
        let (_, tensor, mapper) = param.consume();
        if *data.shape() != tensor.shape() {
            self.mismatch.get_or_insert_with(|| {
                format!(
                    "parameter {index} is {:?} in the source model but {:?} here",
                    data.shape().as_slice(),
                    tensor.shape().as_slice()
                )
            });
            return Param::from_mapped_value(id, tensor, mapper);
        }
        let value =
            Tensor::from_data(data, &tensor.device()).set_require_grad(tensor.is_require_grad());
        Param::from_mapped_value(id, value, mapper)
    }
}

/// Every float parameter's values and id, in visiting order, in one asynchronous read.
async fn read_parameters(model: &Seq2Seq) -> Result<(Vec<TensorData>, Vec<ParamId>), DeviceError> {
    let mut gather = GatherParams::default();
    model.visit(&mut gather);
    let values = gather
        .transaction
        .execute_async()
        .await
        .map_err(DeviceError::from_display)?;
    Ok((values, gather.ids))
}

/// How far two models' weights are apart: the largest difference of a weight between them, and
/// the largest weight (of `a`) for its scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightDifference {
    /// The largest `|a - b|` over every weight.
    pub largest: f32,
    /// The largest `|a|`.
    pub scale: f32,
}

/// The difference between the weights of `a` and `b` (same architecture, any devices; NaN when
/// a weight is NaN on either side), with asynchronous reads only.
pub async fn weight_difference(a: &Seq2Seq, b: &Seq2Seq) -> Result<WeightDifference, DeviceError> {
    let (a, _) = read_parameters(a).await?;
    let (b, _) = read_parameters(b).await?;
    if a.len() != b.len() {
        return Err(DeviceError(format!(
            "cannot compare weights of different architectures: {} parameters and {}",
            a.len(),
            b.len()
        )));
    }
    let mut difference = WeightDifference {
        largest: 0.0,
        scale: 0.0,
    };
    for (a, b) in a.iter().zip(&b) {
        for (x, y) in a.iter::<f32>().zip(b.iter::<f32>()) {
            let apart = (x - y).abs();
            // NaN compares false: keep it visible
            if apart.is_nan() || apart > difference.largest {
                difference.largest = apart;
            }
            difference.scale = difference.scale.max(x.abs());
        }
    }
    Ok(difference)
}

/// `onto` with the weights (and parameter ids) of `from`: same architecture, any devices.
pub async fn copy_weights(from: &Seq2Seq, onto: Seq2Seq) -> Result<Seq2Seq, DeviceError> {
    let (values, ids) = read_parameters(from).await?;
    let count = values.len();
    let mut replace = ReplaceParams {
        values: values.into_iter().zip(ids),
        visited: 0,
        mismatch: None,
    };
    let copied = onto.map(&mut replace);
    if replace.mismatch.is_none() && replace.visited != count {
        replace.mismatch = Some(format!(
            "the source model has {count} parameters, this one {}",
            replace.visited
        ));
    }
    match replace.mismatch {
        Some(mismatch) => Err(DeviceError(format!(
            "cannot copy weights between different architectures: {mismatch}"
        ))),
        None => Ok(copied),
    }
}

impl Trainer {
    /// Takes the weights of `other` (a run of the same config, perhaps on another device); the
    /// optimiser state starts afresh.
    pub async fn load_weights_from(&mut self, other: &Trainer) -> Result<(), DeviceError> {
        let model = copy_weights(other.model(), self.model().clone()).await?;
        self.set_model(model, other.step_count());
        Ok(())
    }

    /// How far this run's weights are from `other`'s (a run of the same config, perhaps on
    /// another device): the crosscheck of a backend against the CPU.
    pub async fn weight_difference(
        &self,
        other: &Trainer,
    ) -> Result<WeightDifference, DeviceError> {
        weight_difference(self.model(), other.model()).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Seq2SeqConfig;

    fn model(hidden: usize, layers: usize) -> Seq2Seq {
        Seq2SeqConfig::new(7, 9)
            .with_hidden_size(hidden)
            .with_layers(layers)
            .init(&Device::flex())
    }

    #[test]
    fn copies_between_models_of_one_architecture() {
        let (from, onto) = (model(8, 1), model(8, 1));
        let copied = pollster_block(copy_weights(&from, onto)).expect("same architecture");
        let weight = |m: &Seq2Seq| m.rnn().unwrap().decoder.output.weight.val().into_data();
        weight(&copied).assert_eq(&weight(&from), true);
    }

    #[test]
    fn refuses_another_architecture_with_a_message() {
        let error = pollster_block(copy_weights(&model(8, 1), model(6, 1)))
            .expect_err("another hidden size");
        assert!(
            error
                .0
                .contains("is [32, 24] in the source model but [32, 18] here"),
            "{}",
            error.0
        );
        let error = pollster_block(copy_weights(&model(8, 2), model(8, 1)))
            .expect_err("another layer count");
        assert!(error.0.contains("parameter 5 is"), "{}", error.0);
        let error = pollster_block(copy_weights(&model(8, 1), model(8, 2)))
            .expect_err("another layer count");
        assert!(error.0.contains("different architectures"), "{}", error.0);
    }

    #[test]
    fn measures_how_far_two_models_weights_are_apart() {
        let a = model(8, 1);
        let same = pollster_block(copy_weights(&a, model(8, 1))).expect("same architecture");
        let apart = pollster_block(weight_difference(&a, &same)).expect("same architecture");
        assert_eq!(apart.largest, 0.0);
        let bias = |m: &Seq2Seq| m.rnn().unwrap().decoder.output.bias.clone().unwrap().val();
        assert!(apart.scale >= bias(&a).abs().max().into_scalar());
        // one weight moved by 0.25, one by 0.5: the larger is the difference
        let mut moved = same.clone();
        let shift = Tensor::<1>::from_data(
            [0.25, 0.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &Device::flex(),
        );
        let rnn = match &mut moved {
            Seq2Seq::Rnn(rnn) => rnn,
            _ => unreachable!("an RNN model"),
        };
        let output = &mut rnn.decoder.output;
        output.bias = output.bias.take().map(|b| b.map(|v| v + shift));
        let apart = pollster_block(weight_difference(&a, &moved)).expect("same architecture");
        assert!((apart.largest - 0.5).abs() < 1e-6, "{apart:?}");
        let error = pollster_block(weight_difference(&a, &model(8, 2))).expect_err("2 layers");
        assert!(error.0.contains("different architectures"), "{}", error.0);
    }

    /// Runs a future that completes without waiting (reads on the CPU backend).
    fn pollster_block<F: std::future::Future>(future: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("a CPU read does not wait"),
        }
    }
}
