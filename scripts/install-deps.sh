#!/usr/bin/env bash
# Installs exactly the Debian 12 packages rclab builds, tests and plots with.
# Does nothing (and needs no network or root) when they are all present.
# Every other script goes through this one; add a package here the moment
# the code starts using it, never by hand on a machine.
set -euo pipefail

packages=(
  cmake              # build (3.25 on Debian 12)
  g++                # C++20 compiler (12.2)
  ccache             # CMakeLists.txt  compiler cache (~/.cache/ccache): the four presets of a clean clone reuse earlier builds
  libgtest-dev       # tests/        GoogleTest 1.12
  libbenchmark-dev   # bench/        Google Benchmark 1.7.1
  libcli11-dev       # experiments/  command-line parsing of the rclab driver
  nlohmann-json3-dev # experiments/  run records (JSON)
  systemtap-sdt-dev  # common/       <sys/sdt.h>: USDT probes for perf and bpftrace
  libtbb-dev         # obmalloc/     TBB's scalable_malloc (libtbbmalloc) backend
  libjemalloc-dev    # obmalloc/     jemalloc backend (its own binaries: it replaces malloc)
  libmimalloc-dev    # obmalloc/     mimalloc backend (its own binaries: it replaces malloc)
  python3-matplotlib # tools/report.py     plots (with Debian's /usr/bin/python3)
  python3-pil        # tools/plots.py      PNG plots reduced to a 256-colour palette (matplotlib depends on it too)
  python3-scipy      # tools/stats.py, compare.py  bootstrap intervals, Mann-Whitney U test
  python3-jsonschema # tools/rclab_records.py  validates every record against schema/record.schema.json
  chromium           # tests/html_report_test.py  loads report.html headless: no console errors, images decode
  valgrind           # tools/dev/instr_per_call.py  instructions per fib call (callgrind), model and real interpreters
  clang-14           # fuzz/         the libFuzzer targets (fuzz preset)
  libclang-rt-14-dev # fuzz/         libFuzzer and clang's sanitizer runtimes
  make               # scripts/peers.sh  builds the real CPython peers (configure, make)
  xz-utils           # scripts/peers.sh  unpacks CPython's .orig.tar.xz
  zlib1g-dev         # scripts/peers.sh  the peers' zlib module, which their make install's ensurepip needs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
