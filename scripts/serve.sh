#!/usr/bin/env bash
# Builds the playground page and serves it on http://localhost:8080.
set -euo pipefail
echo "The playground page is coming (see the open page issue); meanwhile try the CLI:"
echo "  cargo run --release -- train --task reverse --steps 1500"
