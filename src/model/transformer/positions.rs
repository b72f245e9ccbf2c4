//! Positional encodings: what tells a Transformer where a token stands, since attention alone
//! sees a set, not a sequence.

use super::PositionKind;
use burn::nn::{Embedding, EmbeddingConfig, Initializer};
use burn::prelude::*;

/// Configuration of [`Positions`].
#[derive(Config, Debug)]
pub struct PositionsConfig {
    /// Width of each position's vector.
    pub d_model: usize,
    /// Positions available.
    pub max_len: usize,
    /// Fixed sinusoids or learned vectors.
    #[config(default = "PositionKind::Sinusoidal")]
    pub kind: PositionKind,
}

impl PositionsConfig {
    /// Builds the encodings on `device`.
    pub fn init(&self, device: &Device) -> Positions {
        match self.kind {
            PositionKind::Sinusoidal => Positions::Sinusoidal(Sinusoids {
                table: sinusoids(self.max_len, self.d_model, device),
            }),
            PositionKind::Learned => Positions::Learned(
                EmbeddingConfig::new(self.max_len, self.d_model)
                    .with_initializer(Initializer::Normal {
                        mean: 0.0,
                        std: 1.0,
                    })
                    .init(device),
            ),
        }
    }
}

/// The fixed table of sinusoids `[max_len, d_model]` (not a parameter: never trained, never
/// saved).
#[derive(Module, Debug)]
pub struct Sinusoids {
    /// `PE[p, 2i] = sin(p / 10000^(2i/d))`, `PE[p, 2i+1] = cos(p / 10000^(2i/d))`.
    pub table: Tensor<2>,
}

/// One vector per position, added to the token's embedding.
#[derive(Module, Debug)]
pub enum Positions {
    /// The 2017 paper's sines and cosines.
    Sinusoidal(Sinusoids),
    /// A trained vector per position.
    Learned(Embedding),
}

impl Positions {
    /// The encodings of positions `0..len` `[len, d_model]`. Past the table (the config's
    /// `max_len`), sinusoids are computed for the longer length and a learned table repeats its
    /// last vector: a long own-data line or a long decoding limit never fails.
    pub fn first(&self, len: usize) -> Tensor<2> {
        let table = self.matrix();
        let [available, d_model] = table.dims();
        if len <= available {
            return table.narrow(0, 0, len);
        }
        match self {
            Self::Sinusoidal(_) => sinusoids(len, d_model, &table.device()),
            Self::Learned(_) => {
                let last = table.clone().narrow(0, available - 1, 1);
                Tensor::cat(vec![table, last.repeat_dim(0, len - available)], 0)
            }
        }
    }

    /// The whole encoding matrix `[max_len, d_model]` (for the plot).
    pub fn matrix(&self) -> Tensor<2> {
        match self {
            Self::Sinusoidal(fixed) => fixed.table.clone(),
            Self::Learned(embedding) => embedding.weight.val(),
        }
    }
}

/// The sinusoid table, computed on the host (exactly the same numbers on every device).
fn sinusoids(max_len: usize, d_model: usize, device: &Device) -> Tensor<2> {
    let mut values = Vec::with_capacity(max_len * d_model);
    for position in 0..max_len {
        for dim in 0..d_model {
            let pair = (dim / 2) as f64;
            let angle = position as f64 / 10000f64.powf(2.0 * pair / d_model as f64);
            values.push(if dim % 2 == 0 {
                angle.sin()
            } else {
                angle.cos()
            } as f32);
        }
    }
    Tensor::<1>::from_data(values.as_slice(), device).reshape([max_len, d_model])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinusoids_follow_the_papers_formula() {
        let device = Device::flex();
        let positions = PositionsConfig::new(8, 16).init(&device);
        let values = positions.matrix().into_data().try_to_vec::<f32>().unwrap();
        let at = |p: usize, d: usize| values[p * 8 + d];
        assert_eq!(at(0, 0), 0.0);
        assert_eq!(at(0, 1), 1.0);
        assert!((at(3, 0) - 3f32.sin()).abs() < 1e-6);
        // Dimension 4 and 5 are the third pair: wavelength 10000^(4/8) = 100.
        assert!((at(5, 4) - (5.0f32 / 100.0).sin()).abs() < 1e-6);
        assert!((at(5, 5) - (5.0f32 / 100.0).cos()).abs() < 1e-6);
    }
}
