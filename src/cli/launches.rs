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

/// Kernel names, how often each was launched and the device time they took (as the profiler
/// timed each launch), at one point of a run.
pub struct LaunchCount {
    by_kind: BTreeMap<String, (usize, f64)>,
}

/// Launches per training step, in total and by kernel kind.
pub struct LaunchesPerStep {
    /// All kernels launched, divided by the steps run.
    pub per_step: f64,
    /// Launches per step of each kernel kind (the name up to its generic arguments).
    pub by_kind: BTreeMap<String, f64>,
    /// Microseconds per step the profiler timed for each kernel kind's launches. With the
    /// profiler on every launch is timed on its own: the sums say where the device's time
    /// goes, not how long a step takes without the profiler.
    pub micros_by_kind: BTreeMap<String, f64>,
    /// The sum of `micros_by_kind`.
    pub micros_per_step: f64,
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
            if let Some((seconds, name)) = launched_kernel(line) {
                let entry = by_kind.entry(kernel_kind(name)).or_insert((0, 0.0));
                entry.0 += 1;
                entry.1 += seconds;
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

/// The time and kernel of a profiler line `| 99.8µs | KernelName | details`, if it is one.
fn launched_kernel(line: &str) -> Option<(f64, &str)> {
    let mut fields = line.strip_prefix('|')?.split('|');
    let seconds = duration_seconds(fields.next()?.trim())?;
    let name = fields.next()?.trim();
    (!name.is_empty()).then_some((seconds, name))
}

/// Seconds in a duration as Rust's `Debug` writes it (`850ns`, `99.8µs`, `1.2ms`, `1.5s`).
fn duration_seconds(text: &str) -> Option<f64> {
    let units = [
        ("ns", 1e-9),
        ("µs", 1e-6),
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
    ];
    let (number, scale) = units
        .iter()
        .find_map(|(unit, scale)| Some((text.strip_suffix(unit)?, *scale)))?;
    let value: f64 = number.parse().ok()?;
    Some(value * scale)
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
        let mut by_kind = BTreeMap::new();
        let mut micros_by_kind = BTreeMap::new();
        for (kind, &(count, seconds)) in &self.by_kind {
            let (count_before, seconds_before) =
                before.by_kind.get(kind).copied().unwrap_or((0, 0.0));
            if count > count_before {
                let launches = (count - count_before) as f64 / steps as f64;
                let micros = (seconds - seconds_before) * 1e6 / steps as f64;
                by_kind.insert(kind.clone(), launches);
                micros_by_kind.insert(kind.clone(), micros);
            }
        }
        LaunchesPerStep {
            per_step: by_kind.values().sum(),
            micros_per_step: micros_by_kind.values().sum(),
            by_kind,
            micros_by_kind,
        }
    }
}

impl fmt::Display for LaunchesPerStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:.0} kernel launches per training step, {:.0} µs of device time as profiled:",
            self.per_step, self.micros_per_step
        )?;
        writeln!(f, "  {:>8}  {:>10}  kind", "launches", "µs")?;
        let mut kinds: Vec<_> = self.by_kind.iter().collect();
        kinds.sort_by(|a, b| b.1.total_cmp(a.1));
        for (kind, n) in kinds {
            let micros = self.micros_by_kind.get(kind).copied().unwrap_or(0.0);
            writeln!(f, "  {n:>8.1}  {micros:>10.1}  {kind}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiler_lines_name_their_kernel() {
        let close = |line: &str, nanos: f64, kernel: &str| {
            let (seconds, name) = launched_kernel(line).expect("a launch");
            assert!((seconds * 1e9 - nanos).abs() < 1e-6, "{line}: {seconds} s");
            assert_eq!(name, kernel);
        };
        close(
            "| 99.75µs   | PrngKernel | UniformFamily_c771f13a",
            99_750.0,
            "PrngKernel",
        );
        close("| 1.5ms | Matmul |", 1_500_000.0, "Matmul");
        close("| 250ns | Fill |", 250.0, "Fill");
        close("| 2s | Slow |", 2e9, "Slow");
        assert_eq!(launched_kernel("name: cubek_random::base"), None);
        assert_eq!(launched_kernel("|   | x |"), None);
        assert_eq!(launched_kernel("| ms | x |"), None);
    }

    #[test]
    fn a_kernel_kind_drops_generics_and_paths() {
        assert_eq!(kernel_kind("cubecl_std::FillKernel<f32>"), "FillKernel");
        assert_eq!(kernel_kind("matmul_entry"), "matmul_entry");
        assert_eq!(kernel_kind("ElemwiseFuse_50e2c2f3"), "ElemwiseFuse");
        assert_eq!(kernel_kind("Slice_Assign"), "Slice_Assign");
    }
}
