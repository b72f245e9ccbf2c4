#!/usr/bin/env bash
# Steps/s of one model on a wgpu adapter for several counts of batch rows per cube of the
# recurrent kernels (`bench --rows-per-cube`; the results are the same bit for bit, only how the
# work is shared out changes), alternating the counts run by run, with the median (min-max) of
# each and the last loss (which must agree across counts).
#   usage: benches/rows_per_cube.sh BIN MODEL STEPS RUNS ROWS...
#   e.g.   benches/rows_per_cube.sh target/release/seq2seq-playground large 20 3 1 2 4
# BIN: the CLI built with `--features wgpu`. A software adapter (lavapipe) says nothing about a
# GPU's figures; on one the large model takes about a minute a step. WARMUP=n (default 2):
# untimed steps a run; BENCH_ARGS="--hidden 256 ...": more `bench` flags.
set -euo pipefail
warmup=${WARMUP:-2}
bin=$1 model=$2 steps=$3 runs=$4
shift 4
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, adapter: wgpu's default; model $model, $steps steps a run ($warmup warm-up), $runs runs per count, alternating"
results=$(mktemp)
for ((run = 1; run <= runs; run++)); do
  for rows in "$@"; do
    "$bin" bench --device wgpu --model "$model" --rows-per-cube "$rows" --warmup "$warmup" \
      --steps "$steps" ${BENCH_ARGS:-} --json 2>/dev/null >>"$results"
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
by_rows = {}
for r in runs:
    by_rows.setdefault(r["rows_per_cube"], []).append(r)
print(f"{'rows asked':>10}  {'rows used':>9}  {'steps/s median (min-max)':>26}  last loss")
for rows, rs in by_rows.items():
    rates = [r["steps_per_second"] for r in rs]
    losses = sorted({r["last_loss"] for r in rs})
    # a request past what the device's shared memory holds is capped (bench's rows_per_cube_used)
    used = sorted({"-".join(map(str, sorted(set(r.get("rows_per_cube_used") or [])))) or "?" for r in rs})
    print(f"{rows:>10}  {', '.join(used):>9}  {statistics.median(rates):>10.4g} ({min(rates):.4g}-{max(rates):.4g})      {', '.join(map(str, losses))}")
print(f"({runs[0]['model']})")
PY
rm -f "$results"
