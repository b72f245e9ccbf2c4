//! Learning-rate schedules: the rate each step trains at, from the base rate, the step count and
//! the schedule's two lengths. A pure function of those, so a resumed run, a rolled-back run and
//! the page's preview all see the same rates.

menu_enum! {
    case = "kebab-case";
    /// How the learning rate changes over a run.
    pub enum ScheduleKind {
        /// The base rate at every step.
        #[strum(message = "constant")]
        #[default]
        Constant,
        /// A linear warm-up to the base rate, then half a cosine down to 1% of it over the decay
        /// steps, and 1% from then on.
        #[strum(message = "warm-up, then cosine decay")]
        WarmupCosine,
        /// A linear warm-up to the base rate, then the rate falls as one over the square root of
        /// the step (the 2017 Transformer paper's schedule, scaled so its peak is the base rate).
        #[strum(message = "warm-up, then 1/sqrt(step) (the Transformer paper's)")]
        WarmupInverseSqrt,
        /// The base rate halved every decay-steps steps.
        #[strum(message = "halved every decay-steps steps")]
        Step,
    }
}

/// The share of the base rate a cosine schedule ends at.
pub const COSINE_FLOOR: f64 = 0.01;

/// The learning rate of step `step` (0 = the first step) under `kind`, from `base`, with
/// `warmup` warm-up steps and `decay` steps of decay (the cosine's length, the step schedule's
/// period).
pub fn rate(kind: ScheduleKind, base: f64, step: usize, warmup: usize, decay: usize) -> f64 {
    let n = (step + 1) as f64; // the step's number, counting from 1
    let warming = |w: usize| (n / w.max(1) as f64).min(1.0);
    match kind {
        ScheduleKind::Constant => base,
        ScheduleKind::WarmupCosine => {
            if step < warmup {
                return base * warming(warmup);
            }
            let progress = ((step - warmup) as f64 / decay.max(1) as f64).min(1.0);
            let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
            base * (COSINE_FLOOR + (1.0 - COSINE_FLOOR) * cosine)
        }
        ScheduleKind::WarmupInverseSqrt => {
            let w = warmup.max(1) as f64;
            base * (n / w).min((w / n).sqrt())
        }
        ScheduleKind::Step => base * 0.5f64.powi((step / decay.max(1)) as i32),
    }
}

/// The schedule of `settings` sampled for its preview: `(step, rate)` at 200 steps up to a few
/// times the schedule's own lengths (and past `current`), and `current`'s own rate.
pub fn preview(settings: &super::TrainSettings, current: usize) -> (Vec<(f64, f64)>, (f64, f64)) {
    let at = |step: usize| {
        rate(
            settings.schedule,
            settings.learning_rate,
            step,
            settings.warmup_steps,
            settings.decay_steps,
        )
    };
    let horizon = (2 * (settings.warmup_steps + settings.decay_steps))
        .max(current + current / 4 + 10)
        .max(100);
    let points = (0..=200)
        .map(|i| {
            let step = i * horizon / 200;
            (step as f64, at(step))
        })
        .collect();
    (points, (current as f64, at(current)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn constant_is_the_base_rate() {
        assert_eq!(rate(ScheduleKind::Constant, 0.003, 0, 100, 100), 0.003);
        assert_eq!(rate(ScheduleKind::Constant, 0.003, 9999, 100, 100), 0.003);
    }

    #[test]
    fn warm_up_is_linear_then_cosine_ends_at_its_floor() {
        let r = |step| rate(ScheduleKind::WarmupCosine, 1.0, step, 10, 100);
        assert!(close(r(0), 0.1));
        assert!(close(r(4), 0.5));
        assert!(close(r(9), 1.0));
        assert!(close(r(10), 1.0), "the decay starts at the base rate");
        // halfway down the cosine: halfway between the base and the floor
        assert!(close(r(60), COSINE_FLOOR + (1.0 - COSINE_FLOOR) * 0.5));
        assert!(close(r(110), COSINE_FLOOR));
        assert!(close(r(5000), COSINE_FLOOR));
    }

    #[test]
    fn inverse_sqrt_peaks_at_the_end_of_warm_up_as_the_paper_has_it() {
        // The paper: d^-0.5 * min(n^-0.5, n * w^-1.5); scaled to peak at the base rate.
        let (w, d_model) = (400usize, 512f64);
        let paper = |n: f64| d_model.powf(-0.5) * n.powf(-0.5).min(n * (w as f64).powf(-1.5));
        let peak = paper(w as f64);
        for step in [0, 99, 399, 400, 1599, 9999] {
            let n = (step + 1) as f64;
            let ours = rate(ScheduleKind::WarmupInverseSqrt, 1.0, step, w, 0);
            assert!(
                close(ours, paper(n) / peak),
                "step {step}: {ours} vs {}",
                paper(n) / peak
            );
        }
        assert!(close(
            rate(ScheduleKind::WarmupInverseSqrt, 2.0, 1599, 400, 0),
            1.0
        ));
    }

    #[test]
    fn step_halves_the_rate_every_period() {
        let r = |step| rate(ScheduleKind::Step, 0.8, step, 0, 100);
        assert_eq!((r(0), r(99), r(100), r(250)), (0.8, 0.8, 0.4, 0.2));
    }
}
