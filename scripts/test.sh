#!/usr/bin/env bash
# Builds rclab and runs every test suite in the release, ASan+UBSan and TSan
# presets, and the short fuzzer runs (clang, libFuzzer), installing what is
# missing first. Prints each stage's time. The long stress run is not here:
# `ctest --preset stress` (after `cmake --preset release` and a build).
#
# RCLAB_TEST_PRESETS="release" limits the presets (default: release asan tsan fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
start=$SECONDS
for preset in ${RCLAB_TEST_PRESETS:-release asan tsan fuzz}; do
  t0=$SECONDS
  echo "==== $preset: configure, build, test" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
  echo "==== $preset: $((SECONDS - t0)) s" >&2
done
echo "==== all presets: $((SECONDS - start)) s" >&2
