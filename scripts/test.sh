#!/usr/bin/env bash
# Runs every test: formatting, lints, native unit + integration tests (CPU, burn's flex backend),
# then the page in headless Chromium (software WebGPU, and the CPU fallback).
# Works on a fresh Debian machine with only the Rust toolchain: it installs what it needs
# (Debian's chromium and Node.js when missing, the wasm32 target, wasm-bindgen-cli).
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

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

step "browser test prerequisites"
command -v chromium >/dev/null 2>&1 || apt_install chromium fonts-noto-cjk fonts-dejavu-core
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
chromium --version

step "build the page (wasm)"
bash scripts/build-web.sh

step "cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings (the browser-only code)"
cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings

step "browser tests (headless Chromium)"
(cd tests/browser && npm ci --no-audit --no-fund --silent && npm test)

echo
echo "all tests passed"
