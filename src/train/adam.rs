//! Adam, with its state in the open: the same update as burn's `Adam` (same defaults, same
//! order of operations), but its moments are plain tensors this crate can read back with
//! asynchronous reads (burn's optimiser record reads synchronously, which WebGPU in a page
//! cannot), copy onto another device, and save in a checkpoint. That is what lets a run move
//! between backends or resume from a file without restarting Adam.
//!
//! All parameters are updated as one flat vector: the gradients are concatenated in the
//! module's visiting order, clipped by their global norm, and Adam's arithmetic runs once over
//! the whole vector (element for element the same operations as per parameter). On a GPU that
//! is a few kernels a step where a per-parameter update launched a dozen per parameter (burn's
//! fusion left those repeated small updates unfused; see README, "Kernel launches per step").

use super::clipping::clip_by_global_norm;
use super::optimizer::{OptimizerKind, UpdateRule};
use super::tensors::DeviceError;
use crate::model::Stretches;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::{TensorData, Transaction};

/// Adam's constants (burn's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamSettings {
    /// Decay of the first moment.
    pub beta_1: f32,
    /// Decay of the second moment.
    pub beta_2: f32,
    /// Added to the root of the second moment.
    pub epsilon: f32,
}

impl Default for AdamSettings {
    fn default() -> Self {
        Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-5,
        }
    }
}

/// The moments of every parameter, concatenated in the module's visiting order.
#[derive(Debug, Clone)]
struct Moments {
    /// Updates so far (every parameter is updated at every step).
    time: u32,
    /// The optimiser they belong to (Adam and AdamW share theirs).
    kind: OptimizerKind,
    /// Which parameter each stretch of the vectors belongs to, and its length.
    layout: Vec<(ParamId, usize)>,
    /// First moment (mean of gradients) `[total]`.
    first: Tensor<1>,
    /// Second moment (mean of squared gradients) `[total]`.
    second: Tensor<1>,
}

/// Adam over a module's parameters.
#[derive(Debug, Clone, Default)]
pub struct Adam {
    settings: AdamSettings,
    moments: Option<Moments>,
}

/// Adam's state as plain numbers, parameter by parameter in the module's visiting order:
/// `None` for a parameter that has had no update yet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdamState {
    /// Each parameter's moments.
    pub parameters: Vec<Option<SavedMoments>>,
}

/// One parameter's moments as plain numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedMoments {
    /// Updates this parameter has had.
    pub time: u32,
    /// First moment, flattened.
    pub first: Vec<f32>,
    /// Second moment, flattened.
    pub second: Vec<f32>,
}

impl AdamState {
    /// Little-endian bytes: parameter count (u32), then per parameter a presence byte and, when
    /// present, time (u32), length (u32), first and second moments (f32 each).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(self.parameters.len() as u32).to_le_bytes());
        for parameter in &self.parameters {
            match parameter {
                None => bytes.push(0),
                Some(SavedMoments {
                    time,
                    first,
                    second,
                }) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&time.to_le_bytes());
                    bytes.extend_from_slice(&(first.len() as u32).to_le_bytes());
                    for value in first.iter().chain(second) {
                        bytes.extend_from_slice(&value.to_le_bytes());
                    }
                }
            }
        }
        bytes
    }

    /// Parses [`to_bytes`](Self::to_bytes); says what is wrong with damaged bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut rest = bytes;
        let mut take = |n: usize| -> Result<&[u8], String> {
            if rest.len() < n {
                return Err("optimiser state cut short".into());
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let u32_at = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        let count = u32_at(take(4)?) as usize;
        let mut parameters = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            match take(1)?[0] {
                0 => parameters.push(None),
                1 => {
                    let time = u32_at(take(4)?);
                    let len = u32_at(take(4)?) as usize;
                    let values: Vec<f32> = take(len.checked_mul(8).ok_or("too large")?)?
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                        .collect();
                    let (first, second) = values.split_at(len);
                    parameters.push(Some(SavedMoments {
                        time,
                        first: first.to_vec(),
                        second: second.to_vec(),
                    }));
                }
                other => return Err(format!("bad optimiser state marker {other}")),
            }
        }
        if !rest.is_empty() {
            return Err(format!("{} bytes after the optimiser state", rest.len()));
        }
        Ok(Self { parameters })
    }
}

