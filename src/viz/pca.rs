//! Principal component analysis down to three dimensions, with components kept stable from one
//! frame to the next so a live scatter glides instead of flipping.
//!
//! The components are the eigenvectors of the covariance matrix with the largest eigenvalues
//! (nalgebra's symmetric eigensolver). An eigenvector is only defined up to its sign, and two
//! components with close eigenvalues may swap places as training moves the embeddings: both
//! would make the picture jump. So each fit is matched to the previous one (the order of the
//! three components that agrees best with the previous ones, then each sign turned to agree);
//! a first fit takes the sign that makes each component's largest loading positive.

use nalgebra::{DMatrix, SymmetricEigen};

/// How many components the scatter shows.
pub const COMPONENTS: usize = 3;

/// A fitted projection: subtract `mean`, then dot with each component.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean of each input dimension.
    pub mean: Vec<f64>,
    /// Unit-length components, each as long as an input row (zero where the input has fewer
    /// than three dimensions).
    pub components: [Vec<f64>; COMPONENTS],
    /// Share of the total variance along each component, in `[0, 1]`.
    pub explained: [f64; COMPONENTS],
}

impl Pca {
    /// Fits the top three components of `rows` (each the same length), kept consistent with
    /// `previous` when it has the same dimension. `None` when there are no rows or no columns.
    pub fn fit(rows: &[Vec<f32>], previous: Option<&Pca>) -> Option<Pca> {
        let dim = rows.first()?.len();
        if dim == 0 || rows.iter().any(|r| r.len() != dim) {
            return None;
        }
        let n = rows.len();
        let mut data = DMatrix::from_fn(n, dim, |i, j| f64::from(rows[i][j]));
        let mean: Vec<f64> = (0..dim).map(|j| data.column(j).mean()).collect();
        for (j, m) in mean.iter().enumerate() {
            data.column_mut(j).add_scalar_mut(-m);
        }
        let covariance = data.transpose() * &data / (n.max(2) - 1) as f64;
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..dim).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let total: f64 = eigen.eigenvalues.iter().map(|v| v.max(0.0)).sum();
        let mut components: [Vec<f64>; COMPONENTS] = Default::default();
        let mut explained = [0.0; COMPONENTS];
        for k in 0..COMPONENTS {
            match order.get(k) {
                Some(&index) => {
                    components[k] = eigen.eigenvectors.column(index).iter().copied().collect();
                    explained[k] = if total > 0.0 {
                        eigen.eigenvalues[index].max(0.0) / total
                    } else {
                        0.0
                    };
                }
                None => components[k] = vec![0.0; dim],
            }
        }
        let mut pca = Pca {
            mean,
            components,
            explained,
        };
        match previous.filter(|p| p.mean.len() == dim) {
            Some(previous) => pca.align_to(previous),
            None => pca.largest_loading_positive(),
        }
        Some(pca)
    }

    /// Projects one row onto the three components.
    pub fn project(&self, row: &[f32]) -> [f64; COMPONENTS] {
        let mut out = [0.0; COMPONENTS];
        for (k, component) in self.components.iter().enumerate() {
            out[k] = row
                .iter()
                .zip(&self.mean)
                .zip(component)
                .map(|((&x, m), c)| (f64::from(x) - m) * c)
                .sum();
        }
        out
    }

    /// Reorders and flips the components to agree with `previous` as well as possible.
    fn align_to(&mut self, previous: &Pca) {
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let agreement = |perm: &[usize; 3]| -> f64 {
            (0..COMPONENTS)
                .map(|k| dot(&previous.components[k], &self.components[perm[k]]).abs())
                .sum()
        };
        // the first best order: on a tie the identity (listed first) stays
        let best = PERMUTATIONS
            .iter()
            .copied()
            .fold(None::<([usize; 3], f64)>, |best, perm| {
                let score = agreement(&perm);
                match best {
                    Some((_, top)) if score <= top => best,
                    _ => Some((perm, score)),
                }
            })
            .map(|(perm, _)| perm)
            .expect("there are permutations");
        let components = best.map(|i| self.components[i].clone());
        let explained = best.map(|i| self.explained[i]);
        self.components = components;
        self.explained = explained;
        for k in 0..COMPONENTS {
            if dot(&previous.components[k], &self.components[k]) < 0.0 {
                self.components[k].iter_mut().for_each(|c| *c = -*c);
            }
        }
    }

    /// Turns each component so its largest loading (by magnitude) is positive.
    fn largest_loading_positive(&mut self) {
        for component in &mut self.components {
            let largest = component
                .iter()
                .copied()
                .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                .unwrap_or(0.0);
            if largest < 0.0 {
                component.iter_mut().for_each(|c| *c = -*c);
            }
        }
    }
}

