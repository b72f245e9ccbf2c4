#!/usr/bin/env bash
# This project's native bench against the identical PyTorch model, alternating runs of the sides
# (RUNS of each, default 5), and prints each side's median and min-max steps/s, the threads each
# side really used, and the ratio of medians. Installs PyTorch from PyPI into
# benches/peers/.venv on first use.
#   usage: benches/compare_torch.sh [steps] [--device cpu|wgpu|vulkan|cpu,wgpu]
#                                   [--model default|large|transformer]
#   RUNS=7 TORCH_THREADS=1 TORCH_DEVICE=cpu,cuda benches/compare_torch.sh 100 --device cpu,wgpu
# --device wgpu builds this side with the `wgpu` feature (burn's wgpu runtime natively; `vulkan`
# with the `vulkan` feature); a comma list runs this side once per device in each round (flex and
# wgpu next to PyTorch), and TORCH_DEVICE=cpu,cuda likewise runs PyTorch once per device.
# OURS_BIN=path uses a binary built before (e.g. carried to a GPU machine) instead of building.
# TORCH_DEVICE=none leaves PyTorch out (this crate's devices alone, e.g. for a model without a twin).
# TORCH_PYTHON=python3 uses a Python that already has PyTorch (e.g. a GPU machine's) instead of
# benches/peers/.venv.
# WARMUP=n untimed steps before the timed ones on every side (default 10).
# RAW_LOG=file also appends every run's JSON line there as it comes (kept if the bench is stopped).
# CPU_STEPS=n, CPU_WARMUP=n: fewer steps for the CPU sides (flex and PyTorch on the CPU), for a
# model too large to run `steps` of them in reasonable time; steps/s stays comparable.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100}
shift || true
device=cpu
model=default
while [ $# -gt 0 ]; do
  case $1 in
    --device) device=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
runs=${RUNS:-5}
python=${TORCH_PYTHON:-benches/peers/.venv/bin/python}
if [ -z "${TORCH_PYTHON:-}" ] && [ "${TORCH_DEVICE:-}" != none ] && ! "$python" -c 'import torch' 2>/dev/null; then
  venv=benches/peers/.venv
  echo "installing PyTorch from PyPI into $venv (first run only)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch
fi
IFS=, read -r -a devices <<< "$device"
IFS=, read -r -a torch_devices <<< "${TORCH_DEVICE:-cpu}"
[ "${TORCH_DEVICE:-}" = none ] && torch_devices=()  # this crate's sides alone
# the steps a side runs: fewer on the CPU when CPU_STEPS says so
steps_on() { if [ "$1" = cpu ]; then echo "${CPU_STEPS:-$steps}"; else echo "$steps"; fi; }
warmup_on() { if [ "$1" = cpu ]; then echo "${CPU_WARMUP:-${WARMUP:-10}}"; else echo "${WARMUP:-10}"; fi; }
ours=${OURS_BIN:-}
if [ -z "$ours" ]; then
  features=()
  [[ ",$device," == *,wgpu,* ]] && features=(--features wgpu)
  [[ ",$device," == *,vulkan,* ]] && features=(--features vulkan)
  cargo build --release --quiet "${features[@]}"
  ours=target/release/seq2seq-playground
fi
results=$(mktemp)
for i in $(seq "$runs"); do
  echo "run $i/$runs" >&2
  for d in "${devices[@]}"; do
    "$ours" bench --json --steps "$(steps_on "$d")" --warmup "$(warmup_on "$d")" --device "$d" \
      --model "$model" | sed "s/^/ours-$d /" | tee -a "${RAW_LOG:-/dev/null}" >> "$results"
  done
  for d in "${torch_devices[@]+"${torch_devices[@]}"}"; do
    "$python" benches/peers/torch_seq2seq.py --steps "$(steps_on "$d")" --warmup "$(warmup_on "$d")" \
      --model "$model" --threads "${TORCH_THREADS:-0}" --device "$d" | sed "s/^/torch-$d /" | tee -a "${RAW_LOG:-/dev/null}" >> "$results"
  done
done
python3 - "$results" "$(date -u +%Y-%m-%d)" "$(nproc)" <<'PY'
import json, statistics, sys
rows = [line.split(" ", 1) for line in open(sys.argv[1])]
sides = {}
for side, text in rows:
    sides.setdefault(side, []).append(json.loads(text))
ours = [s for s in sides if s.startswith("ours-")]
torch = [s for s in sides if s.startswith("torch-")]
runs = len(sides[ours[0]])
print(f"{sys.argv[2]}, {sys.argv[3]} CPUs; {runs} alternating runs of each side; model: {sides[ours[0]][0]['model']}")
print(f"{'implementation':<46} {'steps/s median (min-max)':>26} {'steps':>6} {'threads':>8}")
med = {}
for side, results in sides.items():
    rates = [r["steps_per_second"] for r in results]
    med[side] = statistics.median(rates)
    spread = f"{med[side]:>10.1f} ({min(rates):.1f}-{max(rates):.1f})"
    print(f"{results[0]['impl']:<46} {spread:>26} {results[0]['steps']:>6} {results[0]['threads']:>8}")
for side in ours:
    for peer in torch:
        ratios = [o["steps_per_second"] / t["steps_per_second"] for o, t in zip(sides[side], sides[peer])]
        print(f"ratio seq2seq-playground ({side[5:]}) / PyTorch ({peer[6:]}): {med[side] / med[peer]:.2f}x (medians); run by run {min(ratios):.2f}-{max(ratios):.2f}x")
PY
rm -f "$results"
