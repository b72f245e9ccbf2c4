#!/usr/bin/env bash
# Runs every test: formatting, clippy, native unit + integration tests (CPU, burn's flex backend),
# then the page in headless Chromium (software WebGPU, and the CPU fallback).
# Works on a fresh Debian machine with only the Rust toolchain: it installs what it needs
# (Debian's chromium and Node.js when missing, the wasm32 target, wasm-bindgen-cli).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> [%4d s] %s\n' "$SECONDS" "$*"; }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path tools/serve/Cargo.toml -- --check

# Clippy runs as the compiler of this crate inside the builds the tests need anyway, as
# `cargo clippy` itself does (RUSTC_WORKSPACE_WRAPPER=clippy-driver, `-D warnings` passed in
# CLIPPY_ARGS), without its separate check build of every dependency: lib, bin and test targets
# while `cargo test` compiles them, the browser-only code while the wasm is built. This saves
# about 7 minutes of a clean CI run on 2 cores. Dependencies are compiled as usual.
with_clippy() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}

# The page's wasm builds in the background (its own target dir, target/web) while the native
# tests build and run: on 2 cores the two builds fill each other's serial stretches (single long
# crates, links, the tests' own run), and apt fetches Chromium while the page still builds. (On
# a failing native test the script stops and kills the background build's script; its cargo may
# run on to the end.)
step "build the page (wasm) in the background, compiled through clippy -D warnings"
mkdir -p target
web_log=target/web-build.log
with_clippy bash scripts/build-web.sh >"$web_log" 2>&1 &
web_build=$!
trap 'kill "$web_build" 2>/dev/null || true' EXIT
echo "pid $web_build, log in $web_log"

step "cargo test (native, CPU), compiled through clippy -D warnings"
with_clippy cargo test

step "the static server (tools/serve): cargo test through clippy -D warnings"
with_clippy cargo test --manifest-path tools/serve/Cargo.toml --target-dir target/serve

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
# npm's packages (playwright-core) while the page may still be building
(cd tests/browser && npm ci --no-audit --no-fund --silent)

step "wait for the page's build"
if ! wait "$web_build"; then
  cat "$web_log"
  echo "building the page failed (log above)"
  exit 1
fi
trap - EXIT
tail -n 12 "$web_log"

step "browser tests (headless Chromium)"
(cd tests/browser && npm test)

echo
echo "all tests passed in $SECONDS s"
