//! The browser API (`wasm-bindgen`): the only browser-aware module. The page's Web Worker
//! creates a [`Session`] from a JSON config, steps it, and posts metrics and plot snapshots to
//! the page, whose [`PlotBoard`] draws them onto its canvases.

mod compare;
mod device;
mod panic;
mod plots;
mod session;

pub use compare::CompareSession;
pub use device::Backend;
pub use plots::{ComparisonBoard, PlotBoard};
pub use session::{Session, check_dataset};

use wasm_bindgen::prelude::*;

unsafe extern "C" {
    /// The module's static constructors, a function synthesised by the linker (`wasm-ld`).
    /// burn's dependency `pliron` registers items with `inventory`, which needs them.
    fn __wasm_call_ctors();
}

/// Runs once when the module is instantiated: runs the static constructors, then installs the
/// panic hook that shows panics in the page.
///
/// Calling `__wasm_call_ctors` explicitly matters for speed: a module that never calls it is
/// linked "command style", where the linker wraps *every* export to run all constructors on
/// each call (measured: 20-400 ms per call into the module, see dtolnay/inventory#76).
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: wasm-bindgen calls the start function exactly once per instance, right after
    // instantiation and before any other export, which is when constructors must run.
    unsafe { __wasm_call_ctors() };
    panic::install();
}

/// The crate version, shown in the page footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The plots' names as a JSON array: the ids of the canvases the page draws them on.
#[wasm_bindgen(js_name = plotNames)]
pub fn plot_names() -> String {
    serde_json::to_string(&crate::viz::PlotName::names()).unwrap_or_default()
}

/// Every control's range, default and choices, and the own-data limits, as JSON
/// ([`crate::controls::ControlSpecs`]): the page builds its controls from it.
#[wasm_bindgen(js_name = controlSpecs)]
pub fn control_specs() -> String {
    serde_json::to_string(&crate::controls::control_specs()).unwrap_or_default()
}
