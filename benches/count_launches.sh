#!/usr/bin/env bash
# GPU kernel launches per training step, per model, counted with cubecl's profiler log on
# whatever wgpu adapter the machine has (a software one such as Mesa's lavapipe counts the same
# kernels as a GPU: `apt-get install mesa-vulkan-drivers` on a machine without a GPU). Builds the
# CLI with the `wgpu` feature (burn's wgpu runtime with fusion, WGSL shaders: the page's build)
# and prints a Markdown table: launches per step and steps/s on that adapter (a software adapter's
# steps/s say nothing about a GPU). The device is capped at the page's 10 storage buffers per
# shader (what Chromium's WebGPU gives; native adapters allow more, and burn's fusion then fuses
# larger kernels than in the page): STORAGE_BUFFERS=0 counts uncapped.
#   usage: benches/count_launches.sh [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-5}
cargo build --release --quiet --features wgpu
bin=target/release/seq2seq-playground
echo "| model | cell | attention | launches per step | top kinds |"
echo "| --- | --- | --- | --- | --- |"
row() {
  local model=$1 cell=$2 attention=$3 dropout=${4:-} n=$steps
  # the large model's launches are the default's structure; a software adapter is slow on it
  [ "$model" = large ] && n=1
  local json
  local cap=()
  [ "${STORAGE_BUFFERS:-10}" = 0 ] || cap=(--storage-buffers "${STORAGE_BUFFERS:-10}")
  [ -n "$dropout" ] && cap+=(--dropout "$dropout")
  json=$("$bin" bench --device wgpu --count-launches --json --warmup 1 --steps "$n" \
    --model "$model" --cell "$cell" --attention "$attention" "${cap[@]}" 2>/dev/null)
  python3 - "$model" "$cell" "$attention" "$json" "$dropout" <<'PY'
import json, sys
model, cell, attention, text, dropout = sys.argv[1:]
r = json.loads(text)
kinds = sorted(r["launches_by_kind"].items(), key=lambda kv: -kv[1])[:4]
top = ", ".join(f"{k} {v:.0f}" for k, v in kinds)
if model == "transformer":
    cell = attention = "-"
if dropout:
    model = f"{model} (dropout {dropout})"
print(f"| {model} | {cell} | {attention} | **{r['launches_per_step']:.0f}** | {top} |")
PY
}
row default gru additive
for cell in rnn lstm; do row default "$cell" additive; done
for attention in none dot general; do row default gru "$attention"; done
if [ "${LARGE:-1}" = 1 ]; then row large gru additive; fi  # LARGE=0 skips it (slow on software)
row transformer gru additive  # (cell and attention are the RNN's: not read by a Transformer)
row transformer gru additive 0.1  # the page's default dropout (the bench's Transformer has none)
