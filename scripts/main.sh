#!/usr/bin/env bash
# rclab's main job on a fresh Debian 12 machine: install what is missing,
# build the release preset, and run every configuration at 1 and 2 threads
# on fib(30), 3 repeats each, writing one JSON record per run to
# results/latest/runs.jsonl and a summary table to stdout.
#
# Environment: RCLAB_N (default 30), RCLAB_THREADS (default "1 2"),
# RCLAB_REPEAT (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target rclab

n=${RCLAB_N:-30}
threads=${RCLAB_THREADS:-"1 2"}
repeat=${RCLAB_REPEAT:-3}
out=results/latest
mkdir -p "$out"
runs="$out/runs.jsonl"
: >"$runs.tmp"

configs=$(build/release/experiments/rclab list | awk '!/refused/ {print $1}')
for c in $configs; do
  for t in $threads; do
    for r in $(seq "$repeat"); do
      echo "run: --config $c --threads $t --n $n (repeat $r/$repeat)" >&2
      build/release/experiments/rclab run --config "$c" --threads "$t" --n "$n" --json >>"$runs.tmp"
    done
  done
done
mv "$runs.tmp" "$runs"
/usr/bin/python3 tools/summarize.py "$runs"
