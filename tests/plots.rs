//! The plots, rendered natively with the same drawing code as the page: each lands where it
//! should, in the colours it should, from fixed data and from a real run.

mod common;

use seq2seq_playground::train::plot_data::{PlotExample, mask_view};
use seq2seq_playground::train::{RunConfig, Trainer};
use seq2seq_playground::viz::png::render_rgb;
use seq2seq_playground::viz::theme;
use seq2seq_playground::viz::*;
use strum::VariantArray;

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
fn each_attention_cell_has_the_colour_the_scale_gives_its_weight() {
    // Weights that differ in every cell, so a shifted or transposed cell would show.
    let (rows, columns) = (5, 4);
    let weight = |r: usize, c: usize| ((r * columns + c) as f32 + 0.5) / (rows * columns) as f32;
    let view = AttentionView {
        weights: Some(
            (0..rows)
                .map(|r| (0..columns).map(|c| weight(r, c)).collect())
                .collect(),
        ),
        ..reversal_attention(4)
    };
    let frame = Frame::render(|area| draw_attention(area, &view));
    let layout = HeatmapLayout::new(&view, (W, H)).unwrap();
    assert_eq!((layout.rows, layout.columns), (rows, columns));
    for r in 0..rows {
        for c in 0..columns {
            let [(x0, y0), (x1, y1)] = layout.cell_rect(r, c);
            let centre = frame.pixel(((x0 + x1) / 2) as u32, ((y0 + y1) / 2) as u32);
            let expected = theme::heat(f64::from(weight(r, c)));
            assert_eq!(
                centre,
                (expected.0, expected.1, expected.2),
                "cell ({r}, {c}) of weight {}",
                weight(r, c)
            );
        }
    }
}

#[test]
fn a_large_vocabulary_labels_the_frequent_tokens_and_a_search_with_its_neighbours() {
    let n = 2000;
    let tokens: Vec<String> = ["<pad>", "<bos>", "<eos>", "<unk>"]
        .map(String::from)
        .into_iter()
        .chain((4..n).map(|i| format!("w{i}")))
        .collect();
    // Deterministic spread-out vectors; w10's nearest neighbours are known by construction:
    // w11..w13 are w10 plus a little noise, the rest point elsewhere.
    let vectors: Vec<Vec<f32>> = (0..n)
        .map(|i| {
            let t = i as f32;
            match i {
                10..=13 => vec![5.0, 5.0 + 0.01 * (t - 10.0), 0.0, 0.0],
                _ => vec![t.sin(), (1.7 * t).cos(), (0.3 * t).sin(), (t % 7.0) - 3.0],
            }
        })
        .collect();
    let table = EmbeddingTable {
        tokens,
        vectors,
        special: 4,
        // w4 is the most frequent, then w5, ...
        counts: (0..n as u64)
            .map(|i| if i < 4 { 0 } else { 10_000 - i })
            .collect(),
    };
    let pca = Pca::fit(&table.vectors, None).unwrap();
    let found = neighbours::search(&table, "w10", 3);
    let neighbour_tokens: Vec<&str> = found.neighbours.iter().map(|x| x.token.as_str()).collect();
    assert_eq!(neighbour_tokens, ["w11", "w12", "w13"]);
    let labels = LabelChoice {
        top: 30,
        always: vec!["w1500".into()],
        search: Some(neighbours::search(&table, "w1800", 3)),
    };
    let scatter = Scatter3d::from_embeddings("big", &table, &pca, &labels);
    let labelled: Vec<&str> = scatter
        .points
        .iter()
        .filter(|p| p.labelled)
        .map(|p| p.label.as_str())
        .collect();
    // 4 specials + the 30 most frequent (w4..w33) + the asked one + the search and 3 neighbours.
    assert!(
        labelled.len() <= 4 + 30 + 1 + 4,
        "{} labelled",
        labelled.len()
    );
    for token in ["<pad>", "w4", "w33", "w1500", "w1800"] {
        assert!(labelled.contains(&token), "{token} is labelled");
    }
    assert!(!labelled.contains(&"w34"), "the 31st most frequent is not");
    assert!(
        scatter.notes[1].contains("the 30 most frequent"),
        "{:?}",
        scatter.notes
    );

    // Each highlighted point is drawn where its projection says, in its colour.
    let small = EmbeddingTable {
        tokens: ["<pad>", "cat", "dog", "run", "sky"]
            .map(String::from)
            .to_vec(),
        vectors: vec![
            vec![0.0, 0.0, 3.0],
            vec![3.0, 0.0, 0.0],
            vec![2.0, 1.0, 0.0],
            vec![-3.0, 0.0, 0.0],
            vec![0.0, -3.0, -1.0],
        ],
        special: 1,
        counts: Vec::new(),
    };
    let pca = Pca::fit(&small.vectors, None).unwrap();
    let labels = LabelChoice {
        search: Some(neighbours::search(&small, "cat", 1)),
        ..LabelChoice::default()
    };
    let scatter = Scatter3d::from_embeddings("small", &small, &pca, &labels);
    let mut pixels = Vec::new();
    let frame = Frame::render(|area| {
        pixels = draw_scatter_3d(area, &scatter, &Camera::default())?;
        Ok(())
    });
    for (point, &(x, y)) in scatter.points.iter().zip(&pixels) {
        let expected = match point.mark {
            PointMark::Searched => theme::SEARCHED,
            PointMark::Neighbour => theme::NEIGHBOUR,
            PointMark::Special => theme::SPECIAL,
            PointMark::Plain => theme::ACCENT,
        };
        assert_eq!(
            frame.pixel(x as u32, y as u32),
            (expected.0, expected.1, expected.2),
            "{} ({:?}) at ({x}, {y})",
            point.label,
            point.mark
        );
    }
    let marks: Vec<PointMark> = scatter.points.iter().map(|p| p.mark).collect();
    assert_eq!(
        marks,
        [
            PointMark::Special,
            PointMark::Searched,
            PointMark::Neighbour,
            PointMark::Plain,
            PointMark::Plain
        ]
    );
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
        let mut kinds: Vec<TokenKind> = row
            .iter()
            .map(|s| match *s {
                "<bos>" => TokenKind::Bos,
                "<eos>" => TokenKind::Eos,
                _ => TokenKind::Token,
            })
            .collect();
        let mut mask = vec![1.0; tokens.len()];
        while tokens.len() < width {
            tokens.push("<pad>".into());
            kinds.push(TokenKind::Pad);
            mask.push(0.0);
        }
        grid.tokens.push(tokens);
        grid.kinds.push(kinds);
        grid.mask.push(mask);
    }
    grid
}

