//! The recurrent loops with hand-written backward passes (`model::recurrence`) against burn's
//! autodiff of the step-by-step loops they replace: the same scores, the same gradient for every
//! parameter, for every cell, every attention and one or two layers.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::Distribution;
use seq2seq_playground::model::{
    AttentionKind, CellKind, CellState, Encoder, EncoderOutput, Seq2Seq, Seq2SeqConfig,
};
use strum::VariantArray;

/// The encoder as it was before `run_sequence`: one `RecurrentCell::step` per position, the state
/// carried over PAD with `keep_where`, every operation on burn's tape.
fn encode_step_by_step(
    encoder: &Encoder,
    source: Tensor<2, Int>,
    mask: Tensor<2>,
) -> EncoderOutput {
    let [batch, len] = source.dims();
    let device = source.device();
    let keep: Vec<Tensor<2>> = mask.chunk(len, 1);
    let mut inputs = encoder.embedding.forward(source);
    let mut final_states = vec![];
    for cell in &encoder.layers {
        let projected = cell.project_input(inputs);
        let mut state: CellState = cell.zero_state(batch, &device);
        let mut outputs = vec![];
        for (position, projected) in projected.chunk(len, 1).into_iter().enumerate() {
            let next = cell.step(projected.squeeze_dim(1), state.clone());
            state = next.keep_where(state, &keep[position]);
            outputs.push(state.hidden.clone());
        }
        inputs = Tensor::stack(outputs, 1);
        final_states.push(state);
    }
    EncoderOutput {
        states: inputs,
        final_states,
    }
}

/// Every parameter's gradient, in visiting order.
fn gradients(model: &Seq2Seq, loss: Tensor<1>) -> Vec<Vec<f32>> {
    struct Collect<'a>(&'a GradientsParams, Vec<Vec<f32>>);
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let grad = self.0.get::<D>(param.id);
            self.1.push(
                grad.map(|g| g.into_data().iter::<f32>().collect())
                    .unwrap_or_default(),
            );
        }
    }
    let grads = GradientsParams::from_grads(loss.backward(), model);
    let mut collect = Collect(&grads, vec![]);
    model.visit(&mut collect);
    collect.1
}

fn values(tensor: Tensor<3>) -> Vec<f32> {
    tensor.into_data().iter::<f32>().collect()
}

fn assert_close(what: &str, ours: &[f32], reference: &[f32]) {
    assert_eq!(ours.len(), reference.len(), "{what}: sizes differ");
    let scale = reference.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
    for (i, (a, b)) in ours.iter().zip(reference).enumerate() {
        assert!(
            (a - b).abs() <= 2e-4 * scale,
            "{what}[{i}]: {a} vs {b} (largest |value| {scale})"
        );
    }
}

fn check(device: &Device, cell: CellKind, attention: AttentionKind, layers: usize) {
    let device = device.clone().autodiff();
    let model = Seq2SeqConfig::new(9, 11)
        .with_embedding_size(6)
        .with_hidden_size(8)
        .with_cell(cell)
        .with_attention(attention)
        .with_layers(layers)
        .init(&device);
    let (batch, source_len, target_len) = (3, 5, 4);
    // sequence 0 full length, 1 and 2 padded (PAD = 0 at the end)
    let source =
        Tensor::<2, Int>::from_data([[3, 4, 5, 6, 7], [4, 4, 8, 0, 0], [5, 3, 0, 0, 0]], &device);
    let mask = Tensor::<2>::from_data(
        [
            [1.0, 1.0, 1.0, 1.0, 1.0],
            [1.0, 1.0, 1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0, 0.0, 0.0],
        ],
        &device,
    );
    assert_eq!(source.dims(), [batch, source_len]);
    let target = Tensor::<2, Int>::from_data([[1, 5, 6, 7], [1, 9, 10, 2], [1, 4, 2, 0]], &device);
    let scale = Tensor::<3>::random(
        [batch, target_len, 11],
        Distribution::Normal(0.0, 1.0),
        &device,
    );

    let ours = model.forward(source.clone(), mask.clone(), target.clone());
    let rnn = model.rnn().expect("an RNN model");
    let encoded = encode_step_by_step(&rnn.encoder, source, mask.clone());
    let all_true = Tensor::<2, Bool>::full([batch, target_len], true, &device);
    let reference = rnn.decoder.scheduled(&encoded, mask, target, all_true);

    let what = format!("{cell:?} {attention:?} {layers} layer(s)");
    assert_close(
        &format!("{what} logits"),
        &values(ours.logits.clone()),
        &values(reference.logits.clone()),
    );
    if let (Some(a), Some(b)) = (ours.attention.clone(), reference.attention.clone()) {
        assert_close(&format!("{what} attention"), &values(a), &values(b));
    }
    let ours_grads = gradients(&model, (ours.logits * scale.clone()).sum());
    let reference_grads = gradients(&model, (reference.logits * scale).sum());
    assert_eq!(ours_grads.len(), reference_grads.len());
    for (i, (a, b)) in ours_grads.iter().zip(&reference_grads).enumerate() {
        assert_close(&format!("{what} gradient of parameter {i}"), a, b);
    }
}

