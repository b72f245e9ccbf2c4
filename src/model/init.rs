//! Weight initialisation, as the course describes it. It applies to the weight matrices
//! (recurrent cells, attention, output); embeddings start from burn's N(0, 1), since a lookup
//! table has no fan-in.

use burn::nn::Initializer;
use serde::{Deserialize, Serialize};

/// How weights start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InitKind {
    /// Xavier/Glorot: variance 2 / (fan_in + fan_out), suited to tanh and sigmoid units.
    #[default]
    Xavier,
    /// He/Kaiming: variance 2 / fan_in, suited to ReLU units.
    He,
}

impl InitKind {
    /// Every kind, for menus and argument parsing.
    pub const ALL: [InitKind; 2] = [Self::Xavier, Self::He];

    /// The name written in configs and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Xavier => "xavier",
            Self::He => "he",
        }
    }

    /// burn's initializer for this kind.
    pub fn initializer(self) -> Initializer {
        match self {
            Self::Xavier => Initializer::XavierUniform { gain: 1.0 },
            Self::He => Initializer::KaimingNormal {
                gain: std::f64::consts::SQRT_2,
                fan_out_only: false,
            },
        }
    }
}
