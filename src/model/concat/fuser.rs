//! The fusion optimisation that takes each float `cat` burn's element-wise fusion left unfused
//! and runs it as [`concat`](super::concat).

use super::concat;
use crate::model::fusion::{OneOperationFuser, readable, resolve};
use burn::backend::fusion::stream::Context;
use burn::backend::ir::{BaseOperationIr, CatOpIr, OperationIr, TensorIr};
use burn::tensor::DType;
use burn_cubecl::fusion::{
    CubeFuser, CubeFusionHandle, CubeOptimization, FallbackOperation, FusedOperation,
    OptimizationProvider,
};
use burn_cubecl::{CubeBackend, CubeDevice};

/// Registers the concatenation optimisation with burn's fusion.
pub struct ConcatProvider;

impl OptimizationProvider for ConcatProvider {
    type Operation = Concat;

    fn fuser(&self, _device: &CubeDevice) -> CubeFuser {
        CubeFuser::new(OneOperationFuser::new(pick, |cat| {
            CubeOptimization::new(Concat { cat })
        }))
    }
}

/// A float concatenation.
fn pick(operation: &OperationIr) -> Option<CatOpIr> {
    match operation {
        OperationIr::BaseFloat(BaseOperationIr::Cat(cat)) if cat.out.dtype == DType::F32 => {
            Some(cat.clone())
        }
        _ => None,
    }
}

/// One concatenation, as recorded in the stream (relative tensor ids).
pub struct Concat {
    cat: CatOpIr,
}

impl Concat {
    /// The inputs as they are at run time, when the kernel can read them all: float tensors,
    /// none named twice (a shader may not bind one buffer twice where it could write it).
    fn inputs(&self, context: &Context<CubeFusionHandle>) -> Option<Vec<TensorIr>> {
        let inputs = self
            .cat
            .tensors
            .iter()
            .map(|tensor| resolve(context, tensor).filter(|t| readable(context, t)))
            .collect::<Option<Vec<_>>>()?;
        let mut ids: Vec<_> = inputs.iter().map(|tensor| tensor.id).collect();
        ids.sort_unstable();
        ids.dedup();
        (ids.len() == inputs.len() && !inputs.is_empty()).then_some(inputs)
    }
}

impl FusedOperation for Concat {
    const NAME: &'static str = "Concat";
    type State = CatOpIr;

    fn num_ops_fused(&self) -> usize {
        1
    }

    fn run(
        &mut self,
        context: &mut Context<CubeFusionHandle>,
        fallback: &dyn Fn(usize) -> Box<dyn FallbackOperation>,
    ) {
        match (self.inputs(context), resolve(context, &self.cat.out)) {
            (Some(inputs), Some(out)) => {
                let inputs = inputs
                    .iter()
                    .map(|input| context.handles.get_float_tensor::<CubeBackend>(input))
                    .collect();
                let joined = concat(inputs, self.cat.dim);
                context
                    .handles
                    .register_float_tensor::<CubeBackend>(&out.id, joined);
            }
            _ => fallback(0).run(context),
        }
    }

    fn to_state(&self) -> CatOpIr {
        self.cat.clone()
    }

    fn from_state(_device: &cubecl::Device, cat: CatOpIr) -> Self {
        Self { cat }
    }
}
