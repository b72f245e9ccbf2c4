//! Picking the device: WebGPU when the browser gives an adapter, else the same core on burn's
//! CPU backend compiled to wasm.

use burn::tensor::Device;
use burn::tensor::wgpu::WgpuBackend;
use wasm_bindgen::prelude::*;

/// Where training runs.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// burn's cubecl runtime on the browser's WebGPU.
    WebGpu = "webgpu",
    /// burn's pure-Rust `flex` backend, in wasm on the CPU.
    Cpu = "cpu",
}

/// Opens the device for `backend`. WebGPU initialisation is asynchronous, as the browser
/// requires; its error is returned so the caller can fall back to the CPU.
pub async fn open(backend: Backend) -> Result<Device, String> {
    match backend {
        Backend::WebGpu => Device::wgpu_options()
            .graphics_api(WgpuBackend::WebGpu)
            .init_async()
            .await
            .map_err(|e| format!("WebGPU initialisation failed: {e}")),
        Backend::Cpu => Ok(Device::flex()),
        Backend::__Invalid => Err("unknown backend".into()),
    }
}
