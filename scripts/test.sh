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
  # -- skips (tests/skip_report.py): every test this preset skipped, with its
  #    reason and the condition (tests/conditions.py) that would run it.
  /usr/bin/python3 tests/skip_report.py "build/$preset" >&2
done
echo "==== all presets: $((SECONDS - start)) s" >&2
# -- skips of every preset, once more at the end (fails when a test skipped
#    whose condition this machine meets).
skip_dirs=()
for preset in ${RCLAB_TEST_PRESETS:-release asan tsan fuzz}; do skip_dirs+=("build/$preset"); done
echo "==== skipped tests, all presets" >&2
/usr/bin/python3 tests/skip_report.py "${skip_dirs[@]}" >&2
