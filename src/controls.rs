//! The one table the controls are built from: every numeric setting's path, range, default and
//! what 0 means; every choice's options with their labels; the own-data limits. The validation
//! ([`RunConfig::validate`], through [`RUN_NUMBERS`]), the command line's `--help` and the page
//! (the wasm export `controlSpecs`) all read it, so a range cannot differ between them.

use crate::data::own_dataset::MIN_PAIRS;
use crate::data::snapshot::HeadsKind;
use crate::data::vocab::MAX_TOKENS;
use crate::data::{DatasetLimits, TaskKind};
use crate::model::{AttentionKind, CellKind, InitKind, ModelKind, NormPlacement, PositionKind};
use crate::train::RunConfig;
use crate::train::config::limits;
use crate::train::fields::RUN_NUMBERS;
use crate::train::optimizer::OptimizerKind;
use crate::train::schedule::ScheduleKind;
use crate::train::search::{self, StrategyKind};
use serde::Serialize;
use strum::{EnumMessage, VariantArray};

/// A numeric control as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberSpec {
    /// Dotted path (`train.batch_size`; `page.plot_every` for the page's own settings).
    pub path: &'static str,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// Whole numbers only.
    pub whole: bool,
    /// What 0 means, when it is a switch ("off", "auto").
    pub zero_means: Option<&'static str>,
    /// The value a new page starts with.
    pub default: f64,
}

/// One option of a choice: the value written in configs and the label shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceOption {
    /// The name in configs and on the command line.
    pub value: &'static str,
    /// What a person reads.
    pub label: &'static str,
    /// A hint shown while the option is chosen (`None`: no hint).
    pub hint: Option<&'static str>,
    /// Settings (dotted paths) the option leaves unused: their controls are off while it is
    /// chosen.
    pub unused: &'static [&'static str],
}

/// A choice control: its options and default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceSpec {
    /// Dotted path (`model.cell`).
    pub path: &'static str,
    /// The default option's value.
    pub default: &'static str,
    /// Every option, in menu order.
    pub options: Vec<ChoiceOption>,
}

/// The own-data limits as the page states them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnDataSpec {
    /// Most pairs kept.
    pub max_pairs: usize,
    /// Longest line, in characters.
    pub max_line_chars: usize,
    /// Largest input, in MiB.
    pub max_mebibytes: usize,
    /// Fewest good pairs a run needs.
    pub min_pairs: usize,
    /// Most distinct tokens a side keeps.
    pub max_vocab_tokens: usize,
}

/// Everything the page's controls are built from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlSpecs {
    /// Numeric controls: the run's fields, then the page's own settings.
    pub numbers: Vec<NumberSpec>,
    /// Choices.
    pub choices: Vec<ChoiceSpec>,
    /// Own-data limits.
    pub own_data: OwnDataSpec,
}

/// Steps trained between two updates of the page (0 = as many as fit in a frame).
pub const STEPS_PER_UPDATE: NumberSpec = NumberSpec {
    path: "page.steps_per_update",
    min: 0.0,
    max: 200.0,
    whole: true,
    zero_means: Some("auto"),
    default: 0.0,
};

/// Steps between two plot snapshots (0 = plots off).
pub const PLOT_EVERY: NumberSpec = NumberSpec {
    path: "page.plot_every",
    min: 0.0,
    max: 10_000.0,
    whole: true,
    zero_means: Some("off"),
    default: 20.0,
};

/// Tokens labelled in a large embedding scatter (the most frequent ones).
pub const LABEL_TOP: NumberSpec = NumberSpec {
    path: "page.label_top",
    min: 0.0,
    max: 500.0,
    whole: true,
    zero_means: None,
    default: crate::viz::LABEL_TOP as f64,
};

/// The try-it box's beam width.
pub const BEAM_WIDTH: NumberSpec = NumberSpec {
    path: "page.beam_width",
    min: 1.0,
    max: search::MAX_WIDTH as f64,
    whole: true,
    zero_means: None,
    default: 5.0,
};

/// The try-it box's length normalisation.
pub const ALPHA: NumberSpec = NumberSpec {
    path: "page.alpha",
    min: *search::ALPHA.start(),
    max: *search::ALPHA.end(),
    whole: false,
    zero_means: None,
    default: 0.6,
};

/// The try-it box's sampling temperature.
pub const TEMPERATURE: NumberSpec = NumberSpec {
    path: "page.temperature",
    min: *search::TEMPERATURE.start(),
    max: *search::TEMPERATURE.end(),
    whole: false,
    zero_means: None,
    default: 1.0,
};

