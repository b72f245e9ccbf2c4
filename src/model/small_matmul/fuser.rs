//! The fusion optimisation that takes each matrix product of a stream: small ones run as
//! [`small_matmul`](super::small_matmul), larger ones (and any the kernel cannot read) as burn
//! runs them unfused, CubeCL's tiled matmul.

use super::{MAX_MULTIPLY_ADDS, small_matmul};
use burn::backend::fusion::stream::Context;
use burn::backend::fusion::{FuserProperties, FuserStatus, OperationFuser};
use burn::backend::ir::{FloatOperationIr, MatmulOpIr, OperationIr, TensorIr};
use burn::tensor::DType;
use burn_cubecl::fusion::{
    CubeFuser, CubeFusionHandle, CubeOptimization, FallbackOperation, FusedOperation,
    OptimizationProvider,
};
use burn_cubecl::{CubeBackend, CubeDevice};

/// The name of burn's own matmul optimisation, which this one replaces.
pub const BUILTIN_MATMUL: &str = "Matmul";

/// Registers [`SmallMatmulFuser`] with burn's fusion.
pub struct SmallMatmulProvider;

impl OptimizationProvider for SmallMatmulProvider {
    type Operation = SmallMatmul;

    fn fuser(&self, _device: &CubeDevice) -> CubeFuser {
        CubeFuser::new(SmallMatmulFuser::default())
    }
}

/// Takes a stream segment that starts with a float matrix product: that one operation.
#[derive(Clone, Default)]
pub struct SmallMatmulFuser {
    product: Option<MatmulOpIr>,
    closed: bool,
}

impl OperationFuser<CubeOptimization> for SmallMatmulFuser {
    fn fuse(&mut self, operation: &OperationIr) {
        if self.closed {
            return;
        }
        if let OperationIr::Float(DType::F32, FloatOperationIr::Matmul(product)) = operation {
            self.product = Some(product.clone());
        }
        self.closed = true;
    }

    fn finish(&mut self) -> CubeOptimization {
        let product = self
            .product
            .clone()
            .expect("finish is only called on a ready fuser, which holds a product");
        CubeOptimization::new(SmallMatmul { product })
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn status(&self) -> FuserStatus {
        if self.closed {
            FuserStatus::Closed
        } else {
            FuserStatus::Open
        }
    }

    fn properties(&self) -> FuserProperties {
        FuserProperties {
            score: u64::from(self.product.is_some()),
            ready: self.product.is_some(),
        }
    }

    fn len(&self) -> usize {
        usize::from(self.product.is_some())
    }

    fn clone_dyn(&self) -> Box<dyn OperationFuser<CubeOptimization>> {
        Box::new(self.clone())
    }
}

/// One matrix product, as recorded in the stream (relative tensor ids).
pub struct SmallMatmul {
    product: MatmulOpIr,
}

impl SmallMatmul {
    /// The product's tensors as they are at run time: real ids and shapes, with the status
    /// (read-only, or last use) this operation has for them.
    fn resolve(&self, context: &Context<CubeFusionHandle>) -> Option<[TensorIr; 3]> {
        let get = |relative: &TensorIr| {
            let mut tensor = context.tensors.get(&relative.id)?.clone();
            tensor.status = relative.status;
            Some(tensor)
        };
        Some([
            get(&self.product.lhs)?,
            get(&self.product.rhs)?,
            get(&self.product.out)?,
        ])
    }

    /// Whether the small kernel takes this product: not empty, small enough, float operands in
    /// rows.
    fn fits(context: &Context<CubeFusionHandle>, [lhs, rhs, out]: &[TensorIr; 3]) -> bool {
        let inner = match lhs.shape.num_dims() {
            0 => 0,
            rank => lhs.shape[rank - 1],
        };
        let readable = |tensor: &TensorIr| {
            tensor.dtype == DType::F32
                && context.handles.error(&tensor.id).is_none()
                && context
                    .handles
                    .get_handle_ref(&tensor.id)
                    .is_some_and(|handle| handle.tiles.is_none())
        };
        out.shape.num_dims() >= 2
            && out.shape.num_elements() > 0
            && out.shape.num_elements() * inner <= MAX_MULTIPLY_ADDS
            && readable(lhs)
            && readable(rhs)
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
