// Stress: every configuration oversubscribed on this machine (16 and 64
// threads on 2 cores), fib(18), through `rclab sweep` so each run is its own
// process and the point order follows a seed, with pinning off and on. Every
// run must be right and leave nothing behind.
//
// Stress.EveryWorkload runs every configuration on every workload at 64
// threads (each at a small n), in release's default set (with the `stress`
// label under the sanitizers); Stress.EveryWorkloadFreeThreaded the py313t
// family's, in every preset: each (configuration, workload) pair a
// configuration accepts gives one record, right and with nothing alive.
//
// Stress.Short (unpinned) runs in the default ctest set of every preset, and
// so in CI, sanitizers included; Stress.ShortPinned in release only;
// Stress.Long carries the ctest label `stress` and runs with `ctest --preset
// stress` (see CMakePresets.json). Each asserts one record per expected
// point, and the right result at each.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "experiments/records.h"
#include "experiments/registry.h"
#include "experiments/workloads_embedded.h"

namespace {

using rclab::experiments::all_configs;
using rclab::experiments::read_records;

// The runnable configurations, all of them or one family's.
std::string every_config(std::string_view family = {}) {
  std::string s;
  for (const auto& e : all_configs())
    if (e.refused.empty() && (family.empty() || e.family == family)) {
      if (!s.empty()) s += ',';
      s += e.name;
    }
  return s;
}

// What one stress sweep produced, and what it should have: one record per
// (configuration, thread count, repeat, seed, pinning), every one right.
struct Totals {
  int points = 0, failed = 0, wrong = 0, leaks = 0, unexpected = 0;
  std::map<std::string, int> per_cell;  // "config|threads|pinned" -> records
};

Totals stress(const std::vector<int>& threads, int repeat, const std::vector<int>& seeds,
              const std::vector<bool>& pinning) {
  Totals t;
  std::string thread_list;
  for (int n : threads) {  // += only: GCC 12 -O3 warns (-Wrestrict, falsely) on the operator+ form
    if (!thread_list.empty()) thread_list += ',';
    thread_list += std::to_string(n);
  }
  for (bool pin : pinning) {
    for (int seed : seeds) {
      const std::string out = ::testing::TempDir() + "rclab_stress_" + std::to_string(::getpid()) + "_" +
                              std::to_string(seed) + (pin ? "_pin" : "") + ".jsonl";
      std::filesystem::remove(out);
      const std::string cmd = std::string(RCLAB_BIN) + " sweep --configs " + every_config() + " --threads " +
                              thread_list + " --repeat " + std::to_string(repeat) + " --max-repeats " +
                              std::to_string(repeat) + " --warmup 0 --no-ceiling --n 18 --seed " + std::to_string(seed) +
                              (pin ? " --pin" : "") + " --out " + out + " 2>/dev/null";
      const int status = std::system(cmd.c_str());
      EXPECT_EQ(status, 0) << cmd;
      for (const auto& r : read_records(out).records) {
        ++t.points;
        t.failed += r.value("status", "") != "ok";
        // Right at every point: fib(18) on every thread, as many threads as asked.
        t.wrong += !r.value("result_ok", false) || r.value("result", -1) != 4181 || r.value("n", -1) != 18;
        t.leaks += r.value("live_objects", -1) != 0 || r.value("live_blocks", -1) != 0;
        t.unexpected += r.value("pinned", !pin) != pin;
        ++t.per_cell[r.value("config", "") + "|" + std::to_string(r.value("threads", 0)) + "|" + (pin ? "pin" : "")];
      }
      std::filesystem::remove(out);
    }
  }
  std::printf("stress: %d points (configs x threads x repeats x seeds x pinning), %d failed, %d wrong, %d leaked\n",
              t.points, t.failed, t.wrong, t.leaks);
  return t;
}

// Every runnable configuration at every thread count and pinning, exactly
// `repeat * seeds` times: nothing missing, nothing extra.
void expect_complete(const Totals& t, const std::vector<int>& threads, int repeat, int seeds,
                     const std::vector<bool>& pinning) {
  int configs = 0;
  for (const auto& e : all_configs())
    if (e.refused.empty()) {
      ++configs;
      for (int n : threads)
        for (bool pin : pinning) {
          const auto it = t.per_cell.find(std::string(e.name) + "|" + std::to_string(n) + "|" + (pin ? "pin" : ""));
          EXPECT_EQ(it == t.per_cell.end() ? 0 : it->second, repeat * seeds)
              << e.name << " at " << n << " threads" << (pin ? ", pinned" : "");
        }
    }
  EXPECT_EQ(t.points, configs * int(threads.size()) * repeat * seeds * int(pinning.size()));
  EXPECT_EQ(t.failed, 0);
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.leaks, 0);
  EXPECT_EQ(t.unexpected, 0);
}