/// The try-it box's top-k (0 = every token).
pub const TOP_K: NumberSpec = NumberSpec {
    path: "page.top_k",
    min: 0.0,
    max: 1000.0,
    whole: true,
    zero_means: Some("all"),
    default: 0.0,
};

/// The try-it box's output length limit (0 = as long as the data suggests).
pub const MAX_OUTPUT: NumberSpec = NumberSpec {
    path: "page.max_output",
    min: 0.0,
    max: crate::train::translate::MAX_OUTPUT_TOKENS as f64,
    whole: true,
    zero_means: Some("auto"),
    default: 0.0,
};

/// The layer the heads plot shows (1 = bottom).
pub const HEADS_LAYER: NumberSpec = NumberSpec {
    path: "page.heads_layer",
    min: 1.0,
    max: *limits::LAYERS.end() as f64,
    whole: true,
    zero_means: None,
    default: 1.0,
};

/// The try-it box's sampling seed.
pub const SAMPLE_SEED: NumberSpec = NumberSpec {
    path: "page.sample_seed",
    min: 0.0,
    max: u32::MAX as f64,
    whole: true,
    zero_means: None,
    default: 0.0,
};

/// A choice's options from its enum: names from its serialisation, labels from its messages.
fn choice<T>(path: &'static str, default: T) -> ChoiceSpec
where
    T: VariantArray + EnumMessage + Copy + Into<&'static str>,
{
    choice_leaving_unused(path, default, |_| &[])
}

/// A choice whose options may leave some settings unused (`unused(option)`).
fn choice_leaving_unused<T>(
    path: &'static str,
    default: T,
    unused: fn(T) -> &'static [&'static str],
) -> ChoiceSpec
where
    T: VariantArray + EnumMessage + Copy + Into<&'static str>,
{
    let options = T::VARIANTS
        .iter()
        .map(|&v| ChoiceOption {
            value: v.into(),
            label: v.get_message().unwrap_or(v.into()),
            // (strum falls back to the message when there is no detailed one)
            hint: v
                .get_detailed_message()
                .filter(|d| Some(*d) != v.get_message()),
            unused: unused(v),
        })
        .collect();
    ChoiceSpec {
        path,
        default: default.into(),
        options,
    }
}