#[test]
fn every_cell_and_attention_has_the_gradients_of_the_step_by_step_loop() {
    for &cell in CellKind::VARIANTS {
        for &attention in AttentionKind::VARIANTS {
            check(&Device::flex(), cell, attention, 1);
        }
    }
}

#[test]
fn two_layers_have_the_gradients_of_the_step_by_step_loop() {
    for &cell in CellKind::VARIANTS {
        check(&Device::flex(), cell, AttentionKind::Additive, 2);
        check(&Device::flex(), cell, AttentionKind::None, 2);
    }
}

/// On burn's wgpu runtime the loops run as hand-written CubeCL kernels
/// (`model::recurrence::kernels`): the same check, against burn's autodiff of the step-by-step
/// loop on that device. Needs the `wgpu` feature and an adapter (a software one such as Mesa's
/// lavapipe will do): `cargo test --release --features wgpu --test recurrence`.
#[cfg(feature = "wgpu")]
#[test]
fn the_gpu_kernels_have_the_gradients_of_the_step_by_step_loop() {
    let device = wgpu_device();
    for &cell in CellKind::VARIANTS {
        for &attention in AttentionKind::VARIANTS {
            check(&device, cell, attention, 1);
        }
        check(&device, cell, AttentionKind::Additive, 2);
    }
}

/// The wgpu device as the command line opens it (with this crate's kernels installed), with
/// the page's cap on storage buffers per shader (burn's fusion then fuses what it fuses in the
/// page), once per process: burn's wgpu runtime is initialised once.
#[cfg(feature = "wgpu")]
fn wgpu_device() -> Device {
    use seq2seq_playground::cli::{DeviceArg, PAGE_STORAGE_BUFFERS};
    static DEVICE: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    DEVICE
        .get_or_init(|| {
            DeviceArg::Wgpu
                .open_capped(Some(PAGE_STORAGE_BUFFERS))
                .expect("a wgpu adapter (install mesa-vulkan-drivers for a software one)")
        })
        .clone()
}

/// Asserts each GPU result equals the CPU's of the same name within `tolerance` (the names
/// printed as they are checked, so a failure says which).
#[cfg(feature = "wgpu")]
fn assert_each_close(
    on_gpu: Vec<TensorData>,
    on_cpu: Vec<TensorData>,
    names: &[&str],
    tolerance: burn::tensor::Tolerance<f32>,
) {
    assert_eq!((on_gpu.len(), on_cpu.len()), (names.len(), names.len()));
    for ((gpu, cpu), name) in on_gpu.iter().zip(&on_cpu).zip(names) {
        eprintln!("{name}");
        gpu.assert_approx_eq::<f32>(cpu, tolerance);
    }
}

/// The recurrent kernels give each cube one or several batch rows (`kernels::rows_per_cube`: a
/// weight read serves them all; the large model's batch of 256 takes two a cube). Whatever the
/// rows, the scores and gradients are the same bit for bit, and those of burn's autodiff on the
/// CPU within the tolerance of the checks above; a batch of 7 leaves the last cube short of rows
/// for every row count tried.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_kernels_give_the_same_results_whatever_the_rows_per_cube() {
    use seq2seq_playground::model::recurrence::kernels::{
        reset_rows_used, rows_used, set_rows_per_cube,
    };
    let gpu = wgpu_device().autodiff();
    let cpu = Device::flex().autodiff();
    let (batch, source_len, target_len) = (7, 6, 5);
    let lengths = [6, 3, 5, 1, 6, 2, 4];
    let source: Vec<i64> = (0..batch * source_len)
        .map(|i| match i % source_len < lengths[i / source_len] {
            true => 3 + (i * 5 % 6) as i64,
            false => 0,
        })
        .collect();
    let mask: Vec<f32> = source
        .iter()
        .map(|&token| (token != 0) as u8 as f32)
        .collect();
    let target: Vec<i64> = (0..batch * target_len)
        .map(|i| 1 + (i * 7 % 10) as i64)
        .collect();
    let scale = Tensor::<3>::random(
        [batch, target_len, 11],
        Distribution::Normal(0.0, 1.0),
        &cpu,
    );
    // hidden 300: past 256 units (cubes of 512 units where the device allows it)
    let cases = [
        (CellKind::Gru, AttentionKind::Additive, 1, 8),
        (CellKind::Lstm, AttentionKind::Additive, 2, 8),
        (CellKind::Rnn, AttentionKind::Dot, 1, 8),
        (CellKind::Lstm, AttentionKind::General, 1, 8),
        (CellKind::Gru, AttentionKind::None, 1, 8),
        (CellKind::Gru, AttentionKind::Additive, 1, 300),
        (CellKind::Lstm, AttentionKind::Dot, 1, 300),
    ];
    for (cell, attention, layers, hidden) in cases {
        let what = format!("{cell:?} {attention:?} {layers} layer(s), hidden {hidden}");
        let model = Seq2SeqConfig::new(9, 11)
            .with_embedding_size(6)
            .with_hidden_size(hidden)
            .with_cell(cell)
            .with_attention(attention)
            .with_layers(layers)
            .init(&cpu);
        let run = |device: &Device, rows: Option<usize>| {
            set_rows_per_cube(rows);
            let model = model.clone().fork(device);
            let int = |values: &Vec<i64>, len: usize| {
                Tensor::<2, Int>::from_data(TensorData::new(values.clone(), [batch, len]), device)
            };
            let mask =
                Tensor::<2>::from_data(TensorData::new(mask.clone(), [batch, source_len]), device);
            let logits = model
                .forward(int(&source, source_len), mask, int(&target, target_len))
                .logits;
            let loss = (logits.clone() * scale.clone().to_device(device)).sum();
            (values(logits), gradients(&model, loss))
        };
        // burn initialises parameters on first use: once here, on the CPU, not once per copy
        let on_cpu = run(&cpu, None);
        let one_row = run(&gpu, Some(1));
        assert_close(&format!("{what} logits"), &one_row.0, &on_cpu.0);
        for (i, (a, b)) in one_row.1.iter().zip(&on_cpu.1).enumerate() {
            assert_close(&format!("{what} gradient of parameter {i}"), a, b);
        }
        for rows in [2, 3, 4] {
            reset_rows_used();
            let several = run(&gpu, Some(rows));
            // what ran is reported (a batch of 7 and these sizes fit every request); the
            // record is process-wide and tests run side by side, launching kernels of their
            // own with one row a cube (or this test's rows, never more), so the most is exact
            assert_eq!(rows_used().map(|(_, most)| most), Some(rows), "{what}");
            assert!(
                several == one_row,
                "{what}: {rows} rows a cube differ from one row a cube"
            );
        }
    }
    set_rows_per_cube(None);
}

