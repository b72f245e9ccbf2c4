//! The page's plots: [`PlotBoard`] lives on the main thread (canvases belong to the document),
//! takes the snapshots the training worker sends, and draws them with plotters-canvas.

use crate::data::BeamView;
use crate::viz::{
    ComparedRun, PlotData, PlotOptions, Plots, ScheduleCurve, draw_comparison, draw_schedule,
};
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

fn js_error(error: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&error.to_string())
}

/// Draws the learning-rate schedule of `settings_json` (the run's
/// [`TrainSettings`](crate::train::TrainSettings)) onto `canvas`, the run's `step` marked, and
/// returns the rate at that step.
#[wasm_bindgen(js_name = drawSchedule)]
pub fn draw_schedule_preview(
    settings_json: &str,
    step: usize,
    canvas: HtmlCanvasElement,
) -> Result<f64, JsValue> {
    let settings: crate::train::TrainSettings =
        serde_json::from_str(settings_json).map_err(js_error)?;
    let (points, current) = crate::train::schedule::preview(&settings, step);
    let backend = CanvasBackend::with_canvas_object(canvas)
        .ok_or_else(|| js_error("the canvas has no 2D context"))?;
    draw_schedule(
        &backend.into_drawing_area(),
        &ScheduleCurve { points, current },
    )
    .map_err(js_error)?;
    Ok(current.1)
}

/// The plots of the run on show, the viewer's choices, and the try-it box's last beam.
#[wasm_bindgen]
#[derive(Default)]
pub struct PlotBoard {
    plots: Plots,
    beam: BeamView,
}

#[wasm_bindgen]
impl PlotBoard {
    /// An empty board.
    #[wasm_bindgen(constructor)]
    pub fn new() -> PlotBoard {
        PlotBoard::default()
    }

    /// Takes a snapshot (JSON [`PlotData`] from `Session.plotData`).
    #[wasm_bindgen(js_name = setData)]
    pub fn set_data(&mut self, json: &str) -> Result<(), JsValue> {
        let data: PlotData = serde_json::from_str(json).map_err(js_error)?;
        self.plots.set_data(data);
        Ok(())
    }

    /// Records a chunk's training loss at `step`.
    #[wasm_bindgen(js_name = recordTrain)]
    pub fn record_train(&mut self, step: f64, loss: f64) {
        self.plots.curves.push_train(step, loss);
    }

    /// Records a validation result (JSON [`Evaluation`](crate::train::Evaluation)).
    #[wasm_bindgen(js_name = recordEvaluation)]
    pub fn record_evaluation(&mut self, json: &str) -> Result<(), JsValue> {
        let eval: crate::train::Evaluation = serde_json::from_str(json).map_err(js_error)?;
        let step = eval.step as f64;
        let curves = &mut self.plots.curves;
        curves.push_evaluation(
            step,
            f64::from(eval.loss),
            f64::from(eval.token_accuracy),
            f64::from(eval.exact_accuracy),
        );
        curves.push_translation_scores(step, f64::from(eval.bleu), f64::from(eval.chrf));
        Ok(())
    }

    /// The token searched for in the embeddings on show and its nearest neighbours by cosine
    /// similarity: JSON [`Search`](crate::viz::Search), `null` without a search.
    pub fn search(&self) -> String {
        serde_json::to_string(&self.plots.search()).unwrap_or_default()
    }

    /// The token whose scatter point was drawn nearest to canvas pixel `(x, y)` (within 12
    /// pixels), for a click that picks a point.
    #[wasm_bindgen(js_name = tokenAt)]
    pub fn token_at(&self, x: f64, y: f64) -> Option<String> {
        self.plots.token_at(x, y, 12.0)
    }

    /// The attention head whose panel was drawn under canvas pixel `(x, y)`, for a click that
    /// enlarges it.
    #[wasm_bindgen(js_name = headAt)]
    pub fn head_at(&self, x: f64, y: f64) -> Option<usize> {
        self.plots.head_at(x, y)
    }

