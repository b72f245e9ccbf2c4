#!/usr/bin/env bash
# Builds the page's WebAssembly into pkg/: adds the wasm32 target if missing, installs
# wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock if missing, builds the
# release wasm, runs wasm-bindgen --target web, and shrinks it with wasm-opt when available.
# Nothing is downloaded from outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

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
  install() { env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS cargo install "$@"; }
  install --locked wasm-bindgen-cli --version "$version" ||
    install wasm-bindgen-cli --version "$version"
fi

cargo build --release --lib --target wasm32-unknown-unknown
wasm-bindgen --target web --no-typescript --out-dir pkg \
  target/wasm32-unknown-unknown/release/seq2seq_playground.wasm

if [ "${SKIP_WASM_OPT:-0}" != 1 ] && command -v wasm-opt >/dev/null 2>&1; then
  echo "shrinking pkg/seq2seq_playground_bg.wasm with wasm-opt"
  wasm-opt -O2 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    pkg/seq2seq_playground_bg.wasm -o pkg/seq2seq_playground_bg.opt.wasm
  mv pkg/seq2seq_playground_bg.opt.wasm pkg/seq2seq_playground_bg.wasm
else
  echo "note: wasm-opt not found (Debian: apt-get install binaryen) or skipped; pkg/ is not size-optimised"
fi
ls -l pkg/