/// The decoder's operation (`run_attentive`, GRU + additive attention) on the GPU against the
/// CPU, input by input, past 256 hidden units (340) with a target of 13 positions. Where the
/// device allows cubes of 512 units (lavapipe, native GPUs) each hidden unit gets its own; where
/// it allows only 256, a unit takes two. Mesa's lavapipe computed the second ones of
/// the first eight units wrong here (the gradient of the initial state, units 256-263; README,
/// "The recurrent kernels at large batches"), which the larger cubes avoid; SwiftShader computes
/// both right.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_decoder_has_the_cpus_gradients_past_256_hidden_units() {
    use seq2seq_playground::model::recurrence::{AttentiveInputs, run_attentive};
    let (batch, source_len, target_len, hidden) = (1, 3, 13, 340);
    let gates = 3 * hidden;
    let gpu = wgpu_device().autodiff();
    let cpu = Device::flex().autodiff();
    let random = |shape: Vec<usize>, std: f64| {
        Tensor::<2>::random(
            [shape[0], shape[1..].iter().product()],
            Distribution::Normal(0.0, std),
            &cpu,
        )
    };
    let (tokens, values, keys) = (
        random(vec![batch, target_len, gates], 0.5),
        random(vec![batch, source_len, hidden], 0.5),
        random(vec![batch, source_len, hidden], 0.5),
    );
    let (hidden_w, hidden_b, context_w) = (
        random(vec![hidden, gates], 0.1),
        random(vec![1, gates], 0.1),
        random(vec![hidden, gates], 0.1),
    );
    let (query_w, score, initial) = (
        random(vec![hidden, hidden], 0.1),
        random(vec![hidden, 1], 0.1),
        random(vec![batch, hidden], 0.1),
    );
    let scale = random(vec![batch, target_len, 2 * hidden], 0.5);
    let run = |device: &Device| {
        let leaf = |t: &Tensor<2>| t.clone().to_device(device).detach().require_grad();
        let (tokens_leaf, values_leaf, keys_leaf, initial_leaf) =
            (leaf(&tokens), leaf(&values), leaf(&keys), leaf(&initial));
        let plain = |t: &Tensor<2>| t.clone().to_device(device);
        let out = run_attentive(
            CellKind::Gru,
            AttentionKind::Additive,
            AttentiveInputs {
                token_gates: tokens_leaf.clone().reshape([batch, target_len, gates]),
                values: values_leaf.clone().reshape([batch, source_len, hidden]),
                keys: keys_leaf.clone().reshape([batch, source_len, hidden]),
                padding_bias: Tensor::zeros([batch, source_len], device),
                hidden_gates: (plain(&hidden_w), plain(&hidden_b).reshape([gates])),
                context_gates: plain(&context_w),
                additive: Some((plain(&query_w), plain(&score))),
                initial: CellState {
                    hidden: initial_leaf.clone(),
                    memory: None,
                },
            },
        );
        let scale = scale.clone().to_device(device);
        let loss = (out.features * scale.reshape([batch, target_len, 2 * hidden])).sum();
        let grads = loss.backward();
        [tokens_leaf, values_leaf, keys_leaf, initial_leaf].map(|leaf| {
            let grad = leaf.grad(&grads).expect("a gradient").into_data();
            grad.iter::<f32>().collect::<Vec<_>>()
        })
    };
    let (on_gpu, on_cpu) = (run(&gpu), run(&cpu));
    for ((name, a), b) in ["token gates", "values", "keys", "initial state"]
        .iter()
        .zip(&on_gpu)
        .zip(&on_cpu)
    {
        assert_close(&format!("gradient of the {name}"), a, b);
    }
}

