//! `dataset`: prints a task's data as the model sees it (vocabulary sizes and token ids of the
//! train and validation pairs) as JSON, so a peer implementation (benches/peers/) trains on
//! exactly the same examples; with the run's initial weights (by parameter path, as drawn from
//! the seed) and its batch order for the first epochs, so the peer also starts from the same
//! weights and sees the same batches.

use super::args::{DatasetArgs, config_errors};
use crate::data::vocab::{BOS, EOS, PAD, UNK};
use crate::data::{Batcher, BatcherPosition};
use crate::train::Trainer;
use burn::module::{ModuleVisitor, Param};
use burn::prelude::{Device, Tensor};
use serde_json::{Map, Value, json};
use std::io::Write;

/// Epochs of batch order written for the peer (beyond them it shuffles on its own).
const EPOCHS_OF_ORDER: usize = 40;

/// Parameter values by path (`encoder.layers.0.input_gates.weight`), with their shapes.
#[derive(Default)]
struct NamedWeights {
    path: Vec<String>,
    weights: Map<String, Value>,
}

impl ModuleVisitor for NamedWeights {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let data = param.val().to_data();
        let values: Vec<f32> = data.iter::<f32>().collect();
        self.weights.insert(
            self.path.join("."),
            json!({ "shape": data.shape().to_vec(), "values": values }),
        );
    }
}

/// Runs the command.
pub fn run(args: DatasetArgs) -> Result<(), String> {
    let config = args.run.to_config()?;
    for note in args.run.unused_flag_notes(&config) {
        eprintln!("{note}");
    }
    let trainer = Trainer::new(config.clone(), &Device::flex()).map_err(config_errors)?;
    let data = trainer.data();
    let pairs = |pairs: &[crate::data::EncodedPair]| {
        pairs
            .iter()
            .map(|p| json!({ "source": p.source, "target": p.target }))
            .collect::<Vec<_>>()
    };
    let mut weights = NamedWeights::default();
    trainer.model().visit_architecture(&mut weights);
    let train_len = data.train.len();
    let epoch_orders: Vec<Vec<usize>> = (0..EPOCHS_OF_ORDER)
        .map(|epoch| {
            let position = BatcherPosition { epoch, cursor: 0 };
            let mut batcher = Batcher::at(train_len, config.train.seed, position)
                .expect("a position at an epoch's start fits");
            batcher.next_indices(train_len)
        })
        .collect();
    let vocab = &data.vocabularies;
    let text = json!({
            "task": config.task,
            "train_settings": config.train,
            "model": config.model,
            "source_vocab_size": vocab.source.len(),
            "target_vocab_size": vocab.target.len(),
            "special": { "pad": PAD, "bos": BOS, "eos": EOS, "unk": UNK },
            "train": pairs(&data.train),
            "valid": pairs(&data.valid),
            "initial_weights": weights.weights,
            "epoch_orders": epoch_orders,
    });
    writeln!(std::io::stdout(), "{text}").map_err(|e| format!("cannot write the data: {e}"))
}
