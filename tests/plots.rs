//! The plots, rendered natively with the same drawing code as the page: each lands where it
//! should, in the colours it should, from fixed data and from a real run.

mod common;

use seq2seq_playground::train::plot_data::{PlotExample, mask_view};
use seq2seq_playground::train::{RunConfig, Trainer};
use seq2seq_playground::viz::png::render_rgb;
use seq2seq_playground::viz::theme;
use seq2seq_playground::viz::*;

const W: u32 = 460;
const H: u32 = 360;

/// An RGB frame with pixel lookups.
struct Frame(Vec<u8>);

impl Frame {
    fn render(
        draw: impl FnOnce(
            &plotters::drawing::DrawingArea<
                plotters::prelude::BitMapBackend<'_>,
                plotters::coord::Shift,
            >,
        ) -> DrawResult,
    ) -> Frame {
        Frame(render_rgb(W, H, draw).expect("the plot draws"))
    }

    fn pixel(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = ((y * W + x) * 3) as usize;
        (self.0[i], self.0[i + 1], self.0[i + 2])
    }

    /// Pixels in the rectangle that are not the background.
    fn ink_in(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
        let bg = theme::BACKGROUND;
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| self.pixel(x, y) != (bg.0, bg.1, bg.2))
            .count()
    }

    /// Pixels anywhere of exactly `color`.
    fn count(&self, color: plotters::style::RGBColor) -> usize {
        self.0
            .chunks(3)
            .filter(|p| (p[0], p[1], p[2]) == (color.0, color.1, color.2))
            .count()
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(' ').map(String::from).collect()
}

fn reversal_attention(n: usize) -> AttentionView {
    let weights = (0..=n)
        .map(|r| {
            (0..n)
                .map(|c| if r < n && c == n - 1 - r { 1.0 } else { 0.0 })
                .collect()
        })
        .collect();
    AttentionView {
        source_text: "a b c d".into(),
        source_tokens: words("a b c d"),
        output_tokens: words("d c b a <eos>"),
        expected: Some("d c b a".into()),
        weights: Some(weights),
    }
}

#[test]
fn attention_heatmap_puts_each_weight_in_its_cell() {
    let view = reversal_attention(4);
    let frame = Frame::render(|area| draw_attention(area, &view));
    // The anti-diagonal is bright (weight 1), everything else dark (weight 0).
    let bright = frame.count(theme::heat(1.0));
    let dark = frame.count(theme::heat(0.0));
    assert!(
        bright > 4 * 100,
        "four full cells of weight 1, got {bright} pixels"
    );
    assert!(
        dark > 16 * 100,
        "the other cells are weight 0, got {dark} pixels"
    );
    // Text was drawn in the header (input and output lines).
    assert!(frame.ink_in(0, 0, W, 34) > 200);
}

#[test]
fn attention_none_explains_the_single_context_vector() {
    let view = AttentionView {
        weights: None,
        ..reversal_attention(4)
    };
    let frame = Frame::render(|area| draw_attention(area, &view));
    // One column, full weight for every output step: no dark cells at all.
    assert!(frame.count(theme::heat(1.0)) > 5 * 100);
    // (Only the colour bar's bottom line has weight 0.)
    assert!(frame.count(theme::heat(0.0)) < 40);
    // The explanation sits at the bottom.
    assert!(frame.ink_in(0, H - 40, W, H) > 200);
}

fn grid(title: &str, rows: &[&[&str]]) -> TokenGrid {
    let width = rows.iter().map(|r| r.len()).max().unwrap();
    let mut grid = TokenGrid {
        title: title.into(),
        mask_name: format!("{title} mask"),
        ..TokenGrid::default()
    };
    for row in rows {
        let mut tokens: Vec<String> = row.iter().map(|s| s.to_string()).collect();
        let mut kinds: Vec<CellKind> = row
            .iter()
            .map(|s| match *s {
                "<bos>" => CellKind::Bos,
                "<eos>" => CellKind::Eos,
                _ => CellKind::Token,
            })
            .collect();
        let mut mask = vec![1.0; tokens.len()];
        while tokens.len() < width {
            tokens.push("<pad>".into());
            kinds.push(CellKind::Pad);
            mask.push(0.0);
        }
        grid.tokens.push(tokens);
        grid.kinds.push(kinds);
        grid.mask.push(mask);
    }
    grid
}

