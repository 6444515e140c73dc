#!/usr/bin/env bash
# Builds rclab and runs every test suite in the release, ASan+UBSan and TSan
# presets, installing what is missing first. Prints each stage's time.
#
# RCLAB_TEST_PRESETS="release" limits the presets (default: release asan tsan).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
start=$SECONDS
for preset in ${RCLAB_TEST_PRESETS:-release asan tsan}; do
  t0=$SECONDS
  echo "==== $preset: configure, build, test" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
  echo "==== $preset: $((SECONDS - t0)) s" >&2
done
echo "==== all presets: $((SECONDS - start)) s" >&2
