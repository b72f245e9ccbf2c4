//! The weights transposed for the backward kernels, written by the forward kernels, and the
//! products that read them. A backward
//! kernel's products through a weight read it row by row across the units (`W[unit, g]`, units
//! a row apart), one memory transaction per unit; read transposed (`Wᵀ[g, unit]`, units side by
//! side) a warp's reads are one transaction. Each cube of the forward launch writes its share of
//! the rows, so the copy costs no launch of its own (the backward launch runs after the forward
//! one has finished).

use cubecl::prelude::*;

/// Writes this cube's share of `matrix` `[rows, columns]` (at `from` in `source`) transposed
/// `[columns, rows]` to `out` at `to`: cube `c` of the launch's `CUBE_COUNT_X` takes rows `c`,
/// `c + CUBE_COUNT_X`, ...
#[cube]
pub fn transpose_share(
    source: &Tensor<f32>,
    from: usize,
    out: &mut Tensor<f32>,
    to: usize,
    #[comptime] rows: usize,
    #[comptime] columns: usize,
) {
    let mut r = CUBE_POS_X as usize;
    while r < rows {
        let mut column = UNIT_POS_X as usize;
        while column < columns {
            out[to + column * rows + r] = source[from + r * columns + column];
            column += CUBE_DIM_X as usize;
        }
        r += CUBE_COUNT_X as usize;
    }
}

/// Adds to `sums[r]`, for each of the cube's `rows` rows, the product of row `r` of `vectors`
/// (`length` values, rows `stride` apart) with column `unit` of the transposed matrix at `at` in
/// `matrix` (`[length, hidden]`): a matrix element read serves every row.
#[cube]
#[allow(clippy::too_many_arguments)]
pub fn add_transposed_product(
    sums: &mut Array<f32>,
    vectors: &Shared<[f32]>,
    matrix: &Tensor<f32>,
    at: usize,
    unit: usize,
    #[comptime] length: usize,
    #[comptime] stride: usize,
    #[comptime] hidden: usize,
    #[comptime] rows: usize,
) {
    for g in 0..length {
        let weight = matrix[at + g * hidden + unit];
        #[unroll]
        for r in 0..rows {
            sums[r] += vectors[r * stride + g] * weight;
        }
    }
}
