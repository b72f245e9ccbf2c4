//! The 3D embedding scatter: each token's embedding vector projected onto the three principal
//! components, one point per token, special tokens marked apart; a [`Camera`] turns and zooms
//! it. A large vocabulary is one blob of labels, so only some points are labelled: the most
//! frequent tokens, the example's, the ones a person picks, and a searched token with its
//! nearest neighbours (highlighted).

use super::DrawError;
use super::neighbours::Search;
use super::pca::Pca;
use super::theme;
use crate::data::snapshot::EmbeddingTable;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// Up to this many tokens, every point is labelled.
pub const LABEL_ALL_UP_TO: usize = 60;

/// How a point is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointMark {
    /// An ordinary token.
    Plain,
    /// A special token (red square).
    Special,
    /// The token searched for.
    Searched,
    /// One of its nearest neighbours.
    Neighbour,
}

/// One point of the scatter.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPoint {
    /// The token.
    pub label: String,
    /// Its coordinates.
    pub position: [f64; 3],
    /// How it is drawn.
    pub mark: PointMark,
    /// Whether its label is drawn.
    pub labelled: bool,
}

impl ScatterPoint {
    /// Whether it is a special token.
    pub fn special(&self) -> bool {
        self.mark == PointMark::Special
    }
}

/// Which points get a label when there are too many to label all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelChoice {
    /// Label the this many most frequent tokens.
    pub top: usize,
    /// Always label these (the example's tokens, a person's picks).
    pub always: Vec<String>,
    /// A search to highlight (the token and its neighbours are labelled).
    pub search: Option<Search>,
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
    /// Projects an embedding table with a fitted [`Pca`], labelling what `labels` picks.
    pub fn from_embeddings(
        title: &str,
        table: &EmbeddingTable,
        pca: &Pca,
        labels: &LabelChoice,
    ) -> Self {
        let label_all = table.tokens.len() <= LABEL_ALL_UP_TO;
        let mut by_count: Vec<usize> = (table.special..table.tokens.len()).collect();
        by_count.sort_by_key(|&i| std::cmp::Reverse(table.counts.get(i).copied().unwrap_or(0)));
        let mut top = vec![false; table.tokens.len()];
        for &i in by_count.iter().take(labels.top) {
            top[i] = true;
        }
        let searched = labels.search.as_ref().and_then(|s| s.index);
        let neighbours: Vec<usize> = labels
            .search
            .iter()
            .flat_map(|s| s.neighbours.iter().map(|n| n.index))
            .collect();
        let points: Vec<ScatterPoint> = table
            .tokens
            .iter()
            .zip(&table.vectors)
            .enumerate()
            .map(|(i, (token, vector))| {
                let mark = if Some(i) == searched {
                    PointMark::Searched
                } else if neighbours.contains(&i) {
                    PointMark::Neighbour
                } else if i < table.special {
                    PointMark::Special
                } else {
                    PointMark::Plain
                };
                ScatterPoint {
                    label: token.clone(),
                    position: pca.project(vector),
                    mark,
                    labelled: label_all
                        || mark != PointMark::Plain
                        || top[i]
                        || labels.always.contains(token),
                }
            })
            .collect();
        let extent = points
            .iter()
            .flat_map(|p| p.position)
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(1e-6)
            * 1.1;
        let explained = pca.explained.iter().sum::<f64>();
        let mut notes = vec![format!(
            "{} tokens · {}-d vectors · PC1-3 keep {:.0}% of the variance",
            table.tokens.len(),
            table.vectors.first().map_or(0, Vec::len),
            explained * 100.0
        )];
        if !label_all {
            let labelled = points.iter().filter(|p| p.labelled).count();
            notes.push(format!(
                "{labelled} labelled: the {} most frequent, the example's, your picks",
                labels.top.min(by_count.len())
            ));
        }
        Self {
            title: title.to_string(),
            points,
            axis_names: ["PC1", "PC2", "PC3"].map(String::from),
            notes,
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
                    mark: PointMark::Plain,
                    labelled: true,
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

/// Draws `scatter` seen from `camera`; returns where each point landed, in pixels of the
/// drawing backend (the canvas), in `scatter.points` order, for picking a point by a click.
pub fn draw_scatter_3d<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    scatter: &Scatter3d,
    camera: &Camera,
) -> Result<Vec<(i32, i32)>, DrawError> {
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

    // Far points first, so near ones are drawn on top. Labels are placed highlighted points
    // first, then near points first, each where it overlaps no label placed before it.
    let coord = chart.as_coord_spec();
    let pixels: Vec<(i32, i32)> = scatter
        .points
        .iter()
        .map(|p| {
            let [x, y, z] = p.position;
            coord.translate(&(x, y, z))
        })
        .collect();
    let mut order: Vec<(i32, usize)> = scatter
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let [x, y, z] = p.position;
            (coord.projected_depth(&x, &y, &z), i)
        })
        .collect();
    order.sort_by_key(|&(depth, _)| depth);
    let mut label_order: Vec<usize> = order
        .iter()
        .rev()
        .map(|&(_, i)| i)
        .filter(|&i| scatter.points[i].labelled)
        .collect();
    label_order.sort_by_key(|&i| !highlighted(scatter.points[i].mark));
    let mut placed = Vec::new();
    let mut offsets = vec![None; scatter.points.len()];
    for i in label_order {
        offsets[i] = Some(place_label(
            pixels[i],
            &scatter.points[i].label,
            &mut placed,
        ));
    }
    chart
        .draw_series(order.iter().map(|&(_, i)| {
            let point = &scatter.points[i];
            let [x, y, z] = point.position;
            let marker: DynElement<DB, (i32, i32)> = match (point.mark, point.labelled) {
                (PointMark::Special, _) => {
                    Rectangle::new([(-4, -4), (4, 4)], theme::SPECIAL.filled()).into_dyn()
                }
                (PointMark::Searched, _) => {
                    Circle::new((0, 0), 7, theme::SEARCHED.filled()).into_dyn()
                }
                (PointMark::Neighbour, _) => {
                    Circle::new((0, 0), 5, theme::NEIGHBOUR.filled()).into_dyn()
                }
                (PointMark::Plain, true) => {
                    Circle::new((0, 0), 4, theme::ACCENT.filled()).into_dyn()
                }
                (PointMark::Plain, false) => {
                    Circle::new((0, 0), 2, theme::ACCENT.mix(0.45).filled()).into_dyn()
                }
            };
            EmptyElement::at((x, y, z)) + marker
        }))
        .map_err(e)?;
    let label_style = theme::text(12.0, theme::INK);
    let special_style = theme::text(11.0, theme::SPECIAL);
    let strong_style = (theme::FONT, 13)
        .into_font()
        .style(FontStyle::Bold)
        .color(&theme::INK)
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
    chart
        .draw_series(offsets.iter().enumerate().filter_map(|(i, offset)| {
            let offset = (*offset)?;
            let point = &scatter.points[i];
            let style = match point.mark {
                PointMark::Special => special_style.clone(),
                PointMark::Searched | PointMark::Neighbour => strong_style.clone(),
                PointMark::Plain => label_style.clone(),
            };
            let [x, y, z] = point.position;
            Some(
                EmptyElement::at((x, y, z))
                    + Text::new(
                        point.label.clone(),
                        offset,
                        theme::for_label(style, &point.label),
                    ),
            )
        }))
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
    area.present().map_err(e)?;
    Ok(pixels)
}

/// Whether a mark belongs to a search (its labels are placed first).
fn highlighted(mark: PointMark) -> bool {
    matches!(mark, PointMark::Searched | PointMark::Neighbour)
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
            counts: Vec::new(),
        };
        let pca = Pca::fit(&table.vectors, None).unwrap();
        let scatter = Scatter3d::from_embeddings("source", &table, &pca, &LabelChoice::default());
        let special: Vec<bool> = scatter.points.iter().map(ScatterPoint::special).collect();
        assert_eq!(special, [true, true, true, true, false, false]);
        assert!(scatter.extent > 0.0);
    }
}