#[test]
fn padding_mask_shows_tokens_padding_and_masks() {
    let view = MaskView {
        batch_size: 32,
        source: grid("source", &[&["a", "b", "c"], &["d"]]),
        decoder_input: grid(
            "decoder input",
            &[&["<bos>", "c", "b", "a"], &["<bos>", "d"]],
        ),
        decoder_output: grid(
            "decoder output",
            &[&["c", "b", "a", "<eos>"], &["d", "<eos>"]],
        ),
    };
    let frame = Frame::render(|area| draw_padding_mask(area, &view));
    for (color, what) in [
        (theme::TOKEN, "token"),
        (theme::PAD, "padding"),
        (theme::BOS, "BOS"),
        (theme::EOS, "EOS"),
        (theme::MASK_ON, "mask"),
    ] {
        assert!(frame.count(color) > 100, "no {what} cells drawn");
    }
    // More kept mask cells (7 + 5 + 5 = 17 ones) than padding cells (2 + 2 + 2 = 6 zeros).
    assert!(frame.count(theme::MASK_ON) > 2 * frame.count(theme::PAD));
}

#[test]
fn curves_draw_every_series_and_both_scales() {
    let mut curves = Curves::default();
    for step in 0..300 {
        let s = f64::from(step);
        curves.push_train(s, 3.0 * (-s / 80.0).exp() + 0.02);
        if step % 30 == 0 {
            curves.push_evaluation(s, 3.2 * (-s / 90.0).exp() + 0.05, s / 300.0, s / 600.0);
        }
    }
    for scale in [LossScale::Linear, LossScale::Log] {
        let frame = Frame::render(|area| draw_curves(area, &curves, scale));
        for (color, what) in [
            (theme::ACCENT, "train loss"),
            (theme::SECOND, "validation loss"),
            (theme::THIRD, "token accuracy"),
            (theme::FOURTH, "exact accuracy"),
        ] {
            assert!(
                frame.count(color) > 150,
                "{what} is missing on the {scale:?} scale"
            );
        }
    }
    let linear = Frame::render(|area| draw_curves(area, &curves, LossScale::Linear));
    let log = Frame::render(|area| draw_curves(area, &curves, LossScale::Log));
    assert_ne!(linear.0, log.0, "the log toggle changes the picture");
}

#[test]
fn a_comparison_overlays_both_runs_in_both_panels() {
    let run = |label: &str, rate: f64| {
        let mut curves = Curves::default();
        for step in (0..=400).step_by(40) {
            let s = f64::from(step);
            let exact = 1.0 - (-s / rate).exp();
            curves.push_evaluation(s, 2.5 * (-s / rate).exp() + 0.1, exact, exact);
        }
        ComparedRun {
            label: label.into(),
            curves,
        }
    };
    let runs = [run("A: additive", 80.0), run("B: none", 600.0)];
    let frame = Frame::render(|area| draw_comparison(area, &runs));
    let half = H / 2;
    for (color, what) in [(theme::ACCENT, "run A"), (theme::SECOND, "run B")] {
        let in_panel = |y0: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (0..W).map(move |x| (x, y)))
                .filter(|&(x, y)| frame.pixel(x, y) == (color.0, color.1, color.2))
                .count()
        };
        assert!(in_panel(0, half) > 100, "{what} in the loss panel");
        assert!(in_panel(half, H) > 100, "{what} in the accuracy panel");
    }
    let only_a = Frame::render(|area| draw_comparison(area, &runs[..1]));
    assert_eq!(only_a.count(theme::SECOND), 0, "one run, one colour");
}

#[test]
fn a_comparison_without_data_draws_no_axes_but_says_what_it_waits_for() {
    let runs = ["A: additive", "B: none"].map(|label| ComparedRun {
        label: label.into(),
        curves: Curves::default(),
    });
    let frame = Frame::render(|area| draw_comparison(area, &runs));
    assert_eq!(
        frame.ink_in(0, 30, 40, H),
        0,
        "no tick labels or axes before the first validation"
    );
    assert!(
        frame.ink_in(W / 4, H / 2 - 20, 3 * W / 4, H / 2 + 20) > 100,
        "a message in the middle"
    );
    assert!(frame.count(theme::ACCENT) > 0, "the legend is there");
}