/// Concatenations on burn's wgpu runtime (`model::concat` for those burn's fusion leaves
/// unfused: more inputs than a shader binds, in several launches) equal the CPU's, exactly:
/// flat pieces (one a view into a larger tensor, one a transposed copy), and 2-D pieces along
/// their second axis.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_concatenations_equal_the_cpus() {
    let gpu = wgpu_device();
    let cpu = Device::flex();
    let random = |shape: [usize; 2]| {
        Tensor::<2>::random(shape, Distribution::Uniform(-1.0, 1.0), &cpu).into_data()
    };
    let pieces: Vec<_> = (0..17).map(|i| random([2 + i % 3, 1 + i % 4])).collect();
    let flat = |device: &Device| {
        let parts: Vec<Tensor<1>> = pieces
            .iter()
            .enumerate()
            .map(|(i, data)| {
                let piece = Tensor::<2>::from_data(data.clone(), device);
                let piece = match i {
                    3 => piece.swap_dims(0, 1),
                    5 => Tensor::cat(vec![piece.clone(), piece], 0).narrow(0, 1, 2),
                    _ => piece,
                };
                let count = piece.shape().num_elements();
                piece.reshape([count])
            })
            .collect();
        Tensor::cat(parts, 0).into_data()
    };
    assert_eq!(flat(&gpu), flat(&cpu), "flat pieces");
    let columns = |device: &Device| {
        let parts: Vec<Tensor<2>> = (0..11)
            .map(|i| Tensor::<2>::from_data(random([3, 1 + i % 5]), &cpu).to_device(device))
            .collect();
        (parts.clone(), Tensor::cat(parts, 1).into_data())
    };
    let (parts, on_gpu) = columns(&gpu);
    let on_cpu = Tensor::cat(parts.into_iter().map(|p| p.to_device(&cpu)).collect(), 1).into_data();
    assert_eq!(on_gpu, on_cpu, "2-D pieces along the second axis");
}

/// Matrix products on burn's wgpu runtime (`model::small_matmul` for the small ones, CubeCL's
/// tiled matmul past its limit) equal the CPU's: plain, transposed operands (strided views),
/// batched with broadcasting, one past the small kernel's limit, and a linear layer's product
/// with its bias.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_matrix_products_equal_the_cpus() {
    use seq2seq_playground::model::small_matmul::MAX_MULTIPLY_ADDS;
    let gpu = wgpu_device();
    let cpu = Device::flex();
    let random =
        |shape: Vec<usize>| Tensor::<4>::random(shape, Distribution::Uniform(-1.0, 1.0), &cpu);
    let large = (MAX_MULTIPLY_ADDS as f64).cbrt() as usize + 8;
    let cases: Vec<(Vec<usize>, Vec<usize>, bool)> = vec![
        (vec![1, 1, 5, 7], vec![1, 1, 7, 3], false),
        (vec![1, 1, 7, 5], vec![1, 1, 7, 3], true),
        (vec![2, 3, 4, 6], vec![1, 3, 6, 5], false),
        (vec![2, 1, 4, 6], vec![2, 4, 6, 5], false),
        (vec![1, 1, large, large], vec![1, 1, large, large], false),
        (vec![1, 1, 52, 384], vec![1, 1, 52, 1152], true),
        (vec![1, 1, 384, 52], vec![1, 1, 52, 1152], false),
    ];
    for (lhs_shape, rhs_shape, transposed) in cases {
        let lhs = random(lhs_shape.clone());
        let rhs = random(rhs_shape.clone());
        let on = |device: &Device| {
            let lhs = lhs.clone().to_device(device);
            let lhs = if transposed { lhs.swap_dims(2, 3) } else { lhs };
            lhs.matmul(rhs.clone().to_device(device)).into_data()
        };
        on(&gpu).assert_approx_eq::<f32>(&on(&cpu), burn::tensor::Tolerance::absolute(1e-3));
        eprintln!("{lhs_shape:?} x {rhs_shape:?} (transposed lhs: {transposed}): equal");
    }
    // A linear layer: its bias added in the small product's launch on the GPU.
    let linear = burn::nn::LinearConfig::new(6, 5).init(&cpu);
    let input = Tensor::<3>::random([2, 4, 6], Distribution::Uniform(-1.0, 1.0), &cpu);
    let on = |device: &Device| {
        let layer = linear.clone().to_device(device);
        layer.forward(input.clone().to_device(device)).into_data()
    };
    on(&gpu).assert_approx_eq::<f32>(&on(&cpu), burn::tensor::Tolerance::absolute(1e-5));
}

