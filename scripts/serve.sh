#!/usr/bin/env bash
# Builds the playground and serves it on http://localhost:8080 (PORT=... to change).
# The server is its own small package (tools/serve: std, brotli, flate2), built in seconds, so
# serving never waits on a native build of the training stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh

echo "building the static server (tools/serve)"
cargo build --release --quiet --manifest-path tools/serve/Cargo.toml --target-dir target/serve
server=target/serve/release/seq2seq-serve

shipped=(index.html www/*.js www/*.css pkg/*.js pkg/*.wasm)
echo "writing brotli and gzip copies of the shipped files (the module takes a minute or two)"
"$server" precompress "${shipped[@]}"
"$server" sizes "${shipped[@]}"
exec "$server" --port "${PORT:-8080}" --root .
