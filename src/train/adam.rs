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
use super::tensors::DeviceError;
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

    /// Updates every parameter of `module` (a parameter without a gradient in `grads` counts as a
    /// zero gradient).
    pub fn step<M: Module>(&mut self, learning_rate: f64, module: M, grads: GradientsParams) -> M {
        self.step_clipped(learning_rate, module, grads, 0.0).0
    }

    /// Clips the gradients to a global L2 norm of at most `max_norm` (no clipping when 0), then
    /// updates every parameter. Returns the module and the norm before clipping (`None` for a
    /// module without parameters).
    pub fn step_clipped<M: Module>(
        &mut self,
        learning_rate: f64,
        module: M,
        mut grads: GradientsParams,
        max_norm: f64,
    ) -> (M, Option<Tensor<1>>) {
        let layout = ParamSizes::of(&module);
        let mut flatten = Flatten {
            grads: &mut grads,
            pieces: Vec::with_capacity(layout.len()),
        };
        module.visit(&mut flatten);
        if flatten.pieces.is_empty() {
            return (module, None);
        }
        let (grad, norm) = clip_by_global_norm(Tensor::cat(flatten.pieces, 0), max_norm);
        let AdamSettings {
            beta_1,
            beta_2,
            epsilon,
        } = self.settings;
        // As burn's `AdaptiveMomentum::transform`, operation for operation.
        let moments = match self.moments.take() {
            Some(previous) if previous.layout == layout => Moments {
                time: previous.time + 1,
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
            _ => Moments {
                time: 1,
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
        let delta = direction.mul_scalar(learning_rate);
        self.moments = Some(moments);
        let module = module.map(&mut Apply { delta, offset: 0 });
        (module, Some(norm))
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

/// Takes a module's gradients out of `grads` as flat pieces, in visiting order.
struct Flatten<'a> {
    grads: &'a mut GradientsParams,
    pieces: Vec<Tensor<1>>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let size = param.shape().num_elements();
        let grad = match self.grads.remove::<D>(param.id) {
            Some(grad) => grad.reshape([size]),
            None => param.val().inner().zeros_like().reshape([size]),
        };
        self.pieces.push(grad);
    }
}

/// Subtracts each parameter's stretch of the flat update from it.
struct Apply {
    delta: Tensor<1>,
    offset: usize,
}

impl ModuleMapper for Apply {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let shape = tensor.shape();
        let size = shape.num_elements();
        let delta = self
            .delta
            .clone()
            .narrow(0, self.offset, size)
            .reshape(shape);
        self.offset += size;
        let mut updated = Tensor::from_inner(tensor.inner() - delta);
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
        let mut copy = Adam::from_state(AdamSettings::default(), &model, &state, &device).unwrap();
        let (mut a, mut b) = (model.clone(), model);
        for _ in 0..2 {
            let grads = GradientsParams::from_grads(loss(&a, &device).backward(), &a);
            a = adam.step(0.01, a, grads);
            let grads = GradientsParams::from_grads(loss(&b, &device).backward(), &b);
            b = copy.step(0.01, b, grads);
        }
        assert_eq!(a.b.weight.val().into_data(), b.b.weight.val().into_data());
    }
}