impl Adam {
    /// A fresh optimiser (no moments yet).
    pub fn new(settings: AdamSettings) -> Self {
        Self {
            settings,
            moments: None,
        }
    }

    /// Updates every parameter of `module` with Adam (a parameter without a gradient in `grads`
    /// counts as a zero gradient).
    pub fn step<M: Module>(&mut self, learning_rate: f64, module: M, grads: GradientsParams) -> M {
        self.step_clipped(UpdateRule::adam(learning_rate), module, grads, 0.0)
            .0
    }

    /// Clips the gradients to a global L2 norm of at most `max_norm` (no clipping when 0), then
    /// updates every parameter as `rule` says. Returns the module and the norm before clipping
    /// (`None` for a module without parameters). The moments start afresh when the optimiser
    /// changes (SGD keeps its velocity in the first moment).
    pub fn step_clipped<M: Module>(
        &mut self,
        rule: UpdateRule,
        module: M,
        mut grads: GradientsParams,
        max_norm: f64,
    ) -> (M, Option<Tensor<1>>) {
        let layout = ParamSizes::of(&module);
        let mut flatten = Flatten {
            grads: &mut grads,
            pieces: Vec::with_capacity(layout.len()),
            weights: Vec::with_capacity(layout.len()),
        };
        module.visit(&mut flatten);
        if flatten.pieces.is_empty() {
            return (module, None);
        }
        let (grad, norm) = clip_by_global_norm(Tensor::cat(flatten.pieces, 0), max_norm);
        let weights = Tensor::cat(flatten.weights, 0);
        let decay = rule.weight_decay as f32;
        // L2 (Adam, SGD): the decay joins the clipped gradient, as burn's optimisers add it.
        let grad = match rule.optimizer {
            OptimizerKind::Adam | OptimizerKind::Sgd if rule.weight_decay > 0.0 => {
                grad + weights.clone().mul_scalar(decay)
            }
            _ => grad,
        };
        let previous = self
            .moments
            .take()
            .filter(|m| m.layout == layout && m.kind == rule.optimizer.moments());
        let (moments, direction) = match rule.optimizer {
            OptimizerKind::Adam | OptimizerKind::AdamW => self.adam(previous, layout, grad),
            OptimizerKind::Sgd => {
                let momentum = rule.momentum as f32;
                let velocity = match &previous {
                    Some(previous) => previous.first.clone().mul_scalar(momentum).add(grad),
                    None => grad,
                };
                let moments = Moments {
                    time: previous.as_ref().map_or(0, |p| p.time) + 1,
                    kind: OptimizerKind::Sgd,
                    layout,
                    second: previous.map_or_else(|| velocity.zeros_like(), |p| p.second),
                    first: velocity.clone(),
                };
                (moments, velocity)
            }
        };
        let mut delta = direction.mul_scalar(rule.learning_rate);
        if rule.optimizer == OptimizerKind::AdamW && rule.weight_decay > 0.0 {
            // AdamW: the decay comes off the weights themselves, outside Adam's scaling.
            delta = delta
                + weights
                    .clone()
                    .mul_scalar(rule.learning_rate * rule.weight_decay);
        }
        self.moments = Some(moments);
        // Each parameter less its stretch of the update, computed for all at once: the new
        // parameters are views into one flat vector (element for element the same subtraction
        // as per parameter, where a GPU launched one kernel per parameter).
        let updated = weights - delta;
        let module = module.map(&mut Unflatten {
            updated: Stretches::new(updated),
        });
        (module, Some(norm))
    }

