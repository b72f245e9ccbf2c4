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

    /// The wgpu adapters this machine offers (name, kind, graphics API, the workgroup limits the
    /// hand-written kernels size themselves by), for reports: which one
    /// a figure was measured on (a software adapter's figures say nothing of a GPU). Empty on
    /// `cpu` and in builds without the `wgpu` feature.
    pub fn adapters(self) -> Vec<String> {
        match self {
            Self::Cpu => Vec::new(),
            Self::Wgpu | Self::Vulkan => wgpu_adapters(),
        }
    }

    /// Opens the device, or says how to build the binary that can.
    pub fn open(self) -> Result<Device, String> {
        self.open_capped(None)
    }

    /// Opens the device; on `wgpu` with `storage_buffers`, the device lets a shader bind at
    /// most that many storage buffers, as a browser's WebGPU does (see
    /// [`PAGE_STORAGE_BUFFERS`]). burn's fusion fuses no more inputs into one kernel than the
    /// device lets it bind, so launch counts taken under the page's cap are the page's.
    pub fn open_capped(self, storage_buffers: Option<u32>) -> Result<Device, String> {
        match (self, storage_buffers) {
            (Self::Cpu, _) => Ok(Device::flex()),
            (Self::Wgpu, None) => open_wgpu(),
            (Self::Wgpu, Some(cap)) => open_wgpu_capped(cap),
            (Self::Vulkan, None) => open_vulkan(),
            (Self::Vulkan, Some(_)) => Err("--storage-buffers applies to --device wgpu".into()),
        }
    }
}

/// Storage buffers per shader stage that Chromium's WebGPU gives the page (`adapter.limits.
/// maxStorageBuffersPerShaderStage`: 10 on SwiftShader, Chromium 156, 2026-11-29). Native
/// adapters allow far more (Mesa's lavapipe, Vulkan on NVIDIA), so burn's fusion fuses larger
/// kernels natively than in the page unless the native device is capped to this.
pub const PAGE_STORAGE_BUFFERS: u32 = 10;

#[cfg(feature = "wgpu")]
fn open_wgpu_capped(storage_buffers: u32) -> Result<Device, String> {
    use burn::tensor::wgpu::{WgpuSetup, wgpu};
    crate::model::fusion::install()?;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }))
    .map_err(|e| format!("no wgpu adapter: {e}"))?;
    let mut limits = adapter.limits();
    limits.max_storage_buffers_per_shader_stage = limits
        .max_storage_buffers_per_shader_stage
        .min(storage_buffers);
    // The device cubecl would request (`cubecl_wgpu::backend::wgsl::try_request_device`), with
    // the one limit lowered.
    let (device, queue) = pollster::block_on(
        adapter.request_device(&wgpu::DeviceDescriptor {
            label: None,
            required_features: adapter
                .features()
                .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
            required_limits: limits,
            memory_hints: wgpu::MemoryHints::MemoryUsage,
            trace: wgpu::Trace::Off,
            // SAFETY: the features cubecl itself enables on the devices it opens.
            experimental_features: unsafe { wgpu::ExperimentalFeatures::enabled() },
        }),
    )
    .map_err(|e| format!("cannot open a wgpu device: {e}"))?;
    let backend = adapter.get_info().backend;
    Device::wgpu_options()
        .setup(WgpuSetup {
            instance,
            adapter,
            device,
            queue,
            backend,
        })
        .init()
        .map_err(|e| format!("cannot open a wgpu device: {e}"))
}

#[cfg(not(feature = "wgpu"))]
fn open_wgpu_capped(_storage_buffers: u32) -> Result<Device, String> {
    open_wgpu()
}

#[cfg(feature = "wgpu")]
fn wgpu_adapters() -> Vec<String> {
    use burn::tensor::wgpu::wgpu;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(|adapter| {
            let (info, limits) = (adapter.get_info(), adapter.limits());
            format!(
                "{} ({:?}, {:?}; workgroups up to {} invocations and {} B of shared memory)",
                info.name,
                info.device_type,
                info.backend,
                limits.max_compute_invocations_per_workgroup,
                limits.max_compute_workgroup_storage_size
            )
        })
        .collect()
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_adapters() -> Vec<String> {
    Vec::new()
}

#[cfg(feature = "wgpu")]
fn open_wgpu() -> Result<Device, String> {
    crate::model::fusion::install()?;
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
    crate::model::fusion::install()?;
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
