#!/usr/bin/env bash
# Shipped bytes (raw, gzip, brotli) of every file the page loads, and the time from navigation
# to the first training step per backend, in one command:
#   benches/size_and_load.sh [--runs N] [--backends cpu,webgpu] [--compare DIR]
# --compare DIR: a copy of another build of the page (its index.html, www/ and pkg/), whose
# sizes are printed too and whose loads alternate with this build's.
# Builds the page (scripts/build-web.sh) and the static server, writes the brotli/gzip copies the
# server sends, prints the sizes, then loads the page in headless Chromium (tests/browser/
# load-bench.mjs). Without a GPU, "webgpu" is Chromium's software SwiftShader adapter.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh >/dev/null
cargo build --release --quiet --manifest-path tools/serve/Cargo.toml --target-dir target/serve
server=target/serve/release/seq2seq-serve
shipped=(index.html www/*.js www/*.css pkg/*.js pkg/*.wasm)
"$server" precompress "${shipped[@]}"
echo "shipped files, $(date -u +%F), $(nproc) CPUs ($(uname -m))"
"$server" sizes "${shipped[@]}"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = --compare ]; then
    other=${args[$((i + 1))]}
    echo
    echo "shipped files of $other"
    (cd "$other" && "$OLDPWD/$server" precompress "${shipped[@]}" && "$OLDPWD/$server" sizes "${shipped[@]}")
  fi
done
echo
(cd tests/browser && npm ci --no-audit --no-fund --silent && node load-bench.mjs "$@")
