//! The fusion optimisation that takes each matrix product of a stream: small ones run as
//! [`small_matmul`](super::small_matmul), larger ones (and any the kernel cannot read) as burn
//! runs them unfused, CubeCL's tiled matmul.

use super::{MAX_MULTIPLY_ADDS, small_matmul};
use crate::model::fusion::{OneOperationFuser, readable, resolve};
use burn::backend::fusion::stream::Context;
use burn::backend::ir::{FloatOperationIr, MatmulOpIr, OperationIr, TensorIr};
use burn::tensor::DType;
use burn_cubecl::fusion::{
    CubeFuser, CubeFusionHandle, CubeOptimization, FallbackOperation, FusedOperation,
    OptimizationProvider,
};
use burn_cubecl::{CubeBackend, CubeDevice};

/// The name of burn's own matmul optimisation, which this one replaces.
pub const BUILTIN_MATMUL: &str = "Matmul";

/// Registers the small-product optimisation with burn's fusion.
pub struct SmallMatmulProvider;

impl OptimizationProvider for SmallMatmulProvider {
    type Operation = SmallMatmul;

    fn fuser(&self, _device: &CubeDevice) -> CubeFuser {
        CubeFuser::new(OneOperationFuser::new(pick, |product| {
            CubeOptimization::new(SmallMatmul { product })
        }))
    }
}

/// A float matrix product.
fn pick(operation: &OperationIr) -> Option<MatmulOpIr> {
    match operation {
        OperationIr::Float(DType::F32, FloatOperationIr::Matmul(product)) => Some(product.clone()),
        _ => None,
    }
}

/// One matrix product, as recorded in the stream (relative tensor ids).
pub struct SmallMatmul {
    product: MatmulOpIr,
}

impl SmallMatmul {
    /// The product's tensors as they are at run time.
    fn resolve(&self, context: &Context<CubeFusionHandle>) -> Option<[TensorIr; 3]> {
        Some([
            resolve(context, &self.product.lhs)?,
            resolve(context, &self.product.rhs)?,
            resolve(context, &self.product.out)?,
        ])
    }

    /// Whether the small kernel takes this product: not empty, small enough, float operands in
    /// rows.
    fn fits(context: &Context<CubeFusionHandle>, [lhs, rhs, out]: &[TensorIr; 3]) -> bool {
        let inner = match lhs.shape.num_dims() {
            0 => 0,
            rank => lhs.shape[rank - 1],
        };
        out.shape.num_dims() >= 2
            && out.shape.num_elements() > 0
            && out.shape.num_elements() * inner <= MAX_MULTIPLY_ADDS
            && readable(context, lhs)
            && readable(context, rhs)
    }
}

impl FusedOperation for SmallMatmul {
    const NAME: &'static str = "SmallMatmul";
    type State = MatmulOpIr;

    fn num_ops_fused(&self) -> usize {
        1
    }

    fn run(
        &mut self,
        context: &mut Context<CubeFusionHandle>,
        fallback: &dyn Fn(usize) -> Box<dyn FallbackOperation>,
    ) {
        match self.resolve(context) {
            Some(tensors) if Self::fits(context, &tensors) => {
                let [lhs, rhs, out] = tensors;
                let lhs = context.handles.get_float_tensor::<CubeBackend>(&lhs);
                let rhs = context.handles.get_float_tensor::<CubeBackend>(&rhs);
                let product = small_matmul(lhs, rhs, out.shape.clone());
                context
                    .handles
                    .register_float_tensor::<CubeBackend>(&out.id, product);
            }
            _ => fallback(0).run(context),
        }
    }

    fn to_state(&self) -> MatmulOpIr {
        self.product.clone()
    }

    fn from_state(_device: &cubecl::Device, product: MatmulOpIr) -> Self {
        Self { product }
    }
}
