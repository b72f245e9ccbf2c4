#!/usr/bin/env bash
# Builds the page's WebAssembly into pkg/: adds the wasm32 target if missing, installs
# wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock if missing, builds the
# wasm (the `web` profile: release, CubeCL kernel generators for size) and runs wasm-bindgen
# --target web (without the name section).
# Nothing is downloaded from outside the package registries.
# The wasm build has its own target dir (target/web, or CARGO_TARGET_DIR): cargo locks a target
# dir for a whole build, and `scripts/test.sh` builds the page beside the native tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/web}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "installing wasm-bindgen-cli $version (the version in Cargo.lock)"
  # --locked first; if the registry lacks one of the versions wasm-bindgen-cli's own lockfile
  # pins (seen here: webpki-roots 1.0.11), the same exact wasm-bindgen-cli version is installed
  # with its dependencies resolved afresh.
  # (Not linted: a clippy wrapper set by scripts/test.sh is for this crate only.)
  # Only the `wasm-bindgen` binary, without default features (rustls for the test runner's
  # downloads): 211 s instead of 247 s on 2 cores (2026-11-29, one run each).
  install() {
    env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS -u CARGO_TARGET_DIR \
      cargo install --no-default-features --bin wasm-bindgen "$@"
  }
  install --locked wasm-bindgen-cli --version "$version" ||
    install wasm-bindgen-cli --version "$version"
fi

cargo build --profile web --lib --target wasm32-unknown-unknown
# Without the name section (function names for stack traces: 7.5 MB raw, 0.9 MB of the
# brotli-compressed module); SEQ2SEQ_WASM_NAMES=1 keeps it for debugging. A panic's message is
# shown by the panic hook either way.
names=(--remove-name-section)
[ "${SEQ2SEQ_WASM_NAMES:-0}" = 1 ] && names=()
wasm-bindgen --target web --no-typescript --remove-producers-section "${names[@]}" --out-dir pkg \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/web/seq2seq_playground.wasm"

# wasm-opt is opt-in (WASM_OPT=1, with Debian's binaryen): on this module -O2 took 2 minutes and
# made the brotli-compressed module larger, 3.20 MB against 3.00 (README, "Shipped size").
if [ "${WASM_OPT:-0}" = 1 ]; then
  echo "shrinking pkg/seq2seq_playground_bg.wasm with wasm-opt"
  wasm-opt -O2 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
    pkg/seq2seq_playground_bg.wasm -o pkg/seq2seq_playground_bg.opt.wasm
  mv pkg/seq2seq_playground_bg.opt.wasm pkg/seq2seq_playground_bg.wasm
fi
ls -l pkg/