/// A Transformer attention on burn's wgpu runtime (`model::transformer::attention`: the core's
/// forward pass as one kernel, `attention_kernel`, and its hand-written backward pass) equals
/// burn's `MultiHeadAttention` on the CPU: context, weights, and the gradients of the inputs and
/// of all four projections, for self-attention with a causal mask, cross-attention with padded
/// keys, and cross-attention with both padded keys and blocked query-key pairs (without dropout:
/// the backends' generators differ; the dropout's draws are checked against burn's on the CPU
/// in `attention::tests`).
#[cfg(feature = "wgpu")]
#[test]
fn gpu_attention_equals_burns_on_the_cpu() {
    use burn::nn::attention::MultiHeadAttentionConfig;
    use burn::tensor::Tolerance;
    use seq2seq_playground::model::transformer::attention::{attend, hand_written};
    let gpu = wgpu_device().autodiff();
    let cpu = Device::flex().autodiff();
    let (batch, query_len, key_len, d_model) = (2, 5, 7, 8);
    // no dropout: the two backends draw from different generators
    let mha = MultiHeadAttentionConfig::new(d_model, 2)
        .with_dropout(0.0)
        .init(&cpu);
    // burn initialises parameters on first use: once here, not once per copy
    for linear in [&mha.query, &mha.key, &mha.value, &mha.output] {
        let _ = (linear.weight.val(), linear.bias.as_ref().map(|b| b.val()));
    }
    let random = |shape: [usize; 3]| Tensor::<3>::random(shape, Distribution::Default, &cpu);
    let query = random([batch, query_len, d_model]);
    let memory = random([batch, key_len, d_model]);
    let loss_weights = random([batch, query_len, d_model]);
    // the masks, built on each device (bool tensors do not move between these backends)
    let causal = |device: &Device| {
        let positions = || Tensor::<1, Int>::arange(0..query_len as i64, device);
        positions()
            .reshape([1, query_len])
            .greater(positions().reshape([query_len, 1]))
            .unsqueeze::<3>()
            .repeat_dim(0, batch)
    };
    let pad = |device: &Device| {
        Tensor::<1, Int>::arange(0..key_len as i64, device)
            .reshape([1, key_len])
            .greater_equal(Tensor::<2, Int>::from_data([[6], [3]], device))
    };
    // keys more than two places after the query's position
    let pairs = |device: &Device| {
        let keys = Tensor::<1, Int>::arange(0..key_len as i64, device).reshape([1, key_len]);
        let queries = Tensor::<1, Int>::arange(2..query_len as i64 + 2, device);
        keys.greater(queries.reshape([query_len, 1]))
            .unsqueeze::<3>()
            .repeat_dim(0, batch)
    };
    for case in 0..3 {
        let self_attention = case == 0;
        let keys = if self_attention { &query } else { &memory };
        let run = |device: &Device| {
            let mha = mha.clone().fork(device);
            let q = query.clone().to_device(device).detach().require_grad();
            let k = keys.clone().to_device(device).detach().require_grad();
            let (pad, attn) = match case {
                0 => (None, Some(causal(device))),
                1 => (Some(pad(device)), None),
                _ => (Some(pad(device)), Some(pairs(device))),
            };
            let (context, weights) = if device == &cpu {
                attend(&mha, q.clone(), k.clone(), k.clone(), pad, attn)
            } else {
                hand_written(&mha, q.clone(), k.clone(), k.clone(), pad, attn)
            };
            let loss = (context.clone() * loss_weights.clone().to_device(device)).sum();
            let grads = loss.backward();
            let mut parts = vec![
                context.inner().reshape([-1]).into_data(),
                weights.inner().reshape([-1]).into_data(),
                q.grad(&grads).expect("dq").reshape([-1]).into_data(),
                k.grad(&grads).expect("dk").reshape([-1]).into_data(),
            ];
            for linear in [&mha.query, &mha.key, &mha.value, &mha.output] {
                let grad = linear.weight.grad(&grads).expect("a projection's gradient");
                parts.push(grad.reshape([-1]).into_data());
            }
            parts
        };
        let names = ["context", "weights", "dq", "dk", "dWq", "dWk", "dWv", "dWo"];
        eprintln!("case {case}");
        assert_each_close(run(&gpu), run(&cpu), &names, Tolerance::absolute(1e-4));
    }
}

