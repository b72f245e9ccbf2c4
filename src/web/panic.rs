//! A panic hook that logs to the console and hands the message to the page: it calls
//! `globalThis.__seq2seqPanic(message)` when the page (or worker) defined it.

use wasm_bindgen::JsValue;

/// Installs the hook (idempotent).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = format!("panic in the Rust core: {info}");
        let global = js_sys::global();
        if let Ok(callback) = js_sys::Reflect::get(&global, &JsValue::from_str("__seq2seqPanic"))
            && let Some(callback) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Function>(&callback)
        {
            let _ = callback.call1(&JsValue::NULL, &JsValue::from_str(&message));
        }
    }));
}
