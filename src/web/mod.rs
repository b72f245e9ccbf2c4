//! The browser API (`wasm-bindgen`): the only browser-aware module. The page's Web Worker
//! creates a [`Session`] from a JSON config, steps it, and posts metrics to the page.

mod device;
mod panic;
mod session;

pub use device::Backend;
pub use session::Session;

use wasm_bindgen::prelude::*;

/// Runs when the module loads: installs the panic hook that shows panics in the page.
#[wasm_bindgen(start)]
pub fn start() {
    panic::install();
}

/// The crate version, shown in the page footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
