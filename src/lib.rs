//! seq2seq-playground: watch a small sequence-to-sequence model with attention learn.
//!
//! The core ([`data`], [`model`], [`train`]) is plain burn code: one code path whose
//! [`burn::tensor::Device`] decides where it runs (burn's pure-Rust `flex` CPU backend natively
//! and in tests, WebGPU in the page). [`viz`] draws the plots from plain data with plotters,
//! onto the page's canvases or into PNG files. [`controls`] describes every setting (ranges,
//! defaults, choices) for the page and the command line.
//!
//! Layers: data -> model -> train, viz beside train (both read plain data from [`data`]) ->
//! controls -> web / cli.

pub mod controls;
pub mod data;
pub mod model;
pub mod train;
pub mod viz;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod web;
