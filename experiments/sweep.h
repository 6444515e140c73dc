// `rclab sweep`: many runs, each in its own child process, into one JSON
// Lines file.
//
// A point is (configuration, threads, n, repeat). Points run in an order
// shuffled with the seed, so slow drift of the machine (thermal, noisy
// neighbours) spreads over every configuration instead of biasing the ones
// that ran last. Each finished point is appended and fsynced at once; a
// child that crashes, is killed or times out is recorded as a failed point
// and the sweep goes on; SIGINT/SIGTERM stop it cleanly with every finished
// point kept; --resume skips points that already have an ok record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rclab::experiments {

struct SweepSpec {
  std::string preset;  // for the record; empty when none
  std::vector<std::string> configs;
  std::vector<int> threads;
  int repeat = 5;
  int n = 30;
  std::string out;
  bool resume = false;
  std::uint64_t seed = 0x5eed;
  bool pin = false;
  bool allow_long = false;
  double timeout_s = 3600;  // per point
};

struct Preset {
  const char* name;
  const char* what;
  std::vector<std::string> (*configs)();
  std::vector<int> threads;
  int repeat;
  int n;
  const char* out;
};

const std::vector<Preset>& presets();
const Preset* find_preset(const std::string& name);

// Runs the sweep; returns the process exit status (0 all points ok, 1 some
// failed, 2 bad input, 130 interrupted). `self` is the rclab executable.
int run_sweep(const SweepSpec& spec, const std::string& self);

}  // namespace rclab::experiments
