#!/usr/bin/env bash
# Runs every test: formatting, clippy, native unit + integration tests (CPU, burn's flex backend),
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

# Clippy runs as the compiler of this crate inside the builds the tests need anyway, as
# `cargo clippy` itself does (RUSTC_WORKSPACE_WRAPPER=clippy-driver, `-D warnings` passed in
# CLIPPY_ARGS), without its separate check build of every dependency: lib, bin and test targets
# while `cargo test` compiles them, the browser-only code while the wasm is built. This saves
# about 7 minutes of a clean CI run on 2 cores. Dependencies are compiled as usual.
with_clippy() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

browser_prerequisites() {
  command -v chromium >/dev/null 2>&1 || apt_install chromium fonts-noto-cjk fonts-dejavu-core
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  chromium --version
}

# On a fresh machine most of this run is compiling: the native tests, wasm-bindgen-cli and the
# page's wasm. One cargo build leaves a core idle through its long single-crate stretches (burn's
# crates, this crate), so the page's build (its own target directory lock:
# target/wasm32-unknown-unknown) and the browser prerequisites (apt) run in the background beside
# the native tests; their logs are printed when they are waited for.
mkdir -p target
background() { # name, command...: runs the command in the background, output to target/ci-NAME.log
  local name=$1
  shift
  "$@" >"target/ci-$name.log" 2>&1 &
  eval "pid_$name=$!"
}
await() { # name, title: waits for a background job, prints its log, fails the run if it failed
  local name=$1 title=$2 pid status=0
  pid=$(eval "echo \$pid_$name")
  step "$title"
  wait "$pid" || status=$?
  cat "target/ci-$name.log"
  [ "$status" -eq 0 ] || { echo "$title failed (exit $status)"; exit "$status"; }
}
background prerequisites browser_prerequisites
background web with_clippy bash scripts/build-web.sh

step "cargo test (native, CPU), compiled through clippy -D warnings"
with_clippy cargo test

await prerequisites "browser test prerequisites"
await web "build the page (wasm), compiled through clippy -D warnings"

step "browser tests (headless Chromium)"
(cd tests/browser && npm ci --no-audit --no-fund --silent && npm test)

echo
echo "all tests passed"
