//! Picking the device: WebGPU when the browser gives an adapter, else the same core on burn's
//! CPU backend compiled to wasm. The WebGPU device is opened once and kept, so a run can move
//! to it and back (burn's runtime cannot be initialised twice).

use burn::tensor::Device;
use burn::tensor::wgpu::WgpuBackend;
use std::cell::RefCell;
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

thread_local! {
    /// The WebGPU device, once opened.
    static WEBGPU: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// Opens the device for `backend` (WebGPU: once, then the same device). WebGPU initialisation
/// is asynchronous, as the browser requires; its error is returned so the caller can fall back
/// to the CPU.
pub async fn open(backend: Backend) -> Result<Device, String> {
    match backend {
        Backend::WebGpu => {
            if let Some(device) = WEBGPU.with_borrow(Clone::clone) {
                return Ok(device);
            }
            crate::model::fusion::install()?;
            let device = Device::wgpu_options()
                .graphics_api(WgpuBackend::WebGpu)
                .init_async()
                .await
                .map_err(|e| format!("WebGPU initialisation failed: {e}"))?;
            WEBGPU.with_borrow_mut(|cached| *cached = Some(device.clone()));
            Ok(device)
        }
        Backend::Cpu => Ok(Device::flex()),
        Backend::__Invalid => Err("unknown backend".into()),
    }
}
