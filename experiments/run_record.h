// What one run measured, and how it is printed (human text or one JSON
// object). The JSON field names are the result schema; bump kSchema when a
// field changes meaning or disappears (adding one is compatible).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/lock_trace.h"
#include "common/perf_counters.h"
#include "common/settings.h"

#include <nlohmann/json.hpp>

namespace rclab::experiments {

// 2: kind, family, baseline, settings, counters and build.id added; the
// policies object names every axis (schema/record.schema.json).
inline constexpr int kSchema = 2;

struct RunParams {
  int threads = 1;
  int n = 30;                              // work(n)'s argument: fib's n, or a workload's iteration count
  std::string workload = "fib";            // a name from experiments/workloads_embedded.h
  Settings settings;                       // the policies' declared settings given for this run
  bool pin = false;                        // pin worker i to the i-th allowed CPU (mod count)
  std::size_t trace_capacity = 0;          // >0: record GIL events, up to this many per thread
};

struct RunRecord {
  // Filled in by the driver from the registry and the command line.
  std::string config, family, baseline;
  nlohmann::json policies = nlohmann::json::object();  // {axis: policy}, every axis (registry.h: policies_json)
  nlohmann::json settings = nlohmann::json::object();  // every run setting, defaults included

  int threads = 0;
  int n = 0;
  std::string workload;                // what every thread ran (workloads/NAME.py)
  std::string workload_code_sha256;    // of the marshal bytes the model ran (its generation's)
  std::string workload_source_sha256;  // of workloads/NAME.py, or of the workload file
  std::string workload_path;           // a workload file's absolute path; "" for a built-in workload
  double wall_s = 0;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  std::vector<double> thread_cpu_s;
  double helper_cpu_s = 0;  // CPU of the commit thread (buffered counting), 0 without one; part of cpu_s
  std::uint64_t calls = 0;
  std::int64_t expected = 0;
  std::vector<std::int64_t> results;  // one per thread
  std::uint64_t increfs = 0;          // worker threads only
  std::uint64_t decrefs = 0;
  std::uint64_t deferred_ops = 0;     // of those, stack references a deferring policy did not count
  bool immortal_counted = false;       // the configuration counts the next two (object_ops.h: counts_immortal)
  std::uint64_t immortal_increfs = 0;  // of those, on immortal objects: tested, no count changed (PEP 683)
  std::uint64_t immortal_decrefs = 0;
  std::uint64_t objects_created = 0;  // whole run, set-up and teardown included
  std::int64_t live_objects = 0;      // created - destroyed after teardown: must be 0
  std::int64_t live_blocks = 0;       // allocated - freed after teardown: must be 0
  std::uint64_t tstate_lookups = 0;   // thread-state lookups (0 with `explicit`)
  std::uint64_t gil_switches = 0;
  std::uint64_t gil_drop_requests = 0;
  std::uint64_t gil_tick_releases = 0;
  long max_rss_kb = 0;
  bool pinned = false;
  // The refcount policy's slow-path figures (biased merges, remote's page
  // pool), by name; empty for policies without any.
  std::vector<std::pair<std::string, std::uint64_t>> policy_stats;
  std::vector<std::shared_ptr<const LockTrace>> traces;  // one per worker when tracing, else empty
  // perf_event counters of each worker over its work, and why any is missing.
  std::vector<CounterValues> thread_counters;
  CounterProblems counter_problems;  // why each missing counter is missing (the first worker's reason)

  double cpu_s() const { return cpu_user_s + cpu_sys_s; }
  bool result_ok() const;
  bool clean() const { return result_ok() && live_objects == 0 && live_blocks == 0; }
};

nlohmann::json to_json(const RunRecord& r);
std::string to_text(const RunRecord& r);

}  // namespace rclab::experiments
