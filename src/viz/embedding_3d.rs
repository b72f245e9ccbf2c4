//! The 3D embedding scatter: each token's embedding vector projected onto the three principal
//! components, one labelled point per token, special tokens marked apart; a [`Camera`] turns
//! and zooms it.

use super::pca::Pca;
use super::theme;
use super::{DrawError, DrawResult};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// An embedding matrix with its tokens: row `i` is the vector of `tokens[i]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingTable {
    /// Tokens in id order.
    pub tokens: Vec<String>,
    /// One embedding vector per token.
    pub vectors: Vec<Vec<f32>>,
    /// How many leading tokens are special (`<pad>`, `<bos>`, `<eos>`, `<unk>`).
    pub special: usize,
}

/// One point of the scatter.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPoint {
    /// The token.
    pub label: String,
    /// Its coordinates.
    pub position: [f64; 3],
    /// Whether it is a special token (drawn as a red square).
    pub special: bool,
}

/// A labelled 3D point cloud, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Scatter3d {
    /// Shown above the plot.
    pub title: String,
    /// The points.
    pub points: Vec<ScatterPoint>,
    /// Names of the three axes.
    pub axis_names: [String; 3],
    /// Lines of text shown in the top-left corner (distances, variance explained).
    pub notes: Vec<String>,
    /// Half-width of the cube shown (all axes share it, so distances are not distorted).
    pub extent: f64,
    /// Whether the cube spans `[0, extent]` (the course's example) rather than `[-extent, extent]`.
    pub positive_only: bool,
}

impl Scatter3d {
    /// Projects an embedding table with a fitted [`Pca`].
    pub fn from_embeddings(title: &str, table: &EmbeddingTable, pca: &Pca) -> Self {
        let points: Vec<ScatterPoint> = table
            .tokens
            .iter()
            .zip(&table.vectors)
            .enumerate()
            .map(|(i, (token, vector))| ScatterPoint {
                label: token.clone(),
                position: pca.project(vector),
                special: i < table.special,
            })
            .collect();
        let extent = points
            .iter()
            .flat_map(|p| p.position)
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(1e-6)
            * 1.1;
        let explained = pca.explained.iter().sum::<f64>();
        Self {
            title: title.to_string(),
            points,
            axis_names: ["PC1", "PC2", "PC3"].map(String::from),
            notes: vec![format!(
                "{} tokens · {}-d vectors · PC1-3 keep {:.0}% of the variance",
                table.tokens.len(),
                table.vectors.first().map_or(0, Vec::len),
                explained * 100.0
            )],
            extent,
            positive_only: false,
        }
    }

    /// The course's own example: four words in a made-up 3-d embedding space, where similar
    /// meanings sit close together.
    pub fn course_example() -> Self {
        let words = [
            ("猫 cat", [0.3, 0.4, 0.25]),
            ("狗 dog", [0.35, 0.45, 0.3]),
            ("爱 love", [0.8, 0.8, 0.8]),
            ("跑 run", [0.1, 0.2, 0.6]),
        ];
        let distance = |a: [f64; 3], b: [f64; 3]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f64>()
                .sqrt()
        };
        let (cat, dog, love) = (words[0].1, words[1].1, words[2].1);
        Self {
            title: "The course's example: 猫, 狗, 爱, 跑".to_string(),
            points: words
                .iter()
                .map(|(label, position)| ScatterPoint {
                    label: label.to_string(),
                    position: *position,
                    special: false,
                })
                .collect(),
            axis_names: ["x", "y", "z"].map(String::from),
            notes: vec![
                format!("distance(猫 cat, 狗 dog) = {:.3}", distance(cat, dog)),
                format!("distance(猫 cat, 爱 love) = {:.3}", distance(cat, love)),
                "similar meanings sit close together".to_string(),
            ],
            extent: 1.0,
            positive_only: true,
        }
    }
}

