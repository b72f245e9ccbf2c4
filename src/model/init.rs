//! Weight initialisation, as the course describes it. It applies to the weight matrices
//! (recurrent cells, attention, output); embeddings start from burn's N(0, 1), since a lookup
//! table has no fan-in.

use burn::nn::Initializer;

menu_enum! {
    /// How weights start.
    pub enum InitKind {
        /// Xavier/Glorot: variance 2 / (fan_in + fan_out), suited to tanh and sigmoid units.
        #[strum(message = "Xavier/Glorot")]
        #[default]
        Xavier,
        /// He/Kaiming: variance 2 / fan_in, suited to ReLU units.
        #[strum(message = "He/Kaiming")]
        He,
    }
}

impl InitKind {
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