    /// Adam's moments after `grad`, and its direction (before the learning rate), as burn's
    /// `AdaptiveMomentum::transform`, operation for operation.
    fn adam(
        &self,
        previous: Option<Moments>,
        layout: Vec<(ParamId, usize)>,
        grad: Tensor<1>,
    ) -> (Moments, Tensor<1>) {
        let AdamSettings {
            beta_1,
            beta_2,
            epsilon,
        } = self.settings;
        let kind = OptimizerKind::Adam;
        let moments = match previous {
            Some(previous) => Moments {
                time: previous.time + 1,
                kind,
                layout,
                first: previous
                    .first
                    .mul_scalar(beta_1)
                    .add(grad.clone().mul_scalar(1.0 - beta_1)),
                second: previous
                    .second
                    .mul_scalar(beta_2)
                    .add(grad.square().mul_scalar(1.0 - beta_2)),
            },
            None => Moments {
                time: 1,
                kind,
                layout,
                first: grad.clone().mul_scalar(1.0 - beta_1),
                second: grad.square().mul_scalar(1.0 - beta_2),
            },
        };
        let time = moments.time as i32;
        let bias_correction2_sqrt = (1.0 - beta_2.powi(time)).sqrt();
        let combined_factor = bias_correction2_sqrt / (1.0 - beta_1.powi(time));
        let direction = moments.first.clone().mul_scalar(combined_factor).div(
            moments
                .second
                .clone()
                .sqrt()
                .add_scalar(epsilon * bias_correction2_sqrt),
        );
        (moments, direction)
    }

    /// Reads the moments back (one asynchronous read), in `module`'s visiting order.
    pub async fn state<M: Module>(&self, module: &M) -> Result<AdamState, DeviceError> {
        let layout = ParamSizes::of(module);
        let Some(moments) = self.moments.as_ref().filter(|m| m.layout == layout) else {
            return Ok(AdamState {
                parameters: vec![None; layout.len()],
            });
        };
        let values = Transaction::default()
            .register(moments.first.clone())
            .register(moments.second.clone())
            .execute_async()
            .await
            .map_err(DeviceError::from_display)?;
        let [first, second]: [Vec<f32>; 2] = values
            .into_iter()
            .map(|data: TensorData| data.iter::<f32>().collect())
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| DeviceError::from_display("the moments did not come back"))?;
        let mut offset = 0;
        let parameters = layout
            .iter()
            .map(|&(_, size)| {
                let range = offset..offset + size;
                offset += size;
                Some(SavedMoments {
                    time: moments.time,
                    first: first[range.clone()].to_vec(),
                    second: second[range].to_vec(),
                })
            })
            .collect();
        Ok(AdamState { parameters })
    }

    /// An optimiser that continues from `state` (read from another optimiser of the same model
    /// with [`state`](Self::state)) for `module` on `device`. Refuses a state that does not fit
    /// the module, or whose parameters are at different steps.
    pub fn from_state<M: Module>(
        settings: AdamSettings,
        kind: OptimizerKind,
        module: &M,
        state: &AdamState,
        device: &Device,
    ) -> Result<Self, String> {
        let layout = ParamSizes::of(module);
        if layout.len() != state.parameters.len() {
            return Err(format!(
                "optimiser state for {} parameters, the model has {}",
                state.parameters.len(),
                layout.len()
            ));
        }
        if state.parameters.iter().all(Option::is_none) {
            return Ok(Self::new(settings));
        }
        let (mut first, mut second, mut time) = (vec![], vec![], None);
        for ((_, size), saved) in layout.iter().zip(&state.parameters) {
            let Some(saved) = saved else {
                return Err("optimiser state for some parameters only".into());
            };
            if saved.first.len() != *size || saved.second.len() != *size {
                return Err(format!(
                    "optimiser state of {} values for a parameter of {size}",
                    saved.first.len()
                ));
            }
            if *time.get_or_insert(saved.time) != saved.time {
                return Err("optimiser state with parameters at different steps".into());
            }
            first.extend_from_slice(&saved.first);
            second.extend_from_slice(&saved.second);
        }
        let device = device.clone().inner();
        let total = first.len();
        let tensor =
            |values: Vec<f32>| Tensor::<1>::from_data(TensorData::new(values, [total]), &device);
        Ok(Self {
            settings,
            moments: Some(Moments {
                time: time.unwrap_or(0),
                kind: kind.moments(),
                layout,
                first: tensor(first),
                second: tensor(second),
            }),
        })
    }
}

/// The ids and element counts of a module's float parameters, in visiting order.
#[derive(Default)]
struct ParamSizes(Vec<(ParamId, usize)>);

impl ParamSizes {
    fn of<M: Module>(module: &M) -> Vec<(ParamId, usize)> {
        let mut sizes = Self::default();
        module.visit(&mut sizes);
        sizes.0
    }
}

impl ModuleVisitor for ParamSizes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push((param.id, param.shape().num_elements()));
    }
}