// Oversubscribed (16 and 64 threads on 2 cores), unpinned: what the
// sanitizers check, in every preset.
TEST(Stress, Short) {
  const std::vector<int> threads = {16, 64};
  const Totals t = stress(threads, 1, {1}, {false});
  expect_complete(t, threads, 1, 1, {false});
}

// The same pinned to the CPUs: changes the schedule, not what a sanitizer
// sees, so it runs in release only (tests/CMakeLists.txt).
TEST(Stress, ShortPinned) {
  const std::vector<int> threads = {16, 64};
  const Totals t = stress(threads, 1, {1}, {true});
  expect_complete(t, threads, 1, 1, {true});
}

// Every configuration (of one family, or all) on every workload, 64 threads
// on 2 cores: the workloads' sharing (a shared list, dict, method,
// queue...) under each strategy, the case the fib stress does not reach. n
// is each workload's N times 0.002 (fib 14): enough for every thread to take
// the shared objects' slow paths (merges, try-increfs, QSBR).
void every_workload(std::string_view family) {
  std::string out = ::testing::TempDir();
  out += "rclab_stress_workloads_";
  out += std::to_string(::getpid());
  out += ".jsonl";
  std::filesystem::remove(out);
  std::string cmd = RCLAB_BIN;
  cmd += " sweep --configs ";
  cmd += every_config(family);
  cmd += " --workloads all --threads 64 --repeat 1 --max-repeats 1 --warmup 0 --no-ceiling --n 14 --scale 0.002";
  cmd += " --seed 1 --out ";
  cmd += out;
  cmd += " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  // GCC 12 at -O3 warns (-Wrestrict, a false positive) on chains of
  // std::string operator+ here: the keys are built with += instead.
  auto key = [](std::string_view config, std::string_view workload) {
    std::string k(config);
    k += '|';
    k += workload;
    return k;
  };
  std::map<std::string, int> per_pair;
  int failed = 0, wrong = 0, leaks = 0;
  for (const auto& r : read_records(out).records) {
    ++per_pair[key(r.value("config", ""), r.value("workload", ""))];
    failed += r.value("status", "") != "ok";
    wrong += !r.value("result_ok", false) || r.value("threads", 0) != 64;
    leaks += r.value("live_objects", -1) != 0 || r.value("live_blocks", -1) != 0;
  }
  std::filesystem::remove(out);
  int pairs = 0;
  for (const auto& e : all_configs()) {
    if (!e.refused.empty() || (!family.empty() && e.family != family)) continue;
    for (const auto& w : rclab::experiments::embedded_workloads()) {
      // A configuration whose objects must stay with their creator refuses a
      // workload that hands them between threads (the sweep skips the pair).
      const bool accepted = !(e.private_only && w.crosses_threads);
      const auto it = per_pair.find(key(e.name, w.name));
      EXPECT_EQ(it == per_pair.end() ? 0 : it->second, accepted ? 1 : 0) << e.name << " on " << w.name;
      pairs += accepted;
    }
  }
  EXPECT_GT(pairs, 0);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(wrong, 0) << "a thread's result differed from expect(n)";
  EXPECT_EQ(leaks, 0) << "objects or blocks alive after a run";
}

// All of them: release only in the default set (about 35 s there; 17 min
// under ThreadSanitizer on 2 cores), with the `stress` label elsewhere.
TEST(Stress, EveryWorkload) { every_workload({}); }

// The free-threaded family's (3.13t's object locks, biased counts, QSBR):
// every preset, so the sanitizers see its lock-free reads on every
// workload's sharing.
TEST(Stress, EveryWorkloadFreeThreaded) { every_workload("py313t"); }

TEST(Stress, Long) {
  const std::vector<int> threads = {16, 64};
  const Totals t = stress(threads, 2, {1, 2, 3}, {false, true});
  expect_complete(t, threads, 2, 3, {false, true});
}

}  // namespace