    /// How the validation loss follows the training loss, in plain words: JSON
    /// [`GapNote`](crate::train::GapNote) (`null` while it is too early to say).
    #[wasm_bindgen(js_name = gapNote)]
    pub fn gap_note(&self) -> String {
        let curves = &self.plots.curves;
        let note = crate::train::gap(&curves.train_loss, &curves.valid_loss).note();
        serde_json::to_string(&note).unwrap_or_default()
    }

    /// Takes the lattice of the try-it box's last beam search (JSON
    /// [`BeamView`](crate::data::BeamView), or `null` to clear it).
    #[wasm_bindgen(js_name = setBeam)]
    pub fn set_beam(&mut self, json: &str) -> Result<(), JsValue> {
        self.beam = serde_json::from_str::<Option<BeamView>>(json)
            .map_err(js_error)?
            .unwrap_or_default();
        Ok(())
    }

    /// Draws the beam view onto `canvas`.
    #[wasm_bindgen(js_name = drawBeam)]
    pub fn draw_beam(&self, canvas: HtmlCanvasElement) -> Result<(), JsValue> {
        let backend = CanvasBackend::with_canvas_object(canvas)
            .ok_or_else(|| js_error("the canvas has no 2D context"))?;
        crate::viz::draw_beam(&backend.into_drawing_area(), &self.beam).map_err(js_error)
    }

    /// Forgets the run's data and curves (after a reset); keeps the camera and toggles.
    pub fn clear(&mut self) {
        self.plots.clear();
    }

    /// Turns the 3D scatter by a drag of `(dx, dy)` pixels.
    pub fn drag(&mut self, dx: f64, dy: f64) {
        self.plots.camera.drag(dx, dy);
    }

    /// Zooms the 3D scatter by `factor`.
    pub fn zoom(&mut self, factor: f64) {
        self.plots.camera.zoom_by(factor);
    }

    /// Sets the toggles from JSON [`PlotOptions`] (missing fields take defaults).
    #[wasm_bindgen(js_name = setOptions)]
    pub fn set_options(&mut self, json: &str) -> Result<(), JsValue> {
        self.plots.options = serde_json::from_str::<PlotOptions>(json).map_err(js_error)?;
        Ok(())
    }

    /// Draws one plot onto `canvas`: `which` is its name, one of [`plot_names`](super::plot_names).
    pub fn draw(&self, which: &str, canvas: HtmlCanvasElement) -> Result<(), JsValue> {
        let backend = CanvasBackend::with_canvas_object(canvas)
            .ok_or_else(|| js_error("the canvas has no 2D context"))?;
        self.plots
            .draw_named(which, &backend.into_drawing_area())
            .map_err(js_error)
    }
}

/// The comparison's overlaid curves (two runs), drawn on the main thread.
#[wasm_bindgen]
#[derive(Default)]
pub struct ComparisonBoard {
    runs: [ComparedRun; 2],
}

#[wasm_bindgen]
impl ComparisonBoard {
    /// An empty board for runs named `label_a` and `label_b`.
    #[wasm_bindgen(constructor)]
    pub fn new(label_a: String, label_b: String) -> ComparisonBoard {
        let run = |label| ComparedRun {
            label,
            ..ComparedRun::default()
        };
        ComparisonBoard {
            runs: [run(label_a), run(label_b)],
        }
    }

    /// Records a validation result of run `run` (0 or 1) at `step`.
    #[wasm_bindgen(js_name = recordEvaluation)]
    pub fn record_evaluation(&mut self, run: usize, step: f64, loss: f64, token: f64, exact: f64) {
        if let Some(run) = self.runs.get_mut(run) {
            run.curves.push_evaluation(step, loss, token, exact);
        }
    }

    /// Draws both runs onto `canvas`.
    pub fn draw(&self, canvas: HtmlCanvasElement) -> Result<(), JsValue> {
        let backend = CanvasBackend::with_canvas_object(canvas)
            .ok_or_else(|| js_error("the canvas has no 2D context"))?;
        draw_comparison(&backend.into_drawing_area(), &self.runs).map_err(js_error)
    }
}
