//! The native command line (see `seq2seq-playground --help`).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    seq2seq_playground::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