#[test]
fn scatter_marks_special_tokens_and_turns_with_the_camera() {
    let tokens = [
        "<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d", "我", "笔",
    ];
    let table = EmbeddingTable {
        tokens: tokens.map(String::from).to_vec(),
        vectors: (0..tokens.len())
            .map(|i| {
                let t = i as f32;
                vec![t.sin(), (2.0 * t).cos(), t / 10.0, (t * t) % 3.0]
            })
            .collect(),
        special: 4,
    };
    let pca = Pca::fit(&table.vectors, None).unwrap();
    let scatter = Scatter3d::from_embeddings("source embeddings", &table, &pca);
    let camera = Camera::default();
    let front = Frame::render(|area| draw_scatter_3d(area, &scatter, &camera));
    assert!(front.count(theme::ACCENT) > 6 * 20, "token points");
    assert!(
        front.count(theme::SPECIAL) > 4 * 20,
        "special-token markers"
    );
    let mut turned = camera;
    turned.drag(80.0, 30.0);
    let side = Frame::render(|area| draw_scatter_3d(area, &scatter, &turned));
    assert_ne!(front.0, side.0, "a drag turns the scatter");
    let course = Scatter3d::course_example();
    let frame = Frame::render(|area| draw_scatter_3d(area, &course, &camera));
    assert!(frame.count(theme::ACCENT) > 4 * 20);
    assert!(
        frame.ink_in(0, 20, 200, 70) > 200,
        "the distances are printed"
    );
}

#[test]
fn a_real_run_gives_data_for_all_four_plots() {
    let mut config = RunConfig::default();
    config.task.dataset_size = 200;
    let mut trainer = Trainer::new(config, &common::cpu()).unwrap();
    // Before the first step the mask plot shows the batch the first step will train on.
    let before = pollster::block_on(trainer.plot_data(&PlotExample::Validation(0))).unwrap();
    pollster::block_on(trainer.step()).unwrap();
    assert_eq!(
        before.masks,
        mask_view(
            trainer.last_batch().unwrap(),
            &trainer.data().vocabularies,
            8
        )
    );
    for _ in 0..2 {
        pollster::block_on(trainer.step()).unwrap();
    }
    let data = pollster::block_on(trainer.plot_data(&PlotExample::Validation(1))).unwrap();
    let vocab = &trainer.data().vocabularies;
    assert_eq!(data.step, 3);
    assert_eq!(data.source_embeddings.tokens.len(), vocab.source.len());
    assert_eq!(data.source_embeddings.vectors.len(), vocab.source.len());
    assert!(data.source_embeddings.vectors.iter().all(|v| v.len() == 32));

    // The mask view is the last batch as it is: PAD exactly where the masks are 0.
    let masks = &data.masks;
    let batch = trainer.last_batch().unwrap();
    assert_eq!(masks.batch_size, batch.batch_size);
    assert_eq!(masks.source.tokens.len(), 8);
    for grid in [&masks.source, &masks.decoder_input, &masks.decoder_output] {
        for (kinds, mask) in grid.kinds.iter().zip(&grid.mask) {
            for (kind, m) in kinds.iter().zip(mask) {
                assert_eq!(*kind == CellKind::Pad, *m == 0.0);
            }
        }
    }
    assert!(
        masks
            .decoder_input
            .kinds
            .iter()
            .all(|row| row[0] == CellKind::Bos)
    );

    // Attention rows of the decoded validation example sum to 1.
    let attention = data.attention.as_ref().expect("an example is decoded");
    assert_eq!(attention.source_text, trainer.data().valid[1].source_text);
    let weights = attention.weights.as_ref().expect("additive attention");
    assert_eq!(weights.len(), attention.output_tokens.len());
    for row in weights {
        assert_eq!(row.len(), attention.source_tokens.len());
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    // And the four plots draw from it.
    let mut plots = Plots::default();
    plots.set_data(data);
    plots.curves.push_train(3.0, 2.5);
    for which in PLOT_NAMES {
        let frame = Frame::render(|area| plots.draw(which, area));
        assert!(frame.ink_in(0, 0, W, H) > 2000, "{which} is drawn");
    }
    let unknown = render_rgb(W, H, |area| plots.draw("pie-chart", area));
    assert!(
        unknown
            .unwrap_err()
            .0
            .contains("no plot called 'pie-chart'")
    );
}

#[test]
fn cli_writes_the_four_plots_as_png() {
    let dir = std::env::temp_dir().join(format!("seq2seq-plots-{}", std::process::id()));
    let checkpoint = dir.join("model.s2s");
    common::run_cli([
        "train",
        "--steps",
        "4",
        "--dataset-size",
        "100",
        "--eval-every",
        "2",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--plots",
        dir.to_str().unwrap(),
    ]);
    for name in ["embedding-3d", "attention", "padding-mask", "curves"] {
        let bytes = std::fs::read(dir.join(format!("{name}.png"))).expect(name);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is a PNG");
        assert!(bytes.len() > 5000, "{name} has content");
    }
    std::fs::remove_dir_all(&dir).ok();
}
