// Exports of a traced run's GIL events (RunParams::trace_capacity):
//
//  * per4m's per-thread summary: total = last event - first event; has GIL =
//    sum of (release - acquire); GIL wait = sum of (acquire - entry); no GIL
//    = the rest. Percentages of total; they add up to 100.
//  * Chrome Trace Event JSON (Perfetto, chrome://tracing, VizTracer's
//    --combine): thread names, "waiting for" and "holding" slices for the
//    GIL and the other traced locks (allocator, freelist), instant events
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
  double total_s = 0, has_gil_s = 0, wait_s = 0, no_gil_s = 0;
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
