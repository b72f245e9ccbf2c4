//! Property tests of the checkpoint reader (a fuzz target in proptest form): a run file with any
//! bytes changed or cut short never panics, and is either refused with an error or
//! loads into a run that can train a step.

use burn::prelude::Device;
use proptest::prelude::*;
use seq2seq_playground::train::{Checkpoint, RunConfig, Trainer};
use std::sync::OnceLock;

/// A small run's file, made once.
fn valid_file() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let mut config = RunConfig::default();
        config.task.dataset_size = 40;
        config.model.embedding_size = 8;
        config.model.hidden_size = 8;
        let mut trainer = Trainer::new(config, &Device::flex()).unwrap();
        pollster::block_on(trainer.step()).unwrap();
        trainer.checkpoint().unwrap().to_bytes()
    })
}

/// Reads `bytes` as a checkpoint; when it loads, the run must also take a training step.
fn read(bytes: &[u8]) -> Result<(), String> {
    let checkpoint = Checkpoint::from_bytes(bytes).map_err(|e| e.to_string())?;
    let mut trainer =
        Trainer::from_checkpoint(&checkpoint, &Device::flex()).map_err(|e| e.to_string())?;
    pollster::block_on(trainer.step()).map_err(|e| e.to_string())?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn changed_bytes_are_refused_or_load_into_a_working_run(
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = valid_file().to_vec();
        for (at, value) in &changes {
            let i = at.index(bytes.len());
            bytes[i] = *value;
        }
        // Either outcome is fine; a panic (or an error message that says nothing) is not.
        if let Err(message) = read(&bytes) {
            prop_assert!(message.len() > 10, "a bare error: {message:?}");
        }
    }

    #[test]
    fn a_file_cut_anywhere_is_refused(cut in any::<prop::sample::Index>()) {
        let bytes = valid_file();
        let cut = cut.index(bytes.len());
        prop_assert!(read(&bytes[..cut]).is_err(), "a file cut at {cut} of {} loaded", bytes.len());
    }

    #[test]
    fn random_bytes_after_the_magic_are_refused(tail in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let mut bytes = valid_file()[..8].to_vec();
        bytes.extend(tail);
        prop_assert!(read(&bytes).is_err());
    }
}

#[test]
fn the_file_itself_loads() {
    read(valid_file()).unwrap();
}