/// Where the scatter is seen from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// Turn around the vertical axis, radians.
    pub yaw: f64,
    /// Tilt, radians, kept within ±1.5.
    pub pitch: f64,
    /// Zoom factor, kept within [0.3, 3].
    pub zoom: f64,
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            yaw: 0.6,
            pitch: 0.35,
            zoom: 0.8,
        }
    }
}

impl Camera {
    /// Turns the camera by a mouse drag of `(dx, dy)` pixels.
    pub fn drag(&mut self, dx: f64, dy: f64) {
        self.yaw = (self.yaw + dx * 0.01).rem_euclid(std::f64::consts::TAU);
        self.pitch = (self.pitch + dy * 0.01).clamp(-1.5, 1.5);
    }

    /// Zooms by `factor` (above 1 zooms in).
    pub fn zoom_by(&mut self, factor: f64) {
        if factor.is_finite() && factor > 0.0 {
            self.zoom = (self.zoom * factor).clamp(0.3, 3.0);
        }
    }
}

/// Draws `scatter` seen from `camera`.
pub fn draw_scatter_3d<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    scatter: &Scatter3d,
    camera: &Camera,
) -> DrawResult {
    let e = DrawError::from_display;
    area.fill(&theme::BACKGROUND).map_err(e)?;
    let low = if scatter.positive_only {
        0.0
    } else {
        -scatter.extent
    };
    let range = low..scatter.extent;
    let mut chart = ChartBuilder::on(area)
        .caption(
            &scatter.title,
            theme::for_label(
                (theme::FONT, 15).into_font().color(&theme::INK),
                &scatter.title,
            ),
        )
        .margin(6)
        .build_cartesian_3d(range.clone(), range.clone(), range)
        .map_err(e)?;
    chart.with_projection(|mut p| {
        p.yaw = camera.yaw;
        p.pitch = camera.pitch;
        p.scale = camera.zoom;
        p.into_matrix()
    });
    let axis_names = &scatter.axis_names;
    let no_numbers = |_: &f64| String::new();
    chart
        .configure_axes()
        .light_grid_style(theme::GRID)
        .bold_grid_style(theme::GRID.mix(0.6))
        .axis_panel_style(RGBColor(243, 244, 246).mix(0.5))
        .max_light_lines(2)
        .label_style((theme::FONT, 10).into_font().color(&theme::MUTED))
        .x_formatter(&no_numbers)
        .y_formatter(&no_numbers)
        .z_formatter(&no_numbers)
        .draw()
        .map_err(e)?;
    // Axis names at the positive end of each axis.
    let end = scatter.extent;
    let base = if scatter.positive_only { 0.0 } else { low };
    let axis_label = theme::text(11.0, theme::MUTED);
    let ends = [(end, base, base), (base, end, base), (base, base, end)];
    chart
        .draw_series(
            ends.iter()
                .zip(axis_names)
                .map(|(&at, name)| Text::new(name.clone(), at, axis_label.clone())),
        )
        .map_err(e)?;

    // Far points first, so near ones (and their labels) are drawn on top; labels are placed
    // near points first, each where it overlaps no label placed before it.
    let coord = chart.as_coord_spec();
    let mut order: Vec<(i32, (i32, i32), &ScatterPoint)> = scatter
        .points
        .iter()
        .map(|p| {
            let [x, y, z] = p.position;
            let at = (x, y, z);
            (coord.projected_depth(&x, &y, &z), coord.translate(&at), p)
        })
        .collect();
    order.sort_by_key(|(depth, _, _)| *depth);
    let mut placed = Vec::new();
    let offsets: Vec<(i32, i32)> = order
        .iter()
        .map(|(_, at, point)| place_label(*at, &point.label, &mut placed))
        .collect();
    let label_style = theme::text(12.0, theme::INK);
    let special_style = theme::text(11.0, theme::SPECIAL);
    chart
        .draw_series(
            order
                .iter()
                .zip(offsets)
                .rev()
                .map(|((_, _, point), offset)| {
                    let [x, y, z] = point.position;
                    let marker: DynElement<DB, (i32, i32)> = if point.special {
                        Rectangle::new([(-4, -4), (4, 4)], theme::SPECIAL.filled()).into_dyn()
                    } else {
                        Circle::new((0, 0), 4, theme::ACCENT.filled()).into_dyn()
                    };
                    let style = if point.special {
                        special_style.clone()
                    } else {
                        label_style.clone()
                    };
                    let style = theme::for_label(style, &point.label);
                    EmptyElement::at((x, y, z))
                        + marker
                        + Text::new(point.label.clone(), offset, style)
                }),
        )
        .map_err(e)?;

    let note_style = theme::text(11.0, theme::MUTED);
    for (i, note) in scatter.notes.iter().enumerate() {
        area.draw(&Text::new(
            note.clone(),
            (8, 36 + 14 * i as i32),
            theme::for_label(note_style.clone(), note),
        ))
        .map_err(e)?;
    }
    area.present().map_err(e)
}

