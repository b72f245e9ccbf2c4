//! A flat vector read front to back as consecutive shaped views: the outputs a hand-written
//! kernel writes one after another into one buffer, a pass's pooled dropout draws, the
//! optimiser's updated parameters.

use burn::prelude::*;

/// A flat vector and how much of it the views taken so far cover.
#[derive(Debug, Clone)]
pub struct Stretches {
    flat: Tensor<1>,
    taken: usize,
}

impl Stretches {
    /// Views of `flat`, from its first element on.
    pub fn new(flat: Tensor<1>) -> Self {
        Self { flat, taken: 0 }
    }

    /// The next `shape` of the vector (a view, no copy).
    ///
    /// # Panics
    /// When fewer elements than that are left: the layout read disagrees with the one written.
    pub fn next<const D: usize>(&mut self, shape: [usize; D]) -> Tensor<D> {
        let (count, left) = (shape.iter().product::<usize>(), self.left());
        self.try_next(shape)
            .unwrap_or_else(|| panic!("a stretch of {count} elements asked for, {left} left"))
    }

    /// The next `shape` of the vector (a view), or `None` (and nothing taken) when fewer
    /// elements than that are left.
    pub fn try_next<const D: usize>(&mut self, shape: [usize; D]) -> Option<Tensor<D>> {
        let count = shape.iter().product();
        if count > self.left() {
            return None;
        }
        let view = self
            .flat
            .clone()
            .narrow(0, self.taken, count)
            .reshape(shape);
        self.taken += count;
        Some(view)
    }

    /// Elements not taken yet.
    pub fn left(&self) -> usize {
        self.flat.dims()[0] - self.taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_consecutive_stretches_in_their_shapes() {
        let device = Device::flex();
        let flat = Tensor::<1>::from_data(
            TensorData::new((0..10).map(|i| i as f32).collect(), [10]),
            &device,
        );
        let mut stretches = Stretches::new(flat);
        let a: Tensor<2> = stretches.next([2, 3]);
        assert_eq!(
            a.to_data().try_to_vec::<f32>().unwrap(),
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        );
        assert_eq!(a.dims(), [2, 3]);
        assert!(stretches.try_next([5]).is_none(), "only 4 left");
        assert_eq!(stretches.left(), 4);
        let b: Tensor<1> = stretches.next([4]);
        assert_eq!(
            b.to_data().try_to_vec::<f32>().unwrap(),
            [6.0, 7.0, 8.0, 9.0]
        );
        assert_eq!(stretches.left(), 0);
    }

    #[test]
    #[should_panic(expected = "a stretch of 3 elements asked for, 2 left")]
    fn a_stretch_past_the_end_is_a_bug() {
        let flat = Tensor::<1>::zeros([2], &Device::flex());
        let _: Tensor<1> = Stretches::new(flat).next([3]);
    }
}
