//! `--device`: where the command line trains. `cpu` is burn's flex backend; `wgpu` is burn's
//! wgpu runtime natively (WGSL shaders, the kernels the page runs on WebGPU), compiled in with
//! the crate's `wgpu` feature; `vulkan` is the same runtime pinned to Vulkan with cubecl's SPIR-V
//! compiler, compiled in with the crate's `vulkan` feature. (In a `vulkan` build `wgpu` also
//! compiles to SPIR-V on a Vulkan adapter: build with `wgpu` alone to run the page's WGSL.)

use burn::prelude::Device;
use clap::ValueEnum;

/// A device the command line can train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// burn's pure-Rust CPU backend (flex), one thread.
    Cpu,
    /// burn's wgpu runtime on the machine's default adapter (a GPU, or a software one).
    Wgpu,
    /// burn's wgpu runtime pinned to Vulkan, shaders compiled to SPIR-V (`vulkan` feature).
    Vulkan,
}

impl DeviceArg {
    /// A short name for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Cpu => "burn flex, CPU",
            Self::Wgpu if cfg!(feature = "vulkan") => "burn wgpu (SPIR-V on Vulkan, fusion)",
            Self::Wgpu => "burn wgpu (WGSL, fusion)",
            Self::Vulkan => "burn vulkan (SPIR-V, fusion)",
        }
    }

    /// Opens the device, or says how to build the binary that can.
    pub fn open(self) -> Result<Device, String> {
        match self {
            Self::Cpu => Ok(Device::flex()),
            Self::Wgpu => open_wgpu(),
            Self::Vulkan => open_vulkan(),
        }
    }
}

#[cfg(feature = "wgpu")]
fn open_wgpu() -> Result<Device, String> {
    crate::model::small_matmul::install()?;
    Device::wgpu_options()
        .init()
        .map_err(|e| format!("cannot open a wgpu device: {e}"))
}

#[cfg(not(feature = "wgpu"))]
fn open_wgpu() -> Result<Device, String> {
    Err("this binary was built without the `wgpu` feature: \
         cargo run --release --features wgpu -- ... --device wgpu"
        .into())
}

#[cfg(feature = "vulkan")]
fn open_vulkan() -> Result<Device, String> {
    crate::model::small_matmul::install()?;
    Device::wgpu_options()
        .graphics_api(burn::tensor::wgpu::WgpuBackend::Vulkan)
        .init()
        .map_err(|e| format!("cannot open a Vulkan device: {e}"))
}

#[cfg(not(feature = "vulkan"))]
fn open_vulkan() -> Result<Device, String> {
    Err("this binary was built without the `vulkan` feature: \
         cargo run --release --features vulkan -- ... --device vulkan"
        .into())
}