/// Every order of three components, the identity first (it wins ties).
const PERMUTATIONS: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tie_keeps_the_components_in_their_order() {
        let unit = |i: usize| {
            let mut v = vec![0.0; 3];
            v[i] = 1.0;
            v
        };
        let mut pca = Pca {
            mean: vec![0.0; 3],
            components: [unit(0), unit(1), unit(2)],
            explained: [0.5, 0.3, 0.2],
        };
        // a previous fit that agrees with no order better than with another
        let previous = Pca {
            mean: vec![0.0; 3],
            components: [vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]],
            explained: [0.0; 3],
        };
        pca.align_to(&previous);
        assert_eq!(pca.components, [unit(0), unit(1), unit(2)]);
        assert_eq!(pca.explained, [0.5, 0.3, 0.2]);
    }

    /// Points on the axes with variances in the ratio 9 : 4 : 1.
    fn axis_points() -> Vec<Vec<f32>> {
        vec![
            vec![3.0, 0.0, 0.0, 0.0],
            vec![-3.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 2.0, 0.0],
            vec![0.0, 0.0, -2.0, 0.0],
            vec![0.0, 1.0, 0.0, 0.0],
            vec![0.0, -1.0, 0.0, 0.0],
        ]
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn known_matrix_gives_known_components() {
        let pca = Pca::fit(&axis_points(), None).unwrap();
        assert!(close(&pca.components[0], &[1.0, 0.0, 0.0, 0.0]));
        assert!(close(&pca.components[1], &[0.0, 0.0, 1.0, 0.0]));
        assert!(close(&pca.components[2], &[0.0, 1.0, 0.0, 0.0]));
        assert!(close(&pca.explained, &[9.0 / 14.0, 4.0 / 14.0, 1.0 / 14.0]));
        assert!(close(&pca.project(&[3.0, 0.0, 0.0, 0.0]), &[3.0, 0.0, 0.0]));
        assert!(close(
            &pca.project(&[0.0, -1.0, 2.0, 0.0]),
            &[0.0, 2.0, -1.0]
        ));
    }

    #[test]
    fn first_fit_makes_the_largest_loading_positive() {
        let rows: Vec<Vec<f32>> = (0..10)
            .map(|i| {
                let t = i as f32 - 4.5;
                vec![-2.0 * t, 0.5 * t, 0.1 * (i % 3) as f32]
            })
            .collect();
        let pca = Pca::fit(&rows, None).unwrap();
        for component in &pca.components {
            let largest = component
                .iter()
                .copied()
                .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                .unwrap();
            assert!(largest > 0.0, "{component:?}");
        }
    }

    #[test]
    fn signs_follow_the_previous_fit() {
        let first = Pca::fit(&axis_points(), None).unwrap();
        // The same cloud mirrored along every axis: the eigenvectors are the same up to sign, so
        // the aligned fit must equal the first one exactly.
        let mirrored: Vec<Vec<f32>> = axis_points()
            .into_iter()
            .map(|r| r.into_iter().map(|x| -x).collect())
            .collect();
        let again = Pca::fit(&mirrored, Some(&first)).unwrap();
        for k in 0..COMPONENTS {
            assert!(close(&again.components[k], &first.components[k]));
        }
    }

    #[test]
    fn order_follows_the_previous_fit_when_variances_swap() {
        let first = Pca::fit(&axis_points(), None).unwrap();
        // Now the second axis varies more than the first: unaligned, components 0 and 1 swap.
        let swapped: Vec<Vec<f32>> = axis_points()
            .into_iter()
            .map(|r| vec![r[0] * 0.5, r[1], r[2] * 2.0, r[3]])
            .collect();
        let unaligned = Pca::fit(&swapped, None).unwrap();
        assert!(close(&unaligned.components[0], &[0.0, 0.0, 1.0, 0.0]));
        let aligned = Pca::fit(&swapped, Some(&first)).unwrap();
        for k in 0..COMPONENTS {
            assert!(close(&aligned.components[k], &first.components[k]));
        }
    }

    #[test]
    fn small_inputs_do_not_panic() {
        assert!(Pca::fit(&[], None).is_none());
        assert!(Pca::fit(&[vec![]], None).is_none());
        assert!(Pca::fit(&[vec![1.0, 2.0], vec![1.0]], None).is_none());
        let one = Pca::fit(&[vec![1.0, 2.0]], None).unwrap();
        assert_eq!(one.project(&[1.0, 2.0]), [0.0, 0.0, 0.0]);
        let two_dims = Pca::fit(&[vec![1.0, 0.0], vec![-1.0, 0.0]], None).unwrap();
        assert_eq!(two_dims.components[2], vec![0.0, 0.0]);
    }
}