/// Two reversed sequences of different lengths in a batch of 32, as the masks plot gets them;
/// `causal`: the model is a Transformer.
fn reversal_batch(causal: bool) -> MaskView {
    MaskView {
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
        causal,
    }
}

#[test]
fn padding_mask_shows_tokens_padding_and_masks() {
    let view = reversal_batch(false);
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
fn a_transformer_batch_shows_its_causal_mask_combined_with_padding() {
    use TokenKind::{Bos, Pad, Token};
    use seq2seq_playground::viz::padding_mask::{
        CausalPanel, SelfAttentionCell as C, self_attention_colour, self_attention_mask,
    };
    let mask = self_attention_mask(&[Bos, Token, Token, Pad]);
    assert_eq!(mask[0], [C::Kept, C::Future, C::Future, C::Future]);
    assert_eq!(mask[2], [C::Kept, C::Kept, C::Kept, C::Future]);
    assert_eq!(
        mask[3],
        [C::Kept, C::Kept, C::Kept, C::Pad],
        "a PAD key is blocked even when earlier"
    );
    let view = reversal_batch(true);
    let frame = Frame::render(|area| draw_padding_mask(area, &view));
    let panel = CausalPanel::new(&view, (W, H));
    assert_eq!(panel.row, 1, "the sequence with the most padding");
    let kinds = &view.decoder_input.kinds[1];
    for (q, row) in self_attention_mask(kinds).into_iter().enumerate() {
        for (k, cell) in row.into_iter().enumerate() {
            let [(x0, y0), _] = panel.cell_rect(q, k);
            let expected = self_attention_colour(cell);
            assert_eq!(
                frame.pixel((x0 + 1) as u32, (y0 + 1) as u32),
                (expected.0, expected.1, expected.2),
                "query {q}, key {k}: {cell:?}"
            );
        }
    }
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
        counts: Vec::new(),
    };
    let pca = Pca::fit(&table.vectors, None).unwrap();
    let scatter =
        Scatter3d::from_embeddings("source embeddings", &table, &pca, &LabelChoice::default());
    assert!(
        scatter.points.iter().all(|p| p.labelled),
        "a small vocabulary is labelled whole"
    );
    let camera = Camera::default();
    let draw = |scatter: &Scatter3d, camera: &Camera| {
        Frame::render(|area| draw_scatter_3d(area, scatter, camera).map(|_| ()))
    };
    let front = draw(&scatter, &camera);
    assert!(front.count(theme::ACCENT) > 6 * 20, "token points");
    assert!(
        front.count(theme::SPECIAL) > 4 * 20,
        "special-token markers"
    );
    let mut turned = camera;
    turned.drag(80.0, 30.0);
    let side = draw(&scatter, &turned);
    assert_ne!(front.0, side.0, "a drag turns the scatter");
    let course = Scatter3d::course_example();
    let frame = draw(&course, &camera);
    assert!(frame.count(theme::ACCENT) > 4 * 20);
    assert!(
        frame.ink_in(0, 20, 200, 70) > 200,
        "the distances are printed"
    );
}

