#include "experiments/trace.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace rclab::experiments {

namespace {

std::int64_t first_event_ns(const std::vector<TracedThread>& threads) {
  std::int64_t t0 = std::numeric_limits<std::int64_t>::max();
  for (const auto& t : threads)
    if (!t.events->empty()) t0 = std::min(t0, t.events->front().t_ns);
  return t0 == std::numeric_limits<std::int64_t>::max() ? 0 : t0;
}

double us(std::int64_t ns) { return double(ns) / 1000.0; }

}  // namespace

ThreadSummary summarize(int thread, const std::vector<LockTraceEntry>& events) {
  ThreadSummary s;
  s.thread = thread;
  s.events = events.size();
  if (events.empty()) return s;
  // entry: take_gil entered; acquire: take_gil returned (cleared at drop_gil's
  // return, not at its entry: per4m holds until then).
  std::int64_t entry = -1, acquire = -1, first = -1, last = -1, has = 0, wait = 0, holding = 0;
  for (const auto& e : events) {
    if (e.lock != LockId::kGil) continue;
    if (first < 0) first = e.t_ns;
    last = e.t_ns;
    switch (e.event) {
      case LockEvent::kEntry: entry = e.t_ns; break;
      case LockEvent::kAcquire:
        if (entry >= 0) wait += e.t_ns - entry;
        entry = -1;
        acquire = e.t_ns;
        break;
      case LockEvent::kRelease:
        if (acquire >= 0) holding += e.t_ns - acquire;
        break;
      case LockEvent::kReleased:
        if (acquire >= 0) has += e.t_ns - acquire;
        acquire = -1;
        break;
      default: break;
    }
  }
  if (first < 0) first = events.front().t_ns, last = events.back().t_ns;  // no GIL: the other locks' span
  s.total_s = double(last - first) * 1e-9;
  s.has_gil_s = double(has) * 1e-9;
  s.wait_s = double(wait) * 1e-9;
  s.no_gil_s = s.total_s - s.has_gil_s - s.wait_s;
  s.holding_s = double(holding) * 1e-9;
  return s;
}

std::string summary_table(const std::vector<ThreadSummary>& rows) {
  std::string out = "thread    total      no GIL   has GIL   GIL wait   holding   events\n";
  char buf[160];
  for (const auto& r : rows) {
    const double t = r.total_s > 0 ? r.total_s : 1;
    std::snprintf(buf, sizeof buf, "%6d  %8.4f s  %6.1f%%  %6.1f%%  %7.1f%%  %6.1f%%  %7zu\n", r.thread, r.total_s,
                  100 * r.no_gil_s / t, 100 * r.has_gil_s / t, 100 * r.wait_s / t, 100 * r.holding_s / t, r.events);
    out += buf;
  }
  out +=
      "per4m's definitions: has GIL = take_gil return to drop_gil return (a forced switch's wait counts), "
      "GIL wait = take_gil entry to return, no GIL = the rest; holding = take_gil return to drop_gil entry\n";
  return out;
}

nlohmann::json chrome_trace(const std::vector<TracedThread>& threads, const std::string& process_name) {
  using nlohmann::json;
  const std::int64_t t0 = first_event_ns(threads);
  json ev = json::array();
  ev.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", 1}, {"tid", 0}, {"args", {{"name", process_name}}}});
  for (const auto& t : threads) {
    const int tid = t.thread + 1;
    ev.push_back({{"ph", "M"},
                  {"name", "thread_name"},
                  {"pid", 1},
                  {"tid", tid},
                  {"args", {{"name", "worker " + std::to_string(t.thread)}}}});
    // Per lock: when this thread entered it and when it acquired it.
    std::int64_t entry[3] = {-1, -1, -1}, acquire[3] = {-1, -1, -1}, release[3] = {-1, -1, -1};
    std::uint32_t last_count = ~0u;
    for (const auto& e : *t.events) {
      const int l = int(e.lock);
      const std::string lock = e.lock == LockId::kGil ? "GIL" : std::string(to_string(e.lock)) + " lock";
      const char* cat = e.lock == LockId::kGil ? "gil" : "lock";
      switch (e.event) {
        case LockEvent::kEntry: entry[l] = e.t_ns; break;
        case LockEvent::kAcquire:
          if (entry[l] >= 0)
            ev.push_back({{"ph", "X"}, {"name", "waiting for " + lock}, {"cat", cat}, {"pid", 1}, {"tid", tid},
                          {"ts", us(entry[l] - t0)}, {"dur", us(e.t_ns - entry[l])}});
          entry[l] = -1;
          acquire[l] = e.t_ns;
          // The GIL's own counter: the switch number for the interval GIL,
          // check-interval releases (Beazley's tick_count) for the ticks GIL.
          if (e.lock == LockId::kGil && e.count != last_count) {
            last_count = e.count;
            ev.push_back({{"ph", "C"}, {"name", "GIL counter"}, {"pid", 1}, {"ts", us(e.t_ns - t0)},
                          {"args", {{"count", e.count}}}});
          }
          break;
        case LockEvent::kRelease:
          if (acquire[l] >= 0)
            ev.push_back({{"ph", "X"}, {"name", "holding " + lock}, {"cat", cat}, {"pid", 1}, {"tid", tid},
                          {"ts", us(acquire[l] - t0)}, {"dur", us(e.t_ns - acquire[l])}});
          acquire[l] = -1;
          release[l] = e.t_ns;
          break;
        case LockEvent::kReleased:
          // Inside drop_gil after letting go: a forced switch's wait for
          // the next holder (per4m counts it as holding).
          if (release[l] >= 0 && e.t_ns > release[l])
            ev.push_back({{"ph", "X"}, {"name", "dropping " + lock}, {"cat", cat}, {"pid", 1}, {"tid", tid},
                          {"ts", us(release[l] - t0)}, {"dur", us(e.t_ns - release[l])}});
          release[l] = -1;
          break;
        case LockEvent::kDropRequest:
          ev.push_back({{"ph", "i"}, {"name", "drop request"}, {"cat", cat}, {"s", "t"}, {"pid", 1}, {"tid", tid},
                        {"ts", us(e.t_ns - t0)}});
          break;
        default: break;
      }
    }
  }
  return {{"traceEvents", ev}, {"displayTimeUnit", "ms"}};
}

std::string beazley_text(const std::vector<TracedThread>& threads) {
  struct Row {
    std::int64_t t;
    int thread;
    const LockTraceEntry* e;
  };
  std::vector<Row> rows;
  for (const auto& t : threads)
    for (const auto& e : *t.events)
      if (e.lock == LockId::kGil && e.event != LockEvent::kReleased)  // not one of Beazley's events
        rows.push_back({e.t_ns, t.thread, &e});
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t < b.t; });
  const std::int64_t t0 = rows.empty() ? 0 : rows.front().t;
  std::string out;
  char buf[128];
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%x %d %u %s %0.6f\n", unsigned(r.thread + 1), r.e->ticker, r.e->count,
                  to_string(r.e->event), double(r.t - t0) * 1e-9);
    out += buf;
  }
  return out;
}

}  // namespace rclab::experiments
