//! Which optimiser a step uses and how: one [`UpdateRule`] per step, so the optimiser, its
//! weight decay and momentum, and the scheduled learning rate can all change between steps.

menu_enum! {
    /// The optimiser.
    pub enum OptimizerKind {
        /// Adam; weight decay added to the gradient (L2), as burn's `Adam` does.
        #[strum(message = "Adam")]
        #[default]
        Adam,
        /// AdamW: Adam with the weight decay taken off the weights directly (decoupled), as
        /// burn's `AdamW` does.
        #[strum(message = "AdamW (decoupled weight decay)")]
        AdamW,
        /// Stochastic gradient descent with momentum (`v = momentum * v + g`, as burn's `Sgd`).
        #[strum(message = "SGD with momentum")]
        Sgd,
    }
}

impl OptimizerKind {
    /// The kind whose moments this optimiser keeps: Adam and AdamW share theirs.
    pub fn moments(self) -> Self {
        match self {
            Self::AdamW => Self::Adam,
            other => other,
        }
    }
}

/// How one optimiser step turns the (clipped) gradients into an update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateRule {
    /// This step's learning rate (the schedule's).
    pub learning_rate: f64,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// Weight decay (0 = none).
    pub weight_decay: f64,
    /// SGD's momentum (0 = plain SGD).
    pub momentum: f64,
}

impl UpdateRule {
    /// Adam at `learning_rate`, no weight decay.
    pub fn adam(learning_rate: f64) -> Self {
        Self {
            learning_rate,
            optimizer: OptimizerKind::Adam,
            weight_decay: 0.0,
            momentum: 0.0,
        }
    }
}
