#!/usr/bin/env bash
# rclab's main job on a fresh Debian 12 machine: install what is missing,
# build the release preset, run the default sweep (every configuration and
# the machine's ceiling at 1, 2 and 4 threads, fib(25), each until its
# median is known to +-3%; the README says how long it takes) into
# results/latest/default.jsonl, and write its report.md, report.html and
# plots next to it.
#
# RCLAB_PRESET=timeline runs the Gilectomy timeline instead. An interrupted
# run keeps its finished points; running this again resumes it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target rclab

preset=${RCLAB_PRESET:-default}
out=results/latest/$preset.jsonl
rclab=build/release/experiments/rclab
if [ -s "$out" ]; then
  $rclab sweep --preset "$preset" --resume || status=$?
else
  $rclab sweep --preset "$preset" || status=$?
fi
# A failed point (exit 1) is in the file and shows in the report; anything
# else (bad input, interrupted) stops here.
[ "${status:-0}" -le 1 ] || exit "$status"
$rclab system
$rclab report "$out" -o results/latest
exit "${status:-0}"