/// A label's box in pixels: left, top, right, bottom.
type LabelBox = (i32, i32, i32, i32);

/// Picks where a point's label goes (its left-centre offset from the point): right of the
/// point if free, else just above or below, else on the left; records the chosen box.
fn place_label(at: (i32, i32), label: &str, placed: &mut Vec<LabelBox>) -> (i32, i32) {
    let width = 7 * theme::label_width(label) as i32 + 2;
    let half_height = 7;
    let candidates = [
        (7, 0),
        (7, -12),
        (7, 12),
        (-9 - width, 0),
        (-9 - width, -12),
        (-9 - width, 12),
    ];
    let boxed = |(dx, dy): (i32, i32)| {
        (
            at.0 + dx,
            at.1 + dy - half_height,
            at.0 + dx + width,
            at.1 + dy + half_height,
        )
    };
    let overlaps = |a: LabelBox, b: &LabelBox| a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
    let offset = candidates
        .into_iter()
        .find(|&c| !placed.iter().any(|b| overlaps(boxed(c), b)))
        .unwrap_or(candidates[0]);
    placed.push(boxed(offset));
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_example_distances_show_cat_near_dog() {
        let example = Scatter3d::course_example();
        assert_eq!(example.points.len(), 4);
        assert_eq!(example.notes[0], "distance(猫 cat, 狗 dog) = 0.087");
        assert_eq!(example.notes[1], "distance(猫 cat, 爱 love) = 0.844");
    }

    #[test]
    fn labels_of_close_points_do_not_overlap() {
        let mut placed = Vec::new();
        let first = place_label((100, 100), "猫 cat", &mut placed);
        let second = place_label((102, 101), "狗 dog", &mut placed);
        let far = place_label((300, 300), "跑 run", &mut placed);
        assert_eq!(first, (7, 0));
        assert_ne!(second, first);
        assert_eq!(far, (7, 0));
    }

    #[test]
    fn camera_stays_in_range() {
        let mut camera = Camera::default();
        camera.drag(1e6, 1e6);
        assert!(camera.pitch <= 1.5 && camera.yaw >= 0.0);
        camera.zoom_by(1e9);
        assert_eq!(camera.zoom, 3.0);
        camera.zoom_by(f64::NAN);
        assert_eq!(camera.zoom, 3.0);
    }

    #[test]
    fn special_tokens_are_marked() {
        let table = EmbeddingTable {
            tokens: ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b"]
                .map(String::from)
                .to_vec(),
            vectors: (0..6)
                .map(|i| vec![i as f32, (i * i) as f32, 1.0])
                .collect(),
            special: 4,
        };
        let pca = Pca::fit(&table.vectors, None).unwrap();
        let scatter = Scatter3d::from_embeddings("source", &table, &pca);
        let special: Vec<bool> = scatter.points.iter().map(|p| p.special).collect();
        assert_eq!(special, [true, true, true, true, false, false]);
        assert!(scatter.extent > 0.0);
    }
}
