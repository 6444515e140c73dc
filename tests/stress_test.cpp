// Stress: every configuration oversubscribed on this machine (16 and 64
// threads on 2 cores), fib(18), through `rclab sweep` so each run is its own
// process and the point order follows a seed, with pinning off and on. Every
// run must be right and leave nothing behind.
//
// Stress.Short runs in the default ctest set (and so in CI, sanitizers
// included); Stress.Long carries the ctest label `stress` and runs with
// `ctest --preset stress` (see CMakePresets.json).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "experiments/records.h"
#include "experiments/registry.h"

namespace {

using rclab::experiments::all_configs;
using rclab::experiments::read_records;

std::string every_config() {
  std::string s;
  for (const auto& e : all_configs())
    if (e.refused.empty()) s += std::string(s.empty() ? "" : ",") + std::string(e.name);
  return s;
}

struct Totals {
  int points = 0, failed = 0, wrong = 0, leaks = 0;
};

Totals stress(const std::string& threads, int repeat, const std::vector<int>& seeds, bool also_pinned) {
  Totals t;
  for (bool pin : also_pinned ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
    for (int seed : seeds) {
      const std::string out = ::testing::TempDir() + "rclab_stress_" + std::to_string(::getpid()) + "_" +
                              std::to_string(seed) + (pin ? "_pin" : "") + ".jsonl";
      std::filesystem::remove(out);
      const std::string cmd = std::string(RCLAB_BIN) + " sweep --configs " + every_config() + " --threads " +
                              threads + " --repeat " + std::to_string(repeat) + " --max-repeats " + std::to_string(repeat) +
                              " --warmup 0 --no-ceiling --n 18 --seed " +
                              std::to_string(seed) + (pin ? " --pin" : "") + " --out " + out + " 2>/dev/null";
      const int status = std::system(cmd.c_str());
      EXPECT_EQ(status, 0) << cmd;
      for (const auto& r : read_records(out).records) {
        ++t.points;
        t.failed += r.value("status", "") != "ok";
        t.wrong += !r.value("result_ok", false);
        t.leaks += r.value("live_objects", -1) != 0 || r.value("live_blocks", -1) != 0;
      }
      std::filesystem::remove(out);
    }
  }
  std::printf("stress: %d points (configs x threads x repeats x seeds x pinning), %d failed, %d wrong, %d leaked\n",
              t.points, t.failed, t.wrong, t.leaks);
  return t;
}

TEST(Stress, Short) {
  const Totals t = stress("16,64", 1, {1}, /*also_pinned=*/true);
  EXPECT_GT(t.points, 0);
  EXPECT_EQ(t.failed, 0);
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.leaks, 0);
}

TEST(Stress, Long) {
  const Totals t = stress("16,64", 2, {1, 2, 3}, /*also_pinned=*/true);
  EXPECT_GT(t.points, 0);
  EXPECT_EQ(t.failed, 0);
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.leaks, 0);
}

}  // namespace
