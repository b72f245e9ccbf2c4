#!/usr/bin/env bash
# Trains the default model (batch 32, embedding 32, hidden 64, GRU + additive attention, reverse
# lengths 8-12) with this project's CLI and with the PyTorch CPU peer, in one go, and prints both
# side by side with the ratio. Installs PyTorch from PyPI into benches/peers/.venv on first use.
#   usage: benches/compare_torch.sh [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100}
venv=benches/peers/.venv
if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  echo "installing PyTorch from PyPI into $venv (first run only)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch
fi
cargo build --release --quiet
ours=$(target/release/seq2seq-playground bench --json --steps "$steps")
theirs=$("$venv/bin/python" benches/peers/torch_seq2seq.py --steps "$steps")
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'implementation':<44} {'steps/s':>9} {'tokens/s':>10} {'threads':>8}")
for r in (ours, theirs):
    print(f"{r['impl']:<44} {r['steps_per_second']:>9.1f} {r['target_tokens_per_second']:>10.0f} {r['threads']:>8}")
ratio = ours["steps_per_second"] / theirs["steps_per_second"]
print(f"ratio seq2seq-playground / PyTorch: {ratio:.2f}x steps/s")
PY
