//! `--device`: where the command line trains. `cpu` is burn's flex backend; `wgpu` is burn's
//! wgpu runtime natively (WGSL shaders, the kernels the page runs on WebGPU), compiled in with
//! the crate's `wgpu` feature.

use burn::prelude::Device;
use clap::ValueEnum;

/// A device the command line can train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// burn's pure-Rust CPU backend (flex), one thread.
    Cpu,
    /// burn's wgpu runtime on the machine's default adapter (a GPU, or a software one).
    Wgpu,
}

impl DeviceArg {
    /// A short name for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Cpu => "burn flex, CPU",
            Self::Wgpu => "burn wgpu (WGSL, fusion)",
        }
    }

    /// Opens the device, or says how to build the binary that can.
    pub fn open(self) -> Result<Device, String> {
        match self {
            Self::Cpu => Ok(Device::flex()),
            Self::Wgpu => open_wgpu(),
        }
    }
}

#[cfg(feature = "wgpu")]
fn open_wgpu() -> Result<Device, String> {
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