/// The whole table, with the defaults of [`RunConfig::default`].
pub fn control_specs() -> ControlSpecs {
    let defaults = RunConfig::default();
    let mut numbers: Vec<NumberSpec> = RUN_NUMBERS
        .iter()
        .filter(|f| f.path != "task.valid_fraction")
        .map(|f| NumberSpec {
            path: f.path,
            min: f.min,
            max: f.max,
            whole: f.whole,
            zero_means: f.zero_means,
            default: (f.read)(&defaults),
        })
        .collect();
    numbers.extend([
        STEPS_PER_UPDATE,
        PLOT_EVERY,
        LABEL_TOP,
        BEAM_WIDTH,
        ALPHA,
        TEMPERATURE,
        TOP_K,
        SAMPLE_SEED,
        MAX_OUTPUT,
        HEADS_LAYER,
    ]);
    let dataset = DatasetLimits::default();
    ControlSpecs {
        numbers,
        choices: vec![
            choice_leaving_unused("task.kind", defaults.task.kind, TaskKind::unused_settings),
            choice::<ModelKind>("model.kind", defaults.model.kind),
            choice::<CellKind>("model.cell", defaults.model.cell),
            choice::<AttentionKind>("model.attention", defaults.model.attention),
            choice::<InitKind>("model.init", defaults.model.init),
            choice::<NormPlacement>("model.norm", defaults.model.norm),
            choice::<PositionKind>("model.positions", defaults.model.positions),
            choice::<StrategyKind>("page.strategy", StrategyKind::Greedy),
            choice::<HeadsKind>("page.heads_kind", HeadsKind::default()),
            choice::<OptimizerKind>("train.optimizer", defaults.train.optimizer),
            choice::<ScheduleKind>("train.schedule", defaults.train.schedule),
        ],
        own_data: OwnDataSpec {
            max_pairs: dataset.max_pairs,
            max_line_chars: dataset.max_line_chars,
            max_mebibytes: dataset.max_bytes >> 20,
            min_pairs: MIN_PAIRS,
            max_vocab_tokens: MAX_TOKENS,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_within_its_range_and_whole_where_it_must_be() {
        for spec in control_specs().numbers {
            assert!(
                spec.default >= spec.min && spec.default <= spec.max,
                "{}: default {} outside {}..={}",
                spec.path,
                spec.default,
                spec.min,
                spec.max
            );
            if spec.whole {
                assert_eq!(spec.default.fract(), 0.0, "{}", spec.path);
            }
        }
    }

    #[test]
    fn choice_values_are_the_names_configs_use() {
        for spec in control_specs().choices {
            assert!(
                spec.options.iter().any(|o| o.value == spec.default),
                "{}",
                spec.path
            );
            if spec.path == "page.strategy" {
                // The page sends the chosen kind as the strategy's tag.
                for (option, fields) in spec.options.iter().zip([
                    "",
                    r#","width":3,"alpha":0.6"#,
                    r#","temperature":1.0,"top_k":0,"seed":1"#,
                ]) {
                    let json = format!(r#"{{"kind":"{}"{fields}}}"#, option.value);
                    assert!(
                        serde_json::from_str::<crate::train::Strategy>(&json).is_ok(),
                        "{json}"
                    );
                }
                continue;
            }
            if spec.path == "page.heads_kind" {
                // The page sends it in the plot options, which name it so.
                for option in &spec.options {
                    let json = format!(r#"{{"heads":{{"kind":"{}"}}}}"#, option.value);
                    assert!(
                        serde_json::from_str::<crate::viz::PlotOptions>(&json).is_ok(),
                        "{json}"
                    );
                }
                continue;
            }
            for option in &spec.options {
                // The value must parse back as a config field: build a config JSON with it.
                let (section, key) = spec.path.split_once('.').unwrap();
                let json = format!(r#"{{"{section}":{{"{key}":"{}"}}}}"#, option.value);
                assert!(
                    RunConfig::from_json(&json).is_ok(),
                    "{} = {} is not a config value",
                    spec.path,
                    option.value
                );
            }
        }
    }

    #[test]
    fn each_run_number_reads_its_own_field() {
        // Changing one field in the JSON changes what its reader reads, and only that one.
        let defaults = RunConfig::default();
        for field in RUN_NUMBERS {
            let (section, key) = field.path.split_once('.').unwrap();
            let json = format!(r#"{{"{section}":{{"{key}":{}}}}}"#, field.min);
            let config: RunConfig = serde_json::from_str(&json).unwrap();
            assert_eq!((field.read)(&config), field.min, "{}", field.path);
            for other in RUN_NUMBERS.iter().filter(|o| o.path != field.path) {
                assert_eq!(
                    (other.read)(&config),
                    (other.read)(&defaults),
                    "setting {} moved {}",
                    field.path,
                    other.path
                );
            }
        }
    }

    #[test]
    fn only_an_option_with_a_hint_of_its_own_has_one() {
        let specs = control_specs();
        let kinds = specs
            .choices
            .iter()
            .find(|c| c.path == "model.kind")
            .unwrap();
        let hints: Vec<_> = kinds.options.iter().map(|o| (o.value, o.hint)).collect();
        assert_eq!(hints[0], ("rnn", None));
        assert!(
            hints[1].1.unwrap().contains("learning rate 0.001"),
            "{hints:?}"
        );
    }

    #[test]
    fn tasks_that_make_their_own_lengths_leave_the_length_controls_unused() {
        let specs = control_specs();
        let tasks = specs
            .choices
            .iter()
            .find(|c| c.path == "task.kind")
            .unwrap();
        let numbers: Vec<&str> = specs.numbers.iter().map(|s| s.path).collect();
        for option in &tasks.options {
            let lengths_unused = option.unused == ["task.min_len", "task.max_len"];
            assert_eq!(
                lengths_unused,
                ["dates", "zh-en"].contains(&option.value),
                "{option:?}"
            );
            assert!(option.unused.iter().all(|path| numbers.contains(path)));
        }
        let addition = tasks
            .options
            .iter()
            .find(|o| o.value == "addition")
            .unwrap();
        assert!(addition.hint.unwrap().contains("digits of each number"));
        let json = serde_json::to_string(tasks).unwrap();
        assert!(
            json.contains(r#""unused":["task.min_len","task.max_len"]"#),
            "{json}"
        );
    }

    #[test]
    fn the_page_gets_every_run_number_but_the_validation_share() {
        let specs = control_specs();
        let paths: Vec<&str> = specs.numbers.iter().map(|s| s.path).collect();
        assert!(paths.contains(&"train.seed") && paths.contains(&"page.plot_every"));
        assert!(!paths.contains(&"task.valid_fraction"));
        assert_eq!(specs.numbers.len(), RUN_NUMBERS.len() - 1 + 10);
        let json = serde_json::to_string(&specs).unwrap();
        assert!(json.contains(r#""zero_means":"off""#), "{json}");
    }
}
