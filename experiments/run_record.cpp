#include "experiments/run_record.h"

#include <algorithm>
#include <cstdio>

#include "experiments/machine.h"
#include "experiments/registry.h"
#include "obmalloc/which.h"

namespace rclab::experiments {

bool RunRecord::result_ok() const {
  return int(results.size()) == threads &&
         std::all_of(results.begin(), results.end(), [&](std::int64_t v) { return v == expected; });
}

namespace {

// Totals over the workers, and each worker's own; a counter missing on any
// worker is missing from the total (a partial sum would look like a count).
// `available` and `reason` speak of the hardware counters, as records always
// did; `missing` names every counter that did not open, with why.
nlohmann::json counters_json(const RunRecord& r) {
  nlohmann::json c = nlohmann::json::object();
  nlohmann::json missing = nlohmann::json::object();
  std::string hw_reason;
  for (std::size_t i = 0; i < kCounters.size(); ++i) {
    const std::string name(kCounters[i].name);
    std::string why = r.thread_counters.empty() ? "not measured" : r.counter_problems[i];
    std::uint64_t sum = 0;
    bool all = !r.thread_counters.empty();
    for (const auto& v : r.thread_counters) {
      all = all && v[i].has_value();
      sum += v[i].value_or(0);
    }
    if (all)
      c[name] = sum;
    else if (why.empty())
      why = "could not be read on every thread";
    if (!all) {
      missing[name] = why;
      if (kCounters[i].hardware) {
        if (!hw_reason.empty()) hw_reason += "; ";
        hw_reason += name;
        hw_reason += ": ";
        hw_reason += why;
      }
    }
  }
  nlohmann::json per_thread = nlohmann::json::array();
  for (const auto& v : r.thread_counters) {
    nlohmann::json t = nlohmann::json::object();
    for (std::size_t i = 0; i < kCounters.size(); ++i)
      if (v[i].has_value()) t[std::string(kCounters[i].name)] = *v[i];
    per_thread.push_back(std::move(t));
  }
  c["available"] = hw_reason.empty();
  c["reason"] = hw_reason;
  c["missing"] = std::move(missing);
  c["per_thread"] = std::move(per_thread);
  return c;
}

}  // namespace

nlohmann::json to_json(const RunRecord& r) {
  nlohmann::json j;
  j["schema"] = kSchema;
  j["kind"] = "model";
  j["config"] = r.config;
  j["family"] = r.family;
  j["baseline"] = r.baseline;
  j["settings"] = r.settings;
  j["policies"] = r.policies;
  j["threads"] = r.threads;
  j["n"] = r.n;
  j["workload"] = r.workload;
  j["workload_code_sha256"] = r.workload_code_sha256;
  j["workload_source_sha256"] = r.workload_source_sha256;
  if (!r.workload_path.empty()) j["workload_path"] = r.workload_path;
  j["wall_s"] = r.wall_s;
  j["cpu_s"] = r.cpu_s();
  j["cpu_user_s"] = r.cpu_user_s;
  j["cpu_sys_s"] = r.cpu_sys_s;
  j["thread_cpu_s"] = r.thread_cpu_s;
  j["helper_cpu_s"] = r.helper_cpu_s;
  j["calls"] = r.calls;
  j["result"] = r.results.empty() ? 0 : r.results.front();
  j["expected"] = r.expected;
  j["result_ok"] = r.result_ok();
  j["increfs"] = r.increfs;
  j["decrefs"] = r.decrefs;
  j["deferred_ops"] = r.deferred_ops;
  if (r.immortal_counted) {
    j["immortal_increfs"] = r.immortal_increfs;
    j["immortal_decrefs"] = r.immortal_decrefs;
  }
  j["policy_stats"] = nlohmann::json::object();
  for (const auto& [name, value] : r.policy_stats) j["policy_stats"][name] = value;
  j["objects_created"] = r.objects_created;
  j["live_objects"] = r.live_objects;
  j["live_blocks"] = r.live_blocks;
  j["tstate_lookups"] = r.tstate_lookups;
  j["gil_switches"] = r.gil_switches;
  j["gil_drop_requests"] = r.gil_drop_requests;
  j["gil_tick_releases"] = r.gil_tick_releases;
  j["max_rss_kb"] = r.max_rss_kb;
  j["pinned"] = r.pinned;
  std::uint64_t traced = 0, dropped = 0;
  for (const auto& t : r.traces) {
    traced += t->events().size();
    dropped += t->dropped();
  }
  j["lock_events"] = traced;
  j["lock_events_dropped"] = dropped;
  // Which allocator served malloc in this process: checked, not assumed
  // (a preloaded jemalloc or mimalloc, a sanitizer's interceptor).
  const obmalloc::ServingAllocator m = obmalloc::serving_allocator();
  j["malloc"] = {{"name", m.name}, {"library", m.library}, {"version", m.version}};
  j["counters"] = counters_json(r);
  j["machine"] = machine_info();
  j["build"] = build_info();
  j["time"] = utc_now();
  return j;
}

std::string to_text(const RunRecord& r) {
  char buf[1024];
  const double per_call = r.calls ? 1.0 / double(r.calls) : 0.0;
  std::string policies;
  for (std::string_view axis : kAxes)  // in `rclab list`'s order, not the object's
    if (r.policies.contains(axis)) {
      if (!policies.empty()) policies += ' ';
      policies += axis;
      policies += '=';
      policies += r.policies[std::string(axis)].get<std::string>();
    }
  std::snprintf(buf, sizeof buf,
                "config   %s  (%s)\n"
                "threads  %d   %s(%d) = %lld  %s\n"
                "wall     %.4f s\n"
                "cpu      %.4f s  (user %.4f, sys %.4f; %.2fx wall)\n"
                "calls    %llu   (%.1f ns wall per call per thread)\n"
                "refcount %llu increfs, %llu decrefs  (%.2f / %.2f per call)\n"
                "gil      %llu switches, %llu drop requests, %llu tick releases;  %llu thread-state lookups\n"
                "teardown live_objects %lld, live_blocks %lld   max_rss %ld KiB\n",
                r.config.c_str(), policies.c_str(),
                r.threads, r.workload == "fib" ? "fib" : (r.workload + ": work").c_str(), r.n, (long long)(r.results.empty() ? 0 : r.results.front()),
                r.result_ok() ? "ok" : "WRONG", r.wall_s, r.cpu_s(), r.cpu_user_s, r.cpu_sys_s,
                r.wall_s > 0 ? r.cpu_s() / r.wall_s : 0.0, (unsigned long long)r.calls,
                r.calls ? r.wall_s * 1e9 * r.threads / double(r.calls) : 0.0,
                (unsigned long long)r.increfs, (unsigned long long)r.decrefs, double(r.increfs) * per_call,
                double(r.decrefs) * per_call, (unsigned long long)r.gil_switches,
                (unsigned long long)r.gil_drop_requests, (unsigned long long)r.gil_tick_releases,
                (unsigned long long)r.tstate_lookups,
                (long long)r.live_objects, (long long)r.live_blocks,
                r.max_rss_kb);
  std::string s = buf;
  if (r.helper_cpu_s > 0)
    s += "helper   " + std::to_string(r.helper_cpu_s).substr(0, 6) + " s CPU on the commit thread (part of cpu)\n";
  if (r.deferred_ops != 0) s += "deferred " + std::to_string(r.deferred_ops) + " stack-reference operations not counted\n";
  if (r.immortal_increfs + r.immortal_decrefs != 0)
    s += "immortal " + std::to_string(r.immortal_increfs) + " increfs, " + std::to_string(r.immortal_decrefs) +
         " decrefs met an immortal object (no count changed)\n";
  if (!r.policy_stats.empty()) {
    s += "policy  ";
    for (const auto& [name, value] : r.policy_stats) s += " " + name + " " + std::to_string(value);
    s += "\n";
  }
  return s;
}

}  // namespace rclab::experiments
