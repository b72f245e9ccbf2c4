//! The fusion optimisation that takes each matrix product of a stream, with the bias a linear
//! layer adds right after it: small products run as [`small_matmul`](super::small_matmul) (the
//! bias added in the same launch), larger ones (and any the kernel cannot read) as burn runs
//! them unfused, CubeCL's tiled matmul and a separate addition.

use super::{MAX_MULTIPLY_ADDS, small_matmul};
use crate::model::fusion::{readable, resolve};
use burn::backend::fusion::stream::Context;
use burn::backend::fusion::{FuserProperties, FuserStatus, OperationFuser};
use burn::backend::ir::{
    BaseOperationIr, BinaryOpIr, FloatOperationIr, MatmulOpIr, NumericOperationIr, OperationIr,
    ShapeOpIr, TensorIr, TensorStatus,
};
use burn::tensor::DType;
use burn_cubecl::fusion::{
    CubeFuser, CubeFusionHandle, CubeOptimization, FallbackOperation, FusedOperation,
    OptimizationProvider,
};
use burn_cubecl::{CubeBackend, CubeDevice};
use serde::{Deserialize, Serialize};

/// The name of burn's own matmul optimisation, which this one replaces.
pub const BUILTIN_MATMUL: &str = "Matmul";

/// Registers the small-product optimisation with burn's fusion.
pub struct SmallMatmulProvider;

impl OptimizationProvider for SmallMatmulProvider {
    type Operation = SmallMatmul;

    fn fuser(&self, _device: &CubeDevice) -> CubeFuser {
        CubeFuser::new(SmallMatmulFuser::default())
    }
}

/// A product and, when burn's `linear` adds a bias to it, the bias's reshape to a row of the
/// product's rank and the addition, in the stream's order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Recorded {
    product: Option<MatmulOpIr>,
    bias_row: Option<ShapeOpIr>,
    bias_add: Option<BinaryOpIr>,
}

impl Recorded {
    /// Operations taken: the product, and the reshape with the addition once the addition is.
    fn len(&self) -> usize {
        match (&self.product, &self.bias_add) {
            (None, _) => 0,
            (Some(_), None) => 1,
            (Some(_), Some(_)) => 3,
        }
    }
}

/// Takes a stream segment that starts with a float matrix product: that product, and the
/// operations after it that add a bias row to it when nothing else reads the product.
#[derive(Clone, Default)]
pub struct SmallMatmulFuser {
    recorded: Recorded,
    offered: usize,
    closed: bool,
}

/// A reshape of a vector of the product's last dimension to the product's rank (the recorded
/// shapes are relative: which dimensions are equal, not their sizes; that the leading ones are
/// 1 is checked at run time).
fn bias_row(product: &MatmulOpIr, operation: &OperationIr) -> Option<ShapeOpIr> {
    let OperationIr::BaseFloat(BaseOperationIr::Reshape(reshape)) = operation else {
        return None;
    };
    let width = product.out.shape.last()?;
    (reshape.input.dtype == DType::F32
        && reshape.input.shape.num_dims() == 1
        && reshape.input.shape.last() == Some(width)
        && reshape.out.shape.num_dims() == product.out.shape.num_dims()
        && reshape.out.shape.last() == Some(width))
    .then(|| reshape.clone())
}

/// `product + row`, the last use of both.
fn bias_add(product: &MatmulOpIr, row: &ShapeOpIr, operation: &OperationIr) -> Option<BinaryOpIr> {
    let OperationIr::NumericFloat(DType::F32, NumericOperationIr::Add(add)) = operation else {
        return None;
    };
    (add.rhs.id == row.out.id
        && add.rhs.status == TensorStatus::ReadWrite
        && add.lhs.id == product.out.id
        && add.lhs.status == TensorStatus::ReadWrite
        && add.out.shape == product.out.shape)
        .then(|| add.clone())
}

