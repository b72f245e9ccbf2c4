#!/usr/bin/env bash
# Side by side in one headless Chromium: this playground's page and its TensorFlow.js peer
# (benches/peers/tfjs), the same default model on the same data, each backend of each side.
# Builds what it needs first: the page (scripts/build-web.sh), the native CLI (which writes the
# shared data), TF.js from npm into benches/peers/tfjs/node_modules, and the browser tools.
#   usage: benches/compare_tfjs.sh [peer-bench options, e.g. --windows 5 --no-time-to-95]
#   SEQ2SEQ_GPU=1 uses the machine's GPU instead of Chromium's software WebGPU.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v npm >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium nodejs npm >&2
fi
bash scripts/build-web.sh >&2
cargo build --release --quiet
# The shared data, initial weights and batch order: the default seeds, and seeds 1-5 for the
# time to 95% (override with SEEDS="1 2 3").
target/release/seq2seq-playground dataset > benches/peers/tfjs/data.json
seeds=${SEEDS:-1 2 3 4 5}
for seed in $seeds; do
  target/release/seq2seq-playground dataset --seed "$seed" > "benches/peers/tfjs/data-seed$seed.json"
done
(cd benches/peers/tfjs && npm ci --no-audit --no-fund --silent)  # TF.js from the npm registry
cd tests/browser
npm ci --no-audit --no-fund --silent
node peer-bench.mjs --seeds "$(echo $seeds | tr ' ' ,)" "$@"
# The native CPU bench and its PyTorch peer, in the same report.
cd ../..
if [ "${SKIP_TORCH:-0}" != 1 ]; then bash benches/compare_torch.sh 100; fi
