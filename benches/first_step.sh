#!/usr/bin/env bash
# Where the page's first WebGPU training step spends its time: builds the page, then loads it in
# fresh headless Chromium profiles and traces the first step (tests/browser/first-step-bench.mjs):
# wall time, CPU seconds per Chromium process, compute pipelines created and their creation time
# per kernel family. Without a GPU the adapter is Chromium's software SwiftShader.
#   benches/first_step.sh [--runs N] [--tiny] [--compare DIR]
# --compare DIR: a copy of another build of the page (its index.html, www/ and pkg/), whose
# loads alternate with this build's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh >/dev/null
(cd tests/browser && npm ci --no-audit --no-fund --silent && node first-step-bench.mjs "$@")