#[test]
fn a_real_run_gives_data_for_every_plot() {
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
                assert_eq!(*kind == TokenKind::Pad, *m == 0.0);
            }
        }
    }
    assert!(
        masks
            .decoder_input
            .kinds
            .iter()
            .all(|row| row[0] == TokenKind::Bos)
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

    // And the plots draw from it (an RNN has no heads or positions: those say so).
    assert!(data.heads.is_none() && data.positions.is_none());
    let mut plots = Plots::default();
    plots.set_data(data);
    plots.curves.push_train(3.0, 2.5);
    for &which in PlotName::VARIANTS {
        let frame = Frame::render(|area| plots.draw(which, area));
        let ink = frame.ink_in(0, 0, W, H);
        match which {
            PlotName::Heads | PlotName::Positions => {
                assert!(
                    ink > 100 && ink < 5000,
                    "{which:?} says it is a Transformer's ({ink})"
                )
            }
            _ => assert!(ink > 2000, "{which:?} is drawn"),
        }
    }
    let unknown = render_rgb(W, H, |area| plots.draw_named("pie-chart", area));
    assert!(
        unknown
            .unwrap_err()
            .0
            .contains("no plot called 'pie-chart'")
    );
}

#[test]
fn cli_writes_every_plot_as_png() {
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
    for name in PlotName::names() {
        let bytes = std::fs::read(dir.join(format!("{name}.png"))).expect(name);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is a PNG");
        // (an RNN's heads and positions plots hold one line saying they are a Transformer's)
        let transformer_only = ["attention-heads", "positional-encoding"].contains(&name);
        assert!(
            bytes.len() > if transformer_only { 1000 } else { 5000 },
            "{name} has content"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_beam_view_draws_each_kept_hypothesis_where_its_step_and_row_say() {
    let node = |parent: usize, token: &str, log_prob: f64, survives: bool| BeamNodeView {
        parent,
        token: token.into(),
        log_prob,
        survives,
    };
    // Width 3, three steps: row 1 of the last step is the best; step 1's row 2 was pruned.
    let view = BeamView {
        source_text: "a b".into(),
        steps: vec![
            vec![
                node(0, "b", -0.1, true),
                node(0, "a", -2.0, true),
                node(0, "c", -3.0, true),
            ],
            vec![
                node(0, "a", -0.3, true),
                node(1, "b", -2.5, true),
                node(2, "a", -3.5, false),
            ],
            vec![
                node(1, "<eos>", -2.9, true),
                node(0, "<eos>", -0.4, true),
                node(0, "b", -4.0, true),
            ],
        ],
        best_row: 1,
    };
    assert_eq!(best_path(&view), [0, 0, 1]);
    let frame = Frame::render(|area| draw_beam(area, &view));
    let layout = BeamLayout::new(&view, (W, H));
    let colour_at = |(x, y): (i32, i32)| frame.pixel(x as u32, y as u32);
    let rgb = |c: plotters::style::RGBColor| (c.0, c.1, c.2);
    assert_eq!(colour_at(layout.root()), rgb(theme::BOS), "the <bos> root");
    let best = best_path(&view);
    for (t, nodes) in view.steps.iter().enumerate() {
        for (row, n) in nodes.iter().enumerate() {
            let expected = if best[t] == row {
                theme::SEARCHED
            } else if n.survives {
                theme::ACCENT
            } else {
                theme::PAD
            };
            assert_eq!(
                colour_at(layout.node(t, row)),
                rgb(expected),
                "step {t} row {row} ({})",
                n.token
            );
        }
    }
    // An empty view says what to do instead of drawing axes.
    let empty = Frame::render(|area| draw_beam(area, &BeamView::default()));
    assert!(empty.ink_in(0, 0, W, 40) > 100 && empty.ink_in(0, 60, W, H) == 0);
}

#[test]
fn a_transformer_shows_every_head_in_its_colours_and_its_positions() {
    use seq2seq_playground::model::{ModelKind, PositionKind};
    use seq2seq_playground::viz::heads::{BLOCKED, HeadsChoice, head_panels};
    use seq2seq_playground::viz::positions::diverging;
    let mut config = RunConfig::default();
    config.task.dataset_size = 200;
    config.model.kind = ModelKind::Transformer;
    config.model.embedding_size = 16;
    config.model.heads = 4;
    config.model.layers = 2;
    config.model.positions = PositionKind::Learned;
    let mut trainer = Trainer::new(config, &common::cpu()).unwrap();
    for _ in 0..3 {
        pollster::block_on(trainer.step()).unwrap();
    }
    let data = pollster::block_on(trainer.plot_data(&PlotExample::Validation(0))).unwrap();
    let heads = data.heads.clone().expect("a Transformer's heads");
    let attention = data.attention.clone().expect("the decoded example");
    assert_eq!(heads.source_tokens, attention.source_tokens);
    assert_eq!(heads.target_tokens[0], "<bos>");
    for kind in [
        HeadsKind::EncoderSelf,
        HeadsKind::DecoderSelf,
        HeadsKind::Cross,
    ] {
        let layers = heads.of(kind);
        assert_eq!(layers.len(), 2, "{kind:?}: one entry per layer");
        let (queries, keys) = heads.axes(kind);
        for layer in layers {
            assert_eq!(layer.len(), 4, "{kind:?}: four heads");
            for head in layer {
                assert_eq!(head.len(), queries.len());
                for (q, row) in head.iter().enumerate() {
                    assert_eq!(row.len(), keys.len());
                    assert!(
                        (row.iter().sum::<f32>() - 1.0).abs() < 1e-4,
                        "{kind:?} row sums to 1"
                    );
                    if kind == HeadsKind::DecoderSelf {
                        assert!(
                            row[q + 1..].iter().all(|&w| w == 0.0),
                            "no weight on a later key"
                        );
                    }
                }
            }
        }
    }
    let positions = data.positions.clone().expect("a Transformer's positions");
    assert!(positions.learned);
    assert!(positions.matrix.iter().all(|row| row.len() == 16));

    let mut plots = Plots::default();
    plots.set_data(data);
    // Decoder self-attention, top layer, all heads: each cell in its colour, blocked ones grey.
    let choice = HeadsChoice {
        kind: HeadsKind::DecoderSelf,
        layer: 1,
        head: None,
    };
    plots.options.heads = choice;
    let frame = Frame::render(|area| plots.draw(PlotName::Heads, area));
    let n = heads.target_tokens.len();
    let panels = head_panels(4, (n, n), None, (W, H));
    assert_eq!(panels.len(), 4);
    for panel in &panels {
        for q in 0..n {
            for k in 0..n {
                let [(x0, y0), (x1, _)] = panel.cell_rect(q, k);
                if x1 - x0 < 5 {
                    continue;
                }
                // near the top-left corner, off the hatching's rising diagonal
                let pixel = frame.pixel((x0 + 1) as u32, (y0 + 1) as u32);
                let expected = if k > q {
                    BLOCKED
                } else {
                    theme::heat(f64::from(heads.decoder_self[1][panel.head][q][k]))
                };
                assert_eq!(
                    pixel,
                    (expected.0, expected.1, expected.2),
                    "head {} ({q}, {k})",
                    panel.head
                );
            }
        }
    }
    // A click on head 3's panel picks it; enlarged, it is the only panel.
    let [(x0, y0), (x1, y1)] = panels[2].cell_rect(0, 0);
    assert_eq!(
        plots.head_at(f64::from(x0 + x1) / 2.0, f64::from(y0 + y1) / 2.0),
        Some(2)
    );
    plots.options.heads.head = Some(2);
    Frame::render(|area| plots.draw(PlotName::Heads, area));
    let enlarged = head_panels(4, (n, n), Some(2), (W, H));
    assert_eq!(enlarged.len(), 1);
    assert!(enlarged[0].cell > panels[0].cell);

    // The positions: each cell in the diverging colour of its value.
    let frame = Frame::render(|area| plots.draw(PlotName::Positions, area));
    let layout = PositionsLayout::new(positions.matrix.len(), 16, (W, H));
    let limit = positions
        .matrix
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
    for (p, row) in positions.matrix.iter().enumerate() {
        for (d, &value) in row.iter().enumerate() {
            let [(x0, y0), (x1, y1)] = layout.cell_rect(p, d);
            let expected = diverging(f64::from(value), limit);
            assert_eq!(
                frame.pixel(((x0 + x1) / 2) as u32, ((y0 + y1) / 2) as u32),
                (expected.0, expected.1, expected.2),
                "position {p}, dimension {d}"
            );
        }
    }
}
