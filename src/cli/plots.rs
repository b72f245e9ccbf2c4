//! `train --plots DIR`: the page's plots written as PNG files, with the same drawing code.

use crate::train::Trainer;
use crate::train::plot_data::PlotExample;
use crate::viz::png::render_png;
use crate::viz::{PlotName, Plots};
use std::path::Path;
use strum::VariantArray;

/// Size of each PNG, as on the page.
pub const PLOT_SIZE: (u32, u32) = (460, 360);

/// Reads the run's insides into `plots` and writes the four PNGs into `dir`.
pub fn write_plots(dir: &Path, trainer: &Trainer, plots: &mut Plots) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    plots.set_data(
        pollster::block_on(trainer.plot_data(&PlotExample::default()))
            .map_err(|e| e.to_string())?,
    );
    let (width, height) = PLOT_SIZE;
    for &plot in PlotName::VARIANTS {
        let path = dir.join(format!("{}.png", <&str>::from(plot)));
        render_png(&path, width, height, |area| plots.draw(plot, area))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