/// Takes a module's gradients out of `grads` as flat pieces, in visiting order, with its
/// weights, flat.
struct Flatten<'a> {
    grads: &'a mut GradientsParams,
    pieces: Vec<Tensor<1>>,
    weights: Vec<Tensor<1>>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let size = param.shape().num_elements();
        let grad = match self.grads.remove::<D>(param.id) {
            Some(grad) => grad.reshape([size]),
            None => param.val().inner().zeros_like().reshape([size]),
        };
        self.pieces.push(grad);
        self.weights.push(param.val().inner().reshape([size]));
    }
}

/// Gives each parameter its stretch of the flat updated parameters (a view).
struct Unflatten {
    updated: Stretches,
}

impl ModuleMapper for Unflatten {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let mut updated = Tensor::from_inner(self.updated.next(tensor.dims()));
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::AdamConfig;

    #[derive(Module, Debug)]
    struct Tiny {
        a: Linear,
        b: Linear,
    }

    fn loss(model: &Tiny, device: &Device) -> Tensor<1> {
        let x = Tensor::<2>::from_data(
            TensorData::new((0..12).map(|i| i as f32 / 7.0 - 0.6).collect(), [3, 4]),
            device,
        );
        model.b.forward(model.a.forward(x).tanh()).square().mean()
    }

    #[test]
    fn same_updates_as_burns_adam() {
        let device = Device::flex().autodiff();
        let model = Tiny {
            a: LinearConfig::new(4, 5).init(&device),
            b: LinearConfig::new(5, 2).init(&device),
        };
        let (mut ours, mut theirs) = (model.clone(), model);
        let mut adam = Adam::new(AdamSettings::default());
        let mut burns = AdamConfig::new().init();
        for _ in 0..5 {
            let grads = GradientsParams::from_grads(loss(&ours, &device).backward(), &ours);
            ours = adam.step(0.01, ours, grads);
            let grads = GradientsParams::from_grads(loss(&theirs, &device).backward(), &theirs);
            theirs = burns.step(0.01, theirs, grads);
        }
        let ours = ours.a.weight.val().into_data();
        let theirs = theirs.a.weight.val().into_data();
        assert_eq!(ours, theirs, "bit for bit the same weights after 5 steps");
    }

    #[test]
    fn state_round_trips_onto_a_fresh_optimiser() {
        let device = Device::flex().autodiff();
        let mut model = Tiny {
            a: LinearConfig::new(4, 5).init(&device),
            b: LinearConfig::new(5, 2).init(&device),
        };
        let mut adam = Adam::new(AdamSettings::default());
        for _ in 0..3 {
            let grads = GradientsParams::from_grads(loss(&model, &device).backward(), &model);
            model = adam.step(0.01, model, grads);
        }
        let state = pollster::block_on(adam.state(&model)).unwrap();
        assert_eq!(state.parameters.len(), 4);
        assert_eq!(AdamState::from_bytes(&state.to_bytes()).unwrap(), state);
        assert!(AdamState::from_bytes(&state.to_bytes()[..20]).is_err());
        assert!(
            state
                .parameters
                .iter()
                .all(|p| p.as_ref().unwrap().time == 3)
        );
        let mut copy = Adam::from_state(
            AdamSettings::default(),
            OptimizerKind::Adam,
            &model,
            &state,
            &device,
        )
        .unwrap();
        let (mut a, mut b) = (model.clone(), model);
        for _ in 0..2 {
            let grads = GradientsParams::from_grads(loss(&a, &device).backward(), &a);
            a = adam.step(0.01, a, grads);
            let grads = GradientsParams::from_grads(loss(&b, &device).backward(), &b);
            b = copy.step(0.01, b, grads);
        }
        assert_eq!(a.b.weight.val().into_data(), b.b.weight.val().into_data());
    }

    fn tiny(device: &Device) -> Tiny {
        Tiny {
            a: LinearConfig::new(4, 5).init(device),
            b: LinearConfig::new(5, 2).init(device),
        }
    }

    fn values(model: &Tiny) -> Vec<f32> {
        [model.a.weight.val(), model.b.weight.val()]
            .into_iter()
            .flat_map(|w| w.into_data().iter::<f32>().collect::<Vec<_>>())
            .collect()
    }

