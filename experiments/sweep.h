// `rclab sweep`: many runs, each in its own child process, into one JSON
// Lines file.
//
// A cell is (kind, configuration or peer, workload, threads) at one n: a model
// configuration (`rclab run`), a real interpreter from a peers file
// (tools/peer/peer_fib.py under that interpreter), or the machine's ceiling
// (`rclab ceiling`). Each cell first gets warm-up runs that are not
// recorded, then at least `min_repeats` measured runs (twice as many for a
// baseline at 1 thread, which every ratio divides by), then more, one per
// round, until the 95% confidence interval of its median wall and CPU time
// is within ±target of the median or it has `max_repeats`. Every round runs
// in an order shuffled with the seed, so slow drift of the machine spreads
// over every cell instead of biasing the ones that ran last.
//
// Each finished run is appended and fsynced at once, with what disturbed it
// (load, steal, other processes' CPU, clock); a child that crashes, is
// killed or times out is recorded as failed and the sweep goes on;
// SIGINT/SIGTERM stop it cleanly with every finished run kept; --resume
// counts the ok runs already in the file — only those of this very build
// (a rebuilt rclab measures again) — towards each cell.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "experiments/workloads_embedded.h"

#include <nlohmann/json.hpp>

namespace rclab::experiments {

// A real interpreter, from a peers file (JSON):
//   {"peers": [{"name": "cpython-3.6", "python": "/path/to/python3.6",
//               "env": {"PYTHONGIL": "0"}, "base": "", "models": "..."}]}
struct PeerSpec {
  std::string name, python, base, models;
  std::string version;  // "3.13.15", as the interpreter printed it when the file was read
  std::vector<std::pair<std::string, std::string>> env;
};

// The one reader of a peers file (`rclab peers FILE` prints what it read;
// tools/ never parses one). Checks the shape, the names (no ',', space or
// '|', none a configuration's, none twice), every base, and that each
// `python` is an executable that runs as a Python; throws
// std::invalid_argument with one line naming the file and the problem.
std::vector<PeerSpec> load_peers(const std::string& path);

struct SweepSpec {
  std::string preset;  // for the record; empty when none
  std::vector<std::string> configs;
  std::vector<PeerSpec> peers;
  std::vector<int> threads;
  int min_repeats = 5;
  int max_repeats = 20;
  double target = 0.03;  // relative half-width of the median's 95% CI
  int warmup = 1;        // unrecorded runs per cell
  bool ceiling = true;   // interleave the machine's ceiling at each thread count
  int n = 30;  // fib's n
  // What every run runs (workloads/README.md); fib takes `n`, every other
  // workload its own N times `scale`.
  std::vector<std::string> workloads = {"fib"};
  double scale = 1.0;
  std::string out;
  bool resume = false;
  std::uint64_t seed = 0x5eed;
  bool pin = false;
  bool allow_long = false;
  double timeout_s = 3600;  // per run
  std::string tools_dir;    // where tools/peer/peer_fib.py is (peers only)
  std::string workloads_dir;  // where workloads/*.py are (peers of a workload other than fib)
  // How the workload files among `workloads` (loaded already, named by their
  // stems) were compiled: every model run compiles the same file again,
  // from the cache, with these.
  WorkloadFileOptions workload_file;
};

struct Preset {
  const char* name;
  const char* what;
  std::vector<std::string> (*configs)();
  std::vector<int> threads;
  int min_repeats;
  int max_repeats;
  int n;
  const char* out;
  std::vector<std::string> workloads = {"fib"};
  double scale = 1.0;  // of every workload's N but fib's
};

const std::vector<Preset>& presets();
const Preset* find_preset(const std::string& name);

// The 95% confidence interval of the median of `v` (distribution-free: the
// order statistics whose ranks a Binomial(n, 1/2) brackets with 95%); the
// whole range when n is too small for that (n < 6).
std::pair<double, double> median_ci(std::vector<double> v);
double median_of(std::vector<double> v);
// True when the median's 95% CI is within ±target (relative) of the median:
// a cell stops repeating when this holds for its wall and its CPU time.
bool ci_within(const std::vector<double>& v, double target);

// Runs the sweep; returns the process exit status (0 all points ok, 1 some
// failed, 2 bad input, 128+signal interrupted). `self` is the rclab executable.
int run_sweep(const SweepSpec& spec, const std::string& self);

}  // namespace rclab::experiments
