#!/usr/bin/env bash
# Builds the playground and serves it on http://localhost:8080 (PORT=... to change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh
cargo run --release --quiet -- serve --port "${PORT:-8080}" --root .
