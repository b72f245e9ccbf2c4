//! Counting GPU kernel launches per training step with cubecl's own profiler: with
//! `CUBECL_DEBUG_OPTION=profile` it writes one line per launched kernel (`| name | time |`) to
//! the file named by `CUBECL_DEBUG_LOG`. Counting lines between two points of a run gives the
//! launches in between, on any wgpu adapter (a software one counts the same kernels).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The profiler's log file of this process.
pub struct LaunchLog {
    path: PathBuf,
}

/// Kernel names and how often each was launched, at one point of a run.
pub struct LaunchCount {
    by_kind: BTreeMap<String, usize>,
}

/// Launches per training step, in total and by kernel kind.
pub struct LaunchesPerStep {
    /// All kernels launched, divided by the steps run.
    pub per_step: f64,
    /// Launches per step of each kernel kind (the name up to its generic arguments).
    pub by_kind: BTreeMap<String, f64>,
}

impl LaunchLog {
    /// Turns cubecl's profiler log on for this process. Must run before any wgpu device opens
    /// (cubecl reads the settings once) and while the process has one thread.
    pub fn enable() -> Result<Self, String> {
        let path =
            std::env::temp_dir().join(format!("seq2seq-launches-{}.log", std::process::id()));
        std::fs::write(&path, "").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        // SAFETY: called from `bench` before the device (and any other thread) starts.
        unsafe {
            std::env::set_var("CUBECL_DEBUG_LOG", &path);
            std::env::set_var("CUBECL_DEBUG_OPTION", "profile");
        }
        Ok(Self { path })
    }

    /// The launches logged so far (the run must have synchronised, e.g. by reading a metric).
    pub fn read(&self) -> Result<LaunchCount, String> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        let mut by_kind = BTreeMap::new();
        for line in text.lines() {
            if let Some(name) = launched_kernel(line) {
                *by_kind.entry(kernel_kind(name)).or_insert(0) += 1;
            }
        }
        Ok(LaunchCount { by_kind })
    }
}

impl Drop for LaunchLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The kernel named by a profiler line `| 99.8µs | KernelName | details`, if it is one.
fn launched_kernel(line: &str) -> Option<&str> {
    let mut fields = line.strip_prefix('|')?.split('|');
    let time = fields.next()?.trim();
    let name = fields.next()?.trim();
    let is_duration = time.ends_with('s') && time.starts_with(|c: char| c.is_ascii_digit());
    (is_duration && !name.is_empty()).then_some(name)
}

/// A kernel's kind: its name without generic arguments or trailing ids.
fn kernel_kind(name: &str) -> String {
    let end = name.find(['<', '(', ' ', '"']).unwrap_or(name.len());
    let base = &name[..end];
    let base = base.rsplit("::").next().unwrap_or(base);
    // `ElemwiseFuse_50e2c2f3`: one kind, many fused variants
    match base.rsplit_once('_') {
        Some((kind, id)) if id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit()) => {
            kind.to_string()
        }
        _ => base.to_string(),
    }
}

impl LaunchCount {
    /// Launches per step between `before` and `self`, `steps` steps apart.
    pub fn since(&self, before: &LaunchCount, steps: usize) -> LaunchesPerStep {
        let by_kind: BTreeMap<String, f64> = self
            .by_kind
            .iter()
            .map(|(kind, &count)| {
                let earlier = before.by_kind.get(kind).copied().unwrap_or(0);
                (kind.clone(), (count - earlier) as f64 / steps as f64)
            })
            .filter(|(_, n)| *n > 0.0)
            .collect();
        LaunchesPerStep {
            per_step: by_kind.values().sum(),
            by_kind,
        }
    }
}

impl fmt::Display for LaunchesPerStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:.0} kernel launches per training step:", self.per_step)?;
        let mut kinds: Vec<_> = self.by_kind.iter().collect();
        kinds.sort_by(|a, b| b.1.total_cmp(a.1));
        for (kind, n) in kinds {
            writeln!(f, "  {n:>8.1}  {kind}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiler_lines_name_their_kernel() {
        let line = "| 99.787µs   | PrngKernel | UniformFamily_c771f13a";
        assert_eq!(launched_kernel(line), Some("PrngKernel"));
        assert_eq!(launched_kernel("| 1.2ms | Matmul |"), Some("Matmul"));
        assert_eq!(launched_kernel("name: cubek_random::base"), None);
        assert_eq!(launched_kernel("|   | x |"), None);
    }

    #[test]
    fn a_kernel_kind_drops_generics_and_paths() {
        assert_eq!(kernel_kind("cubecl_std::FillKernel<f32>"), "FillKernel");
        assert_eq!(kernel_kind("matmul_entry"), "matmul_entry");
        assert_eq!(kernel_kind("ElemwiseFuse_50e2c2f3"), "ElemwiseFuse");
        assert_eq!(kernel_kind("Slice_Assign"), "Slice_Assign");
    }
}
