#include "experiments/ceiling.h"

#include <barrier>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "experiments/machine.h"

namespace rclab::experiments {

namespace {

// xorshift64: a dependent chain of cheap ALU operations on one register,
// no memory traffic, so threads interfere only through the cores
// themselves. noinline and volatile-free: the result is used.
[[gnu::noinline]] std::uint64_t spin(std::uint64_t iterations) {
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

}  // namespace

nlohmann::json run_ceiling(int threads, std::uint64_t iterations) {
  std::vector<std::uint64_t> results(threads);
  std::vector<double> thread_cpu(threads);
  CpuTimes cpu0;
  double wall0 = 0;
  std::barrier start(threads + 1, [&]() noexcept {
    cpu0 = process_cpu();
    wall0 = wall_seconds();
  });
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i)
    workers.emplace_back([&, i] {
      start.arrive_and_wait();
      const double c0 = thread_cpu_seconds();
      results[i] = spin(iterations);
      thread_cpu[i] = thread_cpu_seconds() - c0;
    });
  start.arrive_and_wait();
  for (auto& w : workers) w.join();
  const double wall = wall_seconds() - wall0;
  const CpuTimes cpu = process_cpu() - cpu0;
  bool ok = true;
  for (auto r : results) ok = ok && r == results.front();

  nlohmann::json j;
  j["schema"] = 2;
  j["kind"] = "ceiling";
  j["config"] = "ceiling";
  j["family"] = "ceiling";
  j["baseline"] = "";
  j["policies"] = nlohmann::json::object();
  j["settings"] = {{"iterations", iterations}};
  j["threads"] = threads;
  j["n"] = 0;
  j["wall_s"] = wall;
  j["cpu_s"] = cpu.total();
  j["cpu_user_s"] = cpu.user_s;
  j["cpu_sys_s"] = cpu.sys_s;
  j["thread_cpu_s"] = thread_cpu;
  j["helper_cpu_s"] = 0.0;
  j["calls"] = 0;
  j["result"] = results.front() & 0x7fffffffffffffffull;
  j["expected"] = results.front() & 0x7fffffffffffffffull;
  j["result_ok"] = ok;  // every thread computed the same chain
  j["live_objects"] = 0;
  j["live_blocks"] = 0;
  j["max_rss_kb"] = max_rss_kb();
  j["counters"] = {{"available", false}, {"reason", "not measured for the ceiling"}, {"per_thread", nlohmann::json::array()}};
  j["machine"] = machine_info();
  j["build"] = build_info();
  j["time"] = utc_now();
  return j;
}

}  // namespace rclab::experiments
