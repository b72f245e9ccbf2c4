#!/usr/bin/env bash
# Runs every test: formatting, lints, native unit + integration tests (CPU, burn's flex backend).
# Works on a fresh Debian machine with only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo test (native, CPU)"
cargo test

echo
echo "all tests passed"