/// The attention kernel's dropout on the GPU: each weight is dropped (0) or kept and scaled by
/// `1 / (1 - p)` (against the weights without dropout, from the same module and inputs), and
/// both happen.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_attention_dropout_drops_or_scales_each_weight() {
    use burn::nn::attention::MultiHeadAttentionConfig;
    use seq2seq_playground::model::transformer::attention::hand_written;
    let gpu = wgpu_device().autodiff();
    let (batch, len, d_model) = (2, 6, 8);
    let mut mha = MultiHeadAttentionConfig::new(d_model, 2)
        .with_dropout(0.5)
        .init(&gpu);
    let x = Tensor::<3>::random([batch, len, d_model], Distribution::Default, &gpu);
    let pad = Tensor::<2, Bool>::from_data([[false; 6], [false; 6]], &gpu);
    let (_, dropped) = hand_written(
        &mha,
        x.clone(),
        x.clone(),
        x.clone(),
        Some(pad.clone()),
        None,
    );
    mha.dropout.prob = 0.0;
    let (_, weights) = hand_written(&mha, x.clone(), x.clone(), x, Some(pad), None);
    let dropped: Vec<f32> = dropped.inner().into_data().iter::<f32>().collect();
    let weights: Vec<f32> = weights.inner().into_data().iter::<f32>().collect();
    let (mut zeros, mut kept) = (0, 0);
    for (d, w) in dropped.iter().zip(&weights) {
        if *d == 0.0 {
            zeros += 1;
        } else {
            assert!(
                (d - 2.0 * w).abs() <= 1e-5,
                "kept weight {d}, expected 2 x {w}"
            );
            kept += 1;
        }
    }
    assert!(zeros > 0 && kept > 0, "{zeros} dropped, {kept} kept");
}

/// The attention kernels with dropout and a mask, against the same formulas in burn's tensor
/// operations on the same device and draws: the forward kernel's weights, weights after dropout
/// and context, and the backward kernels' `dq`, `dk`, `dv` (`ds = w ⊙ (dw - Σ dw ⊙ w) / √d_k`,
/// zero where blocked, `dw` the gradient of the dropped weights through the draws).
#[cfg(feature = "wgpu")]
#[test]
fn gpu_attention_kernels_follow_the_formulas_with_dropout_and_masks() {
    use burn::tensor::Tolerance;
    use burn::tensor::activation::softmax;
    use seq2seq_playground::model::transformer::attention_kernel::{
        attention_backward, attention_forward,
    };
    let gpu = wgpu_device();
    let (batch, heads, query_len, key_len, d_k) = (2, 2, 5, 6, 4);
    let random = |shape: [usize; 4]| Tensor::<4>::random(shape, Distribution::Default, &gpu);
    let (q, k, v) = (
        random([batch, heads, query_len, d_k]),
        random([batch, heads, key_len, d_k]),
        random([batch, heads, key_len, d_k]),
    );
    // blocked: the last two keys of the second sequence, for every query
    let blocked = Tensor::<4>::from_data(
        TensorData::new(
            [[0.0f32, 0., 0., 0., 0., 0.], [0., 0., 0., 0., 1., 1.]].concat(),
            [batch, 1, 1, key_len],
        ),
        &gpu,
    );
    let p = 0.3f32;
    let keep = Tensor::<4>::random(
        [batch, heads, query_len, key_len],
        Distribution::Bernoulli(f64::from(1.0 - p)),
        &gpu,
    );
    let [weights, dropped, context] = attention_forward(
        [q.clone(), k.clone(), v.clone()],
        blocked.clone(),
        keep.clone(),
        -1.0e4,
        p,
    );
    let scale = (d_k as f32).sqrt();
    let scores = q.clone().matmul(k.clone().transpose()).div_scalar(scale);
    let blocked_full = blocked
        .clone()
        .expand([batch, heads, query_len, key_len])
        .bool();
    let expected_weights = softmax(scores.mask_fill(blocked_full.clone(), -1.0e4), 3);
    let expected_dropped = (expected_weights.clone() * keep.clone()) * (1.0 / (1.0 - p));
    let expected_context = expected_dropped.clone().matmul(v.clone());
    let check = |ours: Tensor<4>, theirs: Tensor<4>, what: &str| {
        eprintln!("{what}");
        ours.into_data()
            .assert_approx_eq::<f32>(&theirs.into_data(), Tolerance::absolute(1e-4));
    };
    check(weights.clone(), expected_weights.clone(), "weights");
    check(
        dropped.clone(),
        expected_dropped.clone(),
        "weights after dropout",
    );
    check(context, expected_context, "context");
    let grad = random([batch, heads, query_len, d_k]);
    let [d_q, d_k_grad, d_v] = attention_backward(
        grad.clone(),
        [q.clone(), k.clone(), v.clone()],
        weights,
        dropped,
        keep.clone(),
        blocked,
        p,
    );
    let d_dropped = grad.clone().matmul(v.transpose());
    let d_weights = (d_dropped * (1.0 / (1.0 - p))) * keep;
    let row = (d_weights.clone() * expected_weights.clone()).sum_dim(3);
    let d_scores = (expected_weights * (d_weights - row))
        .mask_fill(blocked_full, 0.0)
        .div_scalar(scale);
    check(d_q, d_scores.clone().matmul(k), "dq");
    check(d_k_grad, d_scores.transpose().matmul(q), "dk");
    check(d_v, expected_dropped.transpose().matmul(grad), "dv");
}

