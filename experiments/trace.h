// Exports of a traced run's GIL events (RunParams::trace_capacity):
//
//  * per4m's per-thread summary, by the definitions of per4m's `perf2trace
//    gil` over perf uprobes on take_gil/drop_gil (DESIGN.md §8), so the two
//    tables agree on the same run (tools/dev/perf_gil_table.py computes per4m's
//    from `perf script`; tests/perf_gil_table_test.py compares them):
//      total    = last GIL event - first GIL event (all events if the
//                 thread has no GIL events: a config without a GIL)
//      has GIL  = sum of (drop_gil returns [kReleased] - take_gil returned
//                 [kAcquire]): a forced switch's wait inside drop_gil for
//                 the next holder counts as holding, as in per4m
//      GIL wait = sum of (take_gil returns [kAcquire] - entered [kEntry])
//      no GIL   = the rest. Percentages of total; they add up to 100.
//    Plus, not per4m's, `holding` = sum of (drop_gil entered [kRelease] -
//    take_gil returned): the time the lock is really ours. On an idle machine
//    it is close to has GIL; under load the dropping thread is woken late
//    after the hand-over and has GIL grows by that delay (seen: 82-92% has
//    GIL against 48-53% holding with compilers on both cores, where per4m
//    said 82-92% too: tests/fixtures/per4m).
//  * Chrome Trace Event JSON (Perfetto, chrome://tracing, VizTracer's
//    --combine): thread names, "waiting for" and "holding" slices for the
//    GIL and the other traced locks (allocator, freelist), "dropping GIL"
//    slices from drop_gil's entry to its return (a forced switch's wait,
//    the gap between holding and per4m's has GIL), instant events
//    for drop requests, and the GIL's counter (switch number for the
//    interval GIL, check-interval releases for the ticks GIL). Slices of different locks
//    nest: a thread holding the GIL may wait for the allocator lock.
//  * Beazley's text format, GIL events only: `thread ticks tick_count EVENT time`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/lock_trace.h"

namespace rclab::experiments {

struct ThreadSummary {
  int thread = 0;
  double total_s = 0, has_gil_s = 0, wait_s = 0, no_gil_s = 0;  // per4m's
  double holding_s = 0;  // to drop_gil's entry: not per4m's, not in the 100%
  std::size_t events = 0;
};

ThreadSummary summarize(int thread, const std::vector<LockTraceEntry>& events);
std::string summary_table(const std::vector<ThreadSummary>& rows);

struct TracedThread {
  int thread;
  const std::vector<LockTraceEntry>* events;
};

nlohmann::json chrome_trace(const std::vector<TracedThread>& threads, const std::string& process_name);
std::string beazley_text(const std::vector<TracedThread>& threads);

}  // namespace rclab::experiments
