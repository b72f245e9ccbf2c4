#!/usr/bin/env bash
# Prepares, on this machine (no GPU needed), everything the one device call of
# `benches/device/on_gpu.sh` carries to a lent GPU machine (which has no Rust toolchain and no
# Vulkan loader):
#   .device/seq2seq-playground.xz  the release binary with burn's `wgpu` feature, stripped
#   .device/recurrence.xz          the GPU kernels' test binary (tests/recurrence.rs), stripped
#   .gl/*.deb                      the Vulkan/GL loaders (Debian amd64 packages, from apt)
# Both folders are ignored (.gitignore), so the call names them in `carry`. Prints the call to
# make. About 2-4 minutes with a warm target/.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .device .gl
cargo build --release --features wgpu
tests_bin=$(cargo test --release --features wgpu --test recurrence --no-run --message-format=json |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "recurrence":
        print(m["executable"])')
[ -x "$tests_bin" ] || { echo "no test binary for tests/recurrence.rs" >&2; exit 1; }
pack() {
  strip -o .device/"$2" "$1"
  xz -T0 -6 -f .device/"$2"
}
pack target/release/seq2seq-playground seq2seq-playground
pack "$tests_bin" recurrence
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  # the device tool's README: the loaders for an amd64 machine, whatever this one's processor
  mkdir -p /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq
  (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sh .device .gl
cat <<'CALL'
Now, with the device tool (one call; about 8 minutes of the 15 with the machine's start):
  run(command: "bash benches/device/on_gpu.sh", carry: [".device", ".gl"], timeout_s: 560)
then give_back, and put the figures it returns (figures.txt) into the README with the date and
the machine.
CALL
