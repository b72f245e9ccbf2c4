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

/// Declares a setting offered as a menu (in the page, on the command line, in configs): a
/// plain `Copy` enum with a default, its names for configs (serde) and the command line (strum,
/// lowercase unless `case` says otherwise), its labels from each variant's
/// `#[strum(message = ...)]` and the list of its variants.
macro_rules! menu_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident $body:tt) => {
        menu_enum!(case = "lowercase"; $(#[$meta])* $vis enum $name $body);
    };
    (case = $case:literal; $(#[$meta:meta])* $vis:vis enum $name:ident $body:tt) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Default,
            serde::Serialize,
            serde::Deserialize,
            strum::VariantArray,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::EnumMessage,
        )]
        #[serde(rename_all = $case)]
        #[strum(serialize_all = $case)]
        $(#[$meta])*
        $vis enum $name $body
    };
}

pub mod controls;
pub mod data;
pub mod model;
pub mod train;
pub mod viz;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod web;
