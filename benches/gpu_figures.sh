#!/usr/bin/env bash
# Every GPU figure of the README's "Performance" in one command, for a machine with a GPU and no
# Rust toolchain (binaries built elsewhere with `cargo build --release --features wgpu`, and
# optionally `--features vulkan`), with python3 holding PyTorch (CUDA):
#   benches/gpu_figures.sh OUT_DIR WGPU_BIN [VULKAN_BIN]
# Writes OUT_DIR/figures.txt (every table, in the order run), OUT_DIR/runs.jsonl (each bench run
# as it came) and OUT_DIR/launches-*.json (kernel launches per step and the profiler's device
# time per kernel kind). Sections run most wanted
# first, each under its own time limit, so a slow one cannot take the rest with it.
#   BUDGET=seconds (default 420): a section gets at most what is left of it (its own limit
#   otherwise); sections that would start with under 20 s left are skipped, and say so.
#   TESTS_BIN=path: first run the GPU kernels' tests on this GPU (the test binary of
#   `cargo test --release --features wgpu --test recurrence --no-run`, the path cargo prints):
#   the hand-written kernels against burn's operations on the CPU, so that the figures after
#   them are of kernels that compute the right thing on this GPU too (ignored tests included).
set -uo pipefail
self=$(realpath "$0")
# `gpu_figures.sh --launches OUT MODEL BIN DEVICE` (what a section runs): kernel launches per
# step and the profiler's device time per kernel kind, as OUT/launches-DEVICE-MODEL.json and a
# summary of the kinds that take the most time
if [ "${1:-}" = --launches ]; then
  json=$2/launches-$5-$3.json
  "$4" bench --device "$5" --model "$3" --count-launches --json --warmup 2 --steps 5 >"$json" &&
    python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['impl']}: {r['model']}")
print(f"{r['launches_per_step']:.0f} launches per step, {r['launch_micros_per_step']:.0f} us of device time as profiled")
times = r["launch_micros_by_kind"]
for kind, n in sorted(r["launches_by_kind"].items(), key=lambda kv: -times[kv[0]])[:8]:
    print(f"  {n:>6.1f} launches {times[kind]:>9.1f} us  {kind}")
PY
  exit
fi
out=$(realpath -m "$1")
wgpu=$(realpath "$2")
vulkan=${3:+$(realpath "$3")}
cd "$(dirname "$self")/.."
mkdir -p "$out"
figures=$out/figures.txt
budget=${BUDGET:-420}
start=$(date +%s)
export TORCH_PYTHON=${TORCH_PYTHON:-python3}
# every bench run's JSON line, as it comes: what a section stopped at its limit had measured
export RAW_LOG=$out/runs.jsonl

say() { echo "$*" | tee -a "$figures"; }
# section TITLE LIMIT_S COMMAND...: runs it within its limit and the budget, its output into
# figures.txt
section() {
  local title=$1 limit=$2 elapsed
  shift 2
  elapsed=$(($(date +%s) - start))
  say ""
  say "## $title"
  if [ $((budget - elapsed)) -lt 20 ]; then
    say "(skipped: ${elapsed} s of the ${budget} s budget spent)"
    return
  fi
  [ $((budget - elapsed)) -lt "$limit" ] && limit=$((budget - elapsed))
  say "\$ $*"
  timeout "$limit" "$@" 2>>"$out/stderr.txt" | tee -a "$figures"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || say "(exit $rc$([ "$rc" = 124 ] && echo ": stopped at its ${limit} s limit"))"
}
say "# GPU figures, $(date -u '+%Y-%m-%d %H:%M UTC')"
say "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)"
say "$(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
# which adapter wgpu has here (a software one would make every figure below meaningless)
say "$("$wgpu" bench --device wgpu --warmup 0 --steps 1 2>&1 | grep -m1 'wgpu adapters here' || echo 'no wgpu adapter found')"
say "$("$TORCH_PYTHON" -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.cuda.is_available())' 2>&1)"

if [ -n "${TESTS_BIN:-}" ]; then
  # --include-ignored: any test ignored for a software adapter runs on the GPU too
  section "the GPU kernels' tests on this GPU (tests/recurrence.rs)" 120 "$TESTS_BIN" --test-threads 1 --include-ignored
fi
# the large model's gradients on this GPU against the CPU's, end to end (plain SGD from the same
# weights: a weight moves by the learning rate times its gradient)
section "the large model on this GPU against the CPU: bench --crosscheck 2 (weights after each step)" 90 \
  "$wgpu" bench --device wgpu --model large --crosscheck 2 --warmup 1 --steps 1
export OURS_BIN=$wgpu TORCH_DEVICE=cpu,cuda
section "default model: flex, wgpu (WGSL), PyTorch CPU and CUDA" 150 \
  env RUNS=5 benches/compare_torch.sh 100 --device cpu,wgpu --model default
section "large model: flex, wgpu (WGSL), PyTorch CPU and CUDA (CPU sides run 5 steps)" 150 \
  env RUNS=3 WARMUP=5 CPU_STEPS=5 CPU_WARMUP=1 benches/compare_torch.sh 30 --device cpu,wgpu --model large
section "large model: batch rows per cube of the recurrent kernels (wgpu; same losses)" 150 \
  benches/rows_per_cube.sh "$wgpu" large 20 3 1 2 3 4
# what the steps above are made of (after the figures issue 9 is judged by: default and large
# model steps/s, and the rows rule's sweep)
for model in default large transformer; do
  section "launches per step on this GPU: $model (wgpu, WGSL)" 60 "$self" --launches "$out" "$model" "$wgpu" wgpu
done
for model in default transformer; do
  section "PyTorch CUDA kernels per step: $model (torch.profiler; its steps/s are not a benchmark)" 60 \
    "$TORCH_PYTHON" benches/peers/torch_seq2seq.py --device cuda --model "$model" --warmup 3 \
    --steps 5 --count-kernels
done
# the PyTorch twin of the Transformer, where this checkout's twin has one
twin=none
"$TORCH_PYTHON" benches/peers/torch_seq2seq.py --help 2>/dev/null | grep -q transformer && twin=cpu,cuda
section "Transformer: flex, wgpu (WGSL), PyTorch ($twin)" 120 \
  env RUNS=3 TORCH_DEVICE=$twin benches/compare_torch.sh 100 --device cpu,wgpu --model transformer
if [ -n "$vulkan" ]; then
  export OURS_BIN=$vulkan TORCH_DEVICE=cuda
  section "default model: vulkan (SPIR-V) next to PyTorch CUDA" 90 \
    env RUNS=3 benches/compare_torch.sh 100 --device vulkan --model default
  section "large model: vulkan (SPIR-V) next to PyTorch CUDA" 90 \
    env RUNS=3 WARMUP=5 benches/compare_torch.sh 30 --device vulkan --model large
  for model in default large; do
    section "launches per step on this GPU: $model (vulkan, SPIR-V)" 60 "$self" --launches "$out" "$model" "$vulkan" vulkan
  done
fi
say ""
say "(done in $(($(date +%s) - start)) s)"
