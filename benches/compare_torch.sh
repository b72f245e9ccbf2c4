#!/usr/bin/env bash
# This project's native bench against the identical PyTorch model, alternating runs of the sides
# (RUNS of each, default 5), and prints each side's median and min-max steps/s, the threads each
# side really used, and the ratio of medians. Installs PyTorch from PyPI into
# benches/peers/.venv on first use.
#   usage: benches/compare_torch.sh [steps] [--device cpu|wgpu|cpu,wgpu] [--model default|large]
#   RUNS=7 TORCH_THREADS=1 TORCH_DEVICE=cuda benches/compare_torch.sh 100 --device cpu,wgpu
# --device wgpu builds this side with the `wgpu` feature (burn's wgpu runtime natively); a comma
# list runs this side once per device in each round (flex and wgpu next to PyTorch).
# OURS_BIN=path uses a binary built before (e.g. carried to a GPU machine) instead of building.
# WARMUP=n untimed steps before the timed ones on every side (default 10).
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
venv=benches/peers/.venv
if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  echo "installing PyTorch from PyPI into $venv (first run only)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch
fi
IFS=, read -r -a devices <<< "$device"
ours=${OURS_BIN:-}
if [ -z "$ours" ]; then
  features=()
  [[ ",$device," == *,wgpu,* ]] && features=(--features wgpu)
  cargo build --release --quiet "${features[@]}"
  ours=target/release/seq2seq-playground
fi
results=$(mktemp)
for i in $(seq "$runs"); do
  echo "run $i/$runs" >&2
  for d in "${devices[@]}"; do
    "$ours" bench --json --steps "$steps" --warmup "${WARMUP:-10}" --device "$d" --model "$model" | sed "s/^/ours-$d /" >> "$results"
  done
  "$venv/bin/python" benches/peers/torch_seq2seq.py --steps "$steps" --warmup "${WARMUP:-10}" --model "$model" \
    --threads "${TORCH_THREADS:-0}" --device "${TORCH_DEVICE:-cpu}" | sed 's/^/torch /' >> "$results"
done
python3 - "$results" "$(date -u +%Y-%m-%d)" "$(nproc)" <<'PY'
import json, statistics, sys
rows = [line.split(" ", 1) for line in open(sys.argv[1])]
sides = {}
for side, text in rows:
    sides.setdefault(side, []).append(json.loads(text))
ours = [s for s in sides if s.startswith("ours-")]
print(f"{sys.argv[2]}, {sys.argv[3]} CPUs; {len(sides['torch'])} alternating runs of each side, {sides['torch'][0]['steps']} steps each")
print(f"{'implementation':<46} {'steps/s median (min-max)':>26} {'threads':>8}")
med = {}
for side, runs in sides.items():
    rates = [r["steps_per_second"] for r in runs]
    med[side] = statistics.median(rates)
    print(f"{runs[0]['impl']:<46} {med[side]:>10.1f} ({min(rates):.1f}-{max(rates):.1f})      {runs[0]['threads']:>8}")
for side in ours:
    ratios = [o["steps_per_second"] / t["steps_per_second"] for o, t in zip(sides[side], sides["torch"])]
    print(f"ratio seq2seq-playground ({side[5:]}) / PyTorch: {med[side] / med['torch']:.2f}x (medians); run by run {min(ratios):.2f}-{max(ratios):.2f}x")
PY
rm -f "$results"