/// A layer norm on burn's wgpu runtime (`model::transformer::norm`: the forward and the
/// backward pass as one kernel each, `norm_kernel`) equals burn's `LayerNorm` on the CPU:
/// output, and the gradients of the input, γ and β; on a narrow norm, and on one wider than a
/// cube's units (each unit then covers several columns of a row, and γ's and β's sums take two
/// cubes).
#[cfg(feature = "wgpu")]
#[test]
fn gpu_layer_norm_equals_burns_on_the_cpu() {
    for [batch, len, width] in [[2, 3, 6], [3, 2, 300]] {
        eprintln!("[{batch}, {len}, {width}]");
        check_layer_norm_on_the_gpu([batch, len, width]);
    }
}

/// [`gpu_layer_norm_equals_burns_on_the_cpu`] for inputs of `shape`.
#[cfg(feature = "wgpu")]
fn check_layer_norm_on_the_gpu(shape: [usize; 3]) {
    use burn::tensor::Tolerance;
    use seq2seq_playground::model::transformer::norm::{hand_written, layer_norm_init};
    let gpu = wgpu_device().autodiff();
    let cpu = Device::flex().autodiff();
    let mut norm = layer_norm_init(shape[2], &cpu);
    norm.gamma = norm
        .gamma
        .map(|g| g.random_like(Distribution::Normal(1.0, 0.5)).require_grad());
    norm.beta = norm
        .beta
        .map(|b| b.map(|b| b.random_like(Distribution::Normal(0.0, 0.5)).require_grad()));
    let x = Tensor::<3>::random(shape, Distribution::Normal(0.5, 2.0), &cpu);
    let weights = Tensor::<3>::random(shape, Distribution::Uniform(-1.0, 1.0), &cpu);
    let run = |device: &Device| {
        let norm = norm.clone().fork(device);
        let x = x.clone().to_device(device).detach().require_grad();
        let y = if device == &cpu {
            norm.forward(x.clone())
        } else {
            hand_written(&norm, x.clone())
        };
        let grads = (y.clone() * weights.clone().to_device(device))
            .sum()
            .backward();
        let beta = norm.beta.as_ref().expect("β");
        vec![
            y.inner().reshape([-1]).into_data(),
            x.grad(&grads).expect("dx").reshape([-1]).into_data(),
            norm.gamma.grad(&grads).expect("dγ").into_data(),
            beta.grad(&grads).expect("dβ").into_data(),
        ]
    };
    let names = ["y", "dx", "dγ", "dβ"];
    assert_each_close(run(&gpu), run(&cpu), &names, Tolerance::absolute(1e-4));
}

/// A linear layer on burn's wgpu runtime (`model::linear`: burn's forward pass, the backward
/// pass as one kernel) equals burn's `Linear` on the CPU: output, and the gradients of the
/// input, the weights and the bias; with rows out, and split into heads as attention reads them
/// (the kernel then reads the gradient in that layout); for a layer the kernel takes, and for
/// one too large for it (burn's products then compute the gradients).
#[cfg(feature = "wgpu")]
#[test]
fn gpu_linear_layers_equal_burns_on_the_cpu() {
    use burn::nn::LinearConfig;
    use burn::tensor::Tolerance;
    use seq2seq_playground::model::linear;
    use seq2seq_playground::model::small_matmul::MAX_MULTIPLY_ADDS;
    let gpu = wgpu_device().autodiff();
    let cpu = Device::flex().autodiff();
    for (batch, len, d_input, d_output) in [(2, 3, 5, 8), (64, 80, 64, 64)] {
        let fits = batch * len * d_input * d_output <= MAX_MULTIPLY_ADDS;
        let mut layer = LinearConfig::new(d_input, d_output).init(&cpu);
        layer.bias = layer
            .bias
            .map(|b| b.map(|b| b.random_like(Distribution::Normal(0.0, 0.5)).require_grad()));
        let shape = [batch, len, d_input];
        let x = Tensor::<3>::random(shape, Distribution::Normal(0.5, 2.0), &cpu);
        let out_shape = [batch, len, d_output];
        let weights = Tensor::<3>::random(out_shape, Distribution::Uniform(-1.0, 1.0), &cpu);
        for heads in [None, Some(2)] {
            eprintln!(
                "[{batch}, {len}, {d_input}] -> {d_output}, heads {heads:?} (kernel: {fits})"
            );
            let run = |device: &Device| {
                let layer = layer.clone().fork(device);
                let x = x.clone().to_device(device).detach().require_grad();
                let weights = weights.clone().to_device(device);
                let (y, loss) = match (heads, device == &cpu) {
                    (None, true) => {
                        let y = layer.forward(x.clone());
                        (y.clone(), (y * weights).sum())
                    }
                    (None, false) => {
                        let y = linear::forward(&layer, x.clone());
                        (y.clone(), (y * weights).sum())
                    }
                    (Some(heads), on_cpu) => {
                        let y = if on_cpu {
                            let y = layer.forward(x.clone());
                            y.reshape([batch, len, heads, d_output / heads])
                                .swap_dims(1, 2)
                        } else {
                            linear::forward_heads(&layer, x.clone(), heads)
                        };
                        let weights = weights.reshape([batch, len, heads, d_output / heads]);
                        let loss = (y.clone() * weights.swap_dims(1, 2)).sum();
                        (y.swap_dims(1, 2).reshape(out_shape), loss)
                    }
                };
                let grads = loss.backward();
                let bias = layer.bias.as_ref().expect("a bias");
                vec![
                    y.inner().reshape([-1]).into_data(),
                    x.grad(&grads).expect("dx").reshape([-1]).into_data(),
                    layer
                        .weight
                        .grad(&grads)
                        .expect("dW")
                        .reshape([-1])
                        .into_data(),
                    bias.grad(&grads).expect("db").into_data(),
                ]
            };
            let names = ["y", "dx", "dW", "db"];
            assert_each_close(run(&gpu), run(&cpu), &names, Tolerance::rel_abs(1e-4, 1e-3));
        }
    }
}

