//! Adam, with its state in the open: the same update as burn's `Adam` (same defaults, same
//! order of operations), but its moments are plain tensors this crate can read back with
//! asynchronous reads (burn's optimiser record reads synchronously, which WebGPU in a page
//! cannot), copy onto another device, and save in a checkpoint. That is what lets a run move
//! between backends or resume from a file without restarting Adam.

use super::tensors::DeviceError;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::{TensorData, Transaction};
use std::collections::HashMap;

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

/// One parameter's moments, flattened to `[numel]`.
#[derive(Debug, Clone)]
pub struct Moments {
    /// Updates this parameter has had.
    pub time: u32,
    /// First moment (mean of gradients).
    pub first: Tensor<1>,
    /// Second moment (mean of squared gradients).
    pub second: Tensor<1>,
}

/// Adam over a module's parameters, keyed by parameter id.
#[derive(Debug, Clone, Default)]
pub struct Adam {
    settings: AdamSettings,
    moments: HashMap<ParamId, Moments>,
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
            moments: HashMap::new(),
        }
    }

    /// Updates every parameter of `module` that has a gradient in `grads`.
    pub fn step<M: Module>(&mut self, learning_rate: f64, module: M, grads: GradientsParams) -> M {
        module.map(&mut Update {
            adam: self,
            grads,
            learning_rate,
        })
    }

    /// Reads the moments back (one asynchronous read), in `module`'s visiting order.
    pub async fn state<M: Module>(&self, module: &M) -> Result<AdamState, DeviceError> {
        let ids: Vec<ParamId> = ParamSizes::of(module)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut transaction = Transaction::default();
        for id in &ids {
            if let Some(moments) = self.moments.get(id) {
                transaction = transaction
                    .register(moments.first.clone())
                    .register(moments.second.clone());
            }
        }
        let mut values = transaction
            .execute_async()
            .await
            .map_err(DeviceError::from_display)?
            .into_iter()
            .map(|data: TensorData| data.iter::<f32>().collect::<Vec<f32>>());
        let parameters = ids
            .iter()
            .map(|id| {
                self.moments.get(id).map(|moments| {
                    let first = values.next().unwrap_or_default();
                    let second = values.next().unwrap_or_default();
                    SavedMoments {
                        time: moments.time,
                        first,
                        second,
                    }
                })
            })
            .collect();
        Ok(AdamState { parameters })
    }

    /// An optimiser holding `state` for `module`'s parameters (same visiting order), on
    /// `device` (the moments live beside the gradients, off the autodiff graph). Fails when the
    /// state does not fit the module.
    pub fn from_state<M: Module>(
        settings: AdamSettings,
        module: &M,
        state: &AdamState,
        device: &Device,
    ) -> Result<Self, String> {
        let sizes = ParamSizes::of(module);
        if sizes.len() != state.parameters.len() {
            return Err(format!(
                "optimiser state for {} parameters, the model has {}",
                state.parameters.len(),
                sizes.len()
            ));
        }
        let device = device.clone().inner();
        let mut moments = HashMap::new();
        for ((id, size), saved) in sizes.into_iter().zip(&state.parameters) {
            let Some(SavedMoments {
                time,
                first,
                second,
            }) = saved
            else {
                continue;
            };
            if first.len() != size || second.len() != size {
                return Err(format!(
                    "optimiser state of {} values for a parameter of {size}",
                    first.len()
                ));
            }
            let tensor = |values: &Vec<f32>| {
                Tensor::<1>::from_data(TensorData::new(values.clone(), [size]), &device)
            };
            moments.insert(
                id,
                Moments {
                    time: *time,
                    first: tensor(first),
                    second: tensor(second),
                },
            );
        }
        Ok(Self { settings, moments })
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

struct Update<'a> {
    adam: &'a mut Adam,
    grads: GradientsParams,
    learning_rate: f64,
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let shape = tensor.shape();
        let size = shape.num_elements();
        let grad = grad.reshape([size]);
        let AdamSettings {
            beta_1,
            beta_2,
            epsilon,
        } = self.adam.settings;
        // As burn's `AdaptiveMomentum::transform`, operation for operation.
        let moments = match self.adam.moments.remove(&id) {
            Some(previous) => Moments {
                time: previous.time + 1,
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
        let delta = direction.mul_scalar(self.learning_rate).reshape(shape);
        self.adam.moments.insert(id, moments);
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
