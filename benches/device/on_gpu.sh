#!/usr/bin/env bash
# Runs on a lent GPU machine (the device tool), in the carried working tree: installs the Vulkan
# loader carried in .gl/ where the machine lacks one, unpacks the binaries that
# `benches/device/prepare.sh` put into .device/, and runs `benches/gpu_figures.sh` with the GPU
# kernels' tests first. Its files (figures.txt, runs.jsonl, launches-*.json, stderr.txt) go to
# $OUT (or to the folder given as the first argument).
#   BUDGET=seconds for gpu_figures.sh (default 450: the call's 560 s less the unpacking and a
#   margin). Also runs on a machine that has a Vulkan loader (e.g. lavapipe here, to try it).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:?set OUT or give an output folder}}
mkdir -p "$out"
if ! ldconfig -p | grep -q libvulkan; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
bin=$(mktemp -d)
for name in seq2seq-playground recurrence; do
  xz -dc ".device/$name.xz" >"$bin/$name" && chmod +x "$bin/$name" || { echo "no .device/$name.xz: run benches/device/prepare.sh" >&2; exit 1; }
done
BUDGET=${BUDGET:-450} TESTS_BIN=$bin/recurrence benches/gpu_figures.sh "$out" "$bin/seq2seq-playground"