impl OperationFuser<CubeOptimization> for SmallMatmulFuser {
    fn fuse(&mut self, operation: &OperationIr) {
        if self.closed {
            return;
        }
        self.offered += 1;
        let recorded = &mut self.recorded;
        match (self.offered, recorded.product.clone()) {
            (1, _) => {
                if let OperationIr::Float(DType::F32, FloatOperationIr::Matmul(product)) = operation
                {
                    recorded.product = Some(product.clone());
                }
                self.closed = recorded.product.is_none();
            }
            (2, Some(product)) => {
                recorded.bias_row = bias_row(&product, operation);
                self.closed = recorded.bias_row.is_none();
            }
            (_, Some(product)) => {
                recorded.bias_add = recorded
                    .bias_row
                    .as_ref()
                    .and_then(|row| bias_add(&product, row, operation));
                if recorded.bias_add.is_none() {
                    recorded.bias_row = None;
                }
                self.closed = true;
            }
            (_, None) => self.closed = true,
        }
    }

    fn finish(&mut self) -> CubeOptimization {
        assert!(
            self.recorded.product.is_some(),
            "finish is only called on a ready fuser, which holds a product"
        );
        CubeOptimization::new(SmallMatmul {
            recorded: self.recorded.clone(),
        })
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
            score: self.len() as u64,
            ready: self.recorded.product.is_some(),
        }
    }

    fn len(&self) -> usize {
        self.recorded.len()
    }

    fn clone_dyn(&self) -> Box<dyn OperationFuser<CubeOptimization>> {
        Box::new(self.clone())
    }
}

/// One matrix product (and its bias), as recorded in the stream (relative tensor ids).
pub struct SmallMatmul {
    recorded: Recorded,
}

impl SmallMatmul {
    /// The product's operands, its bias vector (when it has one) and its result, as they are at
    /// run time, when the small kernel takes them: not empty, small enough, float operands.
    fn fitting(
        &self,
        context: &Context<CubeFusionHandle>,
    ) -> Option<(TensorIr, TensorIr, Option<TensorIr>, TensorIr)> {
        let Recorded {
            product,
            bias_row,
            bias_add,
        } = &self.recorded;
        let product = product.as_ref()?;
        let lhs = resolve(context, &product.lhs)?;
        let rhs = resolve(context, &product.rhs)?;
        let (bias, out) = match (bias_row, bias_add) {
            (Some(row), Some(add)) => {
                let out = resolve(context, &add.out)?;
                let row_shape = resolve(context, &row.out)?.shape;
                let bias = resolve(context, &row.input)?;
                let is_row = row_shape.iter().rev().skip(1).all(|&d| d == 1)
                    && row_shape.last() == out.shape.last();
                if !(is_row && readable(context, &bias)) {
                    return None;
                }
                (Some(bias), out)
            }
            _ => (None, resolve(context, &product.out)?),
        };
        let inner = match lhs.shape.num_dims() {
            0 => 0,
            rank => lhs.shape[rank - 1],
        };
        let fits = out.shape.num_dims() >= 2
            && out.shape.num_elements() > 0
            && out.shape.num_elements() * inner <= MAX_MULTIPLY_ADDS
            && readable(context, &lhs)
            && readable(context, &rhs);
        fits.then_some((lhs, rhs, bias, out))
    }
}

impl FusedOperation for SmallMatmul {
    const NAME: &'static str = "SmallMatmul";
    type State = Recorded;

    fn num_ops_fused(&self) -> usize {
        self.recorded.len()
    }

    fn run(
        &mut self,
        context: &mut Context<CubeFusionHandle>,
        fallback: &dyn Fn(usize) -> Box<dyn FallbackOperation>,
    ) {
        match self.fitting(context) {
            Some((lhs, rhs, bias, out)) => {
                let lhs = context.handles.get_float_tensor::<CubeBackend>(&lhs);
                let rhs = context.handles.get_float_tensor::<CubeBackend>(&rhs);
                let bias = bias.map(|b| context.handles.get_float_tensor::<CubeBackend>(&b));
                let result = small_matmul(lhs, rhs, bias, out.shape.clone());
                context
                    .handles
                    .register_float_tensor::<CubeBackend>(&out.id, result);
            }
            None => {
                for index in 0..self.num_ops_fused() {
                    fallback(index).run(context);
                }
            }
        }
    }

    fn to_state(&self) -> Recorded {
        self.recorded.clone()
    }

    fn from_state(_device: &cubecl::Device, recorded: Recorded) -> Self {
        Self { recorded }
    }
}