    fn assert_close(a: &[f32], b: &[f32], what: &str) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-6 * x.abs().max(1.0),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    /// Steps `model` `steps` times with `rule` through our optimiser.
    fn ours(model: Tiny, rule: UpdateRule, steps: usize, device: &Device) -> Tiny {
        let mut optimiser = Adam::new(AdamSettings::default());
        let mut model = model;
        for _ in 0..steps {
            let grads = GradientsParams::from_grads(loss(&model, device).backward(), &model);
            model = optimiser.step_clipped(rule, model, grads, 0.0).0;
        }
        model
    }

    #[test]
    fn adamw_differs_from_adam_only_by_the_decoupled_decay() {
        let device = Device::flex().autodiff();
        let model = tiny(&device);
        let (lr, wd) = (0.01, 0.1);
        let rule = |optimizer, weight_decay| UpdateRule {
            learning_rate: lr,
            optimizer,
            weight_decay,
            momentum: 0.0,
        };
        // Without decay AdamW is Adam, bit for bit.
        let adam = ours(model.clone(), rule(OptimizerKind::Adam, 0.0), 1, &device);
        let adamw_no_decay = ours(model.clone(), rule(OptimizerKind::AdamW, 0.0), 1, &device);
        assert_eq!(values(&adam), values(&adamw_no_decay));
        // With decay, one step of AdamW is Adam's step less lr * wd * the weights before it.
        let adamw = ours(model.clone(), rule(OptimizerKind::AdamW, wd), 1, &device);
        let expected: Vec<f32> = values(&adam)
            .iter()
            .zip(values(&model))
            .map(|(a, w0)| a - (lr * wd) as f32 * w0)
            .collect();
        assert_close(&values(&adamw), &expected, "AdamW");
        // And it is burn's AdamW (same constants) over several steps.
        let mut burns = burn::optim::AdamWConfig::new()
            .with_epsilon(AdamSettings::default().epsilon)
            .with_weight_decay(wd as f32)
            .init();
        let mut theirs = model.clone();
        for _ in 0..4 {
            let grads = GradientsParams::from_grads(loss(&theirs, &device).backward(), &theirs);
            theirs = burns.step(lr, theirs, grads);
        }
        let four = ours(model, rule(OptimizerKind::AdamW, wd), 4, &device);
        assert_close(&values(&four), &values(&theirs), "AdamW against burn's");
    }

    /// Steps `model` `steps` times with one of burn's optimisers.
    fn burns(
        mut optimiser: burn::optim::ModuleOptimizer,
        mut model: Tiny,
        lr: f64,
        steps: usize,
        device: &Device,
    ) -> Tiny {
        for _ in 0..steps {
            let grads = GradientsParams::from_grads(loss(&model, device).backward(), &model);
            model = optimiser.step(lr, model, grads);
        }
        model
    }

    #[test]
    fn adams_weight_decay_and_sgd_with_momentum_match_burns() {
        use burn::optim::SgdConfig;
        use burn::optim::decay::WeightDecayConfig;
        use burn::optim::momentum::MomentumConfig;
        let device = Device::flex().autodiff();
        let model = tiny(&device);
        let (lr, wd) = (0.05, 0.01);
        let rule = |optimizer, momentum| UpdateRule {
            learning_rate: lr,
            optimizer,
            weight_decay: wd,
            momentum,
        };
        let adam = AdamConfig::new()
            .with_weight_decay(Some(WeightDecayConfig::new(wd as f32)))
            .init();
        assert_close(
            &values(&ours(
                model.clone(),
                rule(OptimizerKind::Adam, 0.0),
                4,
                &device,
            )),
            &values(&burns(adam, model.clone(), lr, 4, &device)),
            "Adam with weight decay",
        );
        let sgd = SgdConfig::new()
            .with_weight_decay(Some(WeightDecayConfig::new(wd as f32)))
            .with_momentum(Some(
                MomentumConfig::new().with_momentum(0.9).with_dampening(0.0),
            ))
            .init();
        assert_close(
            &values(&ours(
                model.clone(),
                rule(OptimizerKind::Sgd, 0.9),
                4,
                &device,
            )),
            &values(&burns(sgd, model, lr, 4, &device)),
            "SGD with momentum",
        );
    }
}
