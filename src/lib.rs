//! seq2seq-playground: watch a small sequence-to-sequence model with attention learn.
//!
//! The core ([`data`], [`model`], [`train`]) is plain burn code: one code path whose
//! [`burn::tensor::Device`] decides where it runs (burn's pure-Rust `flex` CPU backend natively
//! and in tests, WebGPU in the page).

pub mod data;
pub mod model;
pub mod train;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod web;