/// The masked cross-entropy on burn's wgpu runtime (`train::loss`: one kernel each way) equals
/// burn's operations on the CPU: the loss and the scores' gradient, with and without label
/// smoothing, on more rows than the forward kernel's cube has units (each unit then walks
/// several rows) and on scores read through a transposed view.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_cross_entropy_equals_burns_on_the_cpu() {
    use burn::tensor::Tolerance;
    use seq2seq_playground::train::masked_cross_entropy;
    let gpu = wgpu_device().autodiff();
    let cpu = Device::flex().autodiff();
    let (batch, len, vocab) = (40, 9, 17);
    let logits = Tensor::<3>::random([len, batch, vocab], Distribution::Normal(0.0, 2.0), &cpu);
    let targets = Tensor::<2>::random([batch, len], Distribution::Uniform(0.0, vocab as f64), &cpu);
    let mask = Tensor::<2>::random([batch, len], Distribution::Bernoulli(0.8), &cpu);
    for smoothing in [0.0, 0.1] {
        eprintln!("smoothing {smoothing}");
        let run = |device: &Device| {
            let logits = logits.clone().to_device(device).detach().require_grad();
            let targets = targets.clone().to_device(device).int();
            let loss = masked_cross_entropy(
                logits.clone().swap_dims(0, 1),
                targets,
                mask.clone().to_device(device),
                smoothing,
            );
            let grads = (loss.clone() * 2.0).backward();
            let grad = logits.grad(&grads).expect("the scores' gradient");
            vec![loss.inner().into_data(), grad.reshape([-1]).into_data()]
        };
        let names = ["loss", "grad"];
        assert_each_close(run(&gpu), run(&cpu), &names, Tolerance::rel_abs(1e-4, 1e-5));
    }
}

/// A Transformer training on burn's wgpu runtime with dropout takes every dropout mask of a
/// pass from pooled draws (`model::transformer::dropout`): draws sized by `encoder_draws` +
/// `decoder_draws` are taken to the last one by a teacher-forced pass (every site, the
/// attention kernels' included, takes its mask from them; a miscounted size would leave draws
/// untaken or send a site to draw its own), and of more draws exactly the surplus is left.
#[cfg(feature = "wgpu")]
#[test]
fn gpu_transformer_dropout_takes_exactly_its_pooled_draws() {
    use seq2seq_playground::model::transformer::dropout::with_given_draws;
    use seq2seq_playground::model::{ModelKind, Seq2SeqConfig};
    use seq2seq_playground::train::seeded_init::init_seeded;
    let gpu = wgpu_device().autodiff();
    let config = Seq2SeqConfig::new(11, 13)
        .with_kind(ModelKind::Transformer)
        .with_embedding_size(16)
        .with_heads(4)
        .with_layers(2)
        .with_ff_size(24)
        .with_dropout(0.1);
    let model = init_seeded(&config, &gpu, 3)
        .transformer()
        .expect("a Transformer")
        .clone();
    let (batch, source_len, target_len) = (3, 5, 4);
    let source =
        Tensor::<2, Int>::from_data([[4, 5, 6, 7, 8], [4, 5, 6, 0, 0], [9, 9, 0, 0, 0]], &gpu);
    let source_mask = source.clone().greater_elem(0).float();
    let target = Tensor::<2, Int>::from_data([[1, 4, 5, 6], [1, 7, 0, 0], [1, 8, 9, 0]], &gpu);
    let size =
        model.encoder_draws(batch, source_len) + model.decoder_draws(batch, target_len, source_len);
    for extra in [0, 7] {
        let draws = Tensor::<1>::ones([size + extra], &gpu);
        let (output, usage) = with_given_draws(draws, 0.1, || {
            model.forward_all(source.clone(), source_mask.clone(), target.clone())
        });
        assert_eq!(usage.missed, 0, "sites that drew their own masks");
        assert_eq!(usage.left, extra, "draws left untaken");
        let logits: Vec<f32> = output.logits.into_data().iter::<f32>().collect();
        assert!(logits.iter().all(|v| v.is_finite()));
    }
}
