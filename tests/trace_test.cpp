// GIL traces: the in-memory events, per4m's summary and the Chrome export.
// No assertion here depends on how fast the machine is or how loaded: the
// summary's arithmetic runs on hand-made events (the clock injected), the
// GIL's hand-over is driven step by step, each step waiting for the visible
// effect of the one before, and whole runs are checked only for structure.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/eval_breaker.h"
#include "experiments/registry.h"
#include "experiments/trace.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_ticks.h"

namespace rclab::experiments {
namespace {

// gil_lock < 0: the ticks GIL's default lock (the semaphore).
RunRecord traced(const char* config, int threads, int n, std::int64_t interval_us = 5000, int gil_lock = -1) {
  RunParams p;
  p.threads = threads;
  p.n = n;
  p.settings.set("switch_interval_us", interval_us);
  if (gil_lock >= 0) p.settings.set("gil_lock", gil_lock);
  p.trace_capacity = 1'000'000;
  RunRecord r = find_config(config)->run(p);
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(r.traces.size(), std::size_t(threads));
  return r;
}

// Holding intervals [acquire, release) of every thread.
std::vector<std::pair<std::int64_t, std::int64_t>> holds(const RunRecord& r) {
  std::vector<std::pair<std::int64_t, std::int64_t>> v;
  for (const auto& t : r.traces) {
    std::int64_t acquire = -1;
    for (const auto& e : t->events()) {
      if (e.event == LockEvent::kAcquire) acquire = e.t_ns;
      if (e.event == LockEvent::kRelease && acquire >= 0) {
        v.emplace_back(acquire, e.t_ns);
        acquire = -1;
      }
    }
  }
  std::sort(v.begin(), v.end());
  return v;
}

// Slices of one thread must be properly nested: each either starts after the
// enclosing one ended or ends inside it (1 ns of rounding allowed).
void expect_properly_nested(const nlohmann::json& trace) {
  std::map<int, std::vector<std::pair<double, double>>> slices;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X")
      slices[e["tid"].get<int>()].emplace_back(e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>());
  for (auto& [tid, s] : slices) {
    std::sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.first < b.first || (a.first == b.first && a.second > b.second); });
    std::vector<double> open_ends;
    for (const auto& [start, end] : s) {
      while (!open_ends.empty() && open_ends.back() <= start + 1e-3) open_ends.pop_back();
      if (!open_ends.empty()) {
        EXPECT_LE(end, open_ends.back() + 1e-3) << "thread " << tid << ": slices cross";
      }
      open_ends.push_back(end);
    }
  }
}

nlohmann::json export_chrome(const RunRecord& r) {
  std::vector<TracedThread> threads;
  for (std::size_t i = 0; i < r.traces.size(); ++i) threads.push_back({int(i), &r.traces[i]->events()});
  return nlohmann::json::parse(chrome_trace(threads, "test").dump());  // serialised and parsed back
}

// A GIL to trace whole runs of: a configuration, and for the ticks GIL
// which of 2.7's locks it is built on (both must keep the trace's contract).
struct TracedGil {
  const char* config;
  int gil_lock;  // -1: not set
  const char* name;
};
void PrintTo(const TracedGil& g, std::ostream* os) { *os << g.name; }
class GilTrace : public ::testing::TestWithParam<TracedGil> {
 protected:
  static RunRecord run(int threads, int n, std::int64_t interval_us) {
    return traced(GetParam().config, threads, n, interval_us, GetParam().gil_lock);
  }
};
INSTANTIATE_TEST_SUITE_P(Gils, GilTrace,
                         ::testing::Values(TracedGil{"gil", -1, "interval"},
                                           TracedGil{"gil-ticks", 0, "ticks_semaphore"},
                                           TracedGil{"gil-ticks", 1, "ticks_mutex_cond"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(GilTrace, NeverHeldByTwoThreadsAccordingToTheTrace) {
  const RunRecord r = run(4, 22, 500);
  const auto v = holds(r);
  ASSERT_GE(v.size(), 4u) << "every thread holds the GIL at least once";
  for (std::size_t i = 1; i < v.size(); ++i)
    ASSERT_LE(v[i - 1].second, v[i].first) << "two holders at once, hold " << i;
}

TEST_P(GilTrace, ChromeTraceHasNamedThreadsAndProperlyNestedSlices) {
  const auto j = export_chrome(run(2, 22, 500));
  ASSERT_TRUE(j.contains("traceEvents"));
  std::set<int> named;
  int slices = 0;
  for (const auto& e : j["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid"));
    if (e["ph"] == "M" && e["name"] == "thread_name") named.insert(e["tid"].get<int>());
    if (e["ph"] == "X") {
      ASSERT_GE(e["dur"].get<double>(), 0.0);
      ++slices;
    }
  }
  EXPECT_EQ(named, (std::set<int>{1, 2}));
  EXPECT_GT(slices, 0);
  expect_properly_nested(j);
}

// Without a GIL, the locks that matter are the allocator's and the frame
// freelist's: atomic-2016-06 has one global lock on each.
TEST(LockTrace, AllocatorAndFreelistLocksAreTracedAndNest) {
  const RunRecord r = traced("atomic-2016-06", 2, 15);
  std::set<std::string> names;
  const auto j = export_chrome(r);
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "X") names.insert(e["name"].get<std::string>());
  EXPECT_TRUE(names.count("holding allocator lock")) << "no allocator lock slices";
  EXPECT_TRUE(names.count("holding freelist lock")) << "no freelist lock slices";
  EXPECT_FALSE(names.count("holding GIL"));
  expect_properly_nested(j);
}

// per4m's "no GIL" is the remainder, so the shares add up to 100 by
// definition; what can go wrong is has-GIL + wait exceeding the total
// (intervals counted twice or unpaired), which no_gil >= 0 catches.
TEST_P(GilTrace, SummaryIsConsistent) {
  const RunRecord r = run(2, 22, 500);
  for (std::size_t i = 0; i < r.traces.size(); ++i) {
    const ThreadSummary s = summarize(int(i), r.traces[i]->events());
    ASSERT_GT(s.total_s, 0);
    EXPECT_NEAR(s.no_gil_s + s.has_gil_s + s.wait_s, s.total_s, 1e-12);
    EXPECT_GE(s.has_gil_s, 0);
    EXPECT_GE(s.wait_s, 0);
    EXPECT_GE(s.no_gil_s, -1e-9);
  }
}

// per4m's arithmetic on events with hand-computed answers (times in ns), with
// a forced switch's wait inside the first drop_gil (RELEASE 60 .. RELEASED 90):
//   ENTRY 0, ACQUIRE 20, RELEASE 60, RELEASED 90,
//   ENTRY 100, BUSY 100, ACQUIRE 160, RELEASE 180, RELEASED 200,
//   then an allocator lock at 250..300 (not a GIL event: outside the total).
//   total 200; has GIL (90-20)+(200-160) = 110 (55%); wait (20-0)+(160-100)
//   = 80 (40%); no GIL 10 (5%); holding (60-20)+(180-160) = 60 (30%).
TEST(GilTraceSummary, Per4mDefinitionsOnASyntheticList) {
  auto ev = [](std::int64_t t, LockEvent e, LockId l = LockId::kGil) { return LockTraceEntry{t, 0, 0, l, e}; };
  const std::vector<LockTraceEntry> events = {
      ev(0, LockEvent::kEntry),      ev(20, LockEvent::kAcquire),  ev(60, LockEvent::kRelease),
      ev(90, LockEvent::kReleased),  ev(100, LockEvent::kEntry),   ev(100, LockEvent::kBusy),
      ev(160, LockEvent::kAcquire),  ev(180, LockEvent::kRelease), ev(200, LockEvent::kReleased),
      ev(250, LockEvent::kEntry, LockId::kAlloc), ev(260, LockEvent::kAcquire, LockId::kAlloc),
      ev(300, LockEvent::kRelease, LockId::kAlloc)};
  const ThreadSummary s = summarize(0, events);
  EXPECT_DOUBLE_EQ(s.total_s, 200e-9);
  EXPECT_DOUBLE_EQ(s.has_gil_s, 110e-9);
  EXPECT_DOUBLE_EQ(s.wait_s, 80e-9);
  EXPECT_NEAR(s.no_gil_s, 10e-9, 1e-18);
  EXPECT_DOUBLE_EQ(s.holding_s, 60e-9);
  EXPECT_EQ(s.events, events.size());
  const std::string table = summary_table({s});
  const std::string row = table.substr(table.find('\n') + 1);
  EXPECT_NE(row.find("5.0%"), std::string::npos) << table;
  EXPECT_NE(row.find("55.0%"), std::string::npos) << table;
  EXPECT_NE(row.find("40.0%"), std::string::npos) << table;
  EXPECT_NE(row.find("30.0%"), std::string::npos) << table;
}

// The Chrome export's slices for one hold with a forced-switch gap (times in
// ns, slices in us): waiting 0..1, holding 1..3, dropping 3..5 — the part
// per4m counts as holding and the holding column does not. Beazley's text
// has no RELEASED event.
TEST(GilTraceSummary, ChromeShowsTheDropGapAndBeazleyLeavesItOut) {
  auto ev = [](std::int64_t t, LockEvent e) { return LockTraceEntry{t, 0, 0, LockId::kGil, e}; };
  const std::vector<LockTraceEntry> events = {ev(10'000, LockEvent::kEntry), ev(11'000, LockEvent::kAcquire),
                                              ev(13'000, LockEvent::kRelease), ev(15'000, LockEvent::kReleased)};
  const nlohmann::json j = chrome_trace({{0, &events}}, "t");
  std::map<std::string, std::pair<double, double>> slices;
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "X") slices[e["name"].get<std::string>()] = {e["ts"].get<double>(), e["dur"].get<double>()};
  using P = std::pair<double, double>;
  EXPECT_EQ(slices, (std::map<std::string, P>{{"waiting for GIL", P{0, 1}}, {"holding GIL", P{1, 2}},
                                                {"dropping GIL", P{3, 2}}}));
  const std::string text = beazley_text({{0, &events}});
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find("RELEASED"), std::string::npos) << text;
}

// A configuration without a GIL (atomic-2016-06's locks): nothing held or
// waited for, and the total spans the other locks' events.
TEST(GilTraceSummary, WithoutGilEventsTheTotalSpansTheOtherLocks) {
  auto ev = [](std::int64_t t, LockEvent e) { return LockTraceEntry{t, 0, 0, LockId::kAlloc, e}; };
  const ThreadSummary s =
      summarize(3, {ev(1000, LockEvent::kEntry), ev(1500, LockEvent::kAcquire), ev(4000, LockEvent::kRelease)});
  EXPECT_EQ(s.thread, 3);
  EXPECT_DOUBLE_EQ(s.total_s, 3000e-9);
  EXPECT_EQ(s.has_gil_s, 0);
  EXPECT_EQ(s.wait_s, 0);
  EXPECT_EQ(s.holding_s, 0);
  EXPECT_DOUBLE_EQ(s.no_gil_s, 3000e-9);
}

// Every GIL hold a whole run records is take_gil ... drop_gil's return: after
// ACQUIRE comes RELEASE, then RELEASED, before the next ENTRY; so holding
// never exceeds has GIL.
TEST_P(GilTrace, EveryHoldEndsWithReleaseThenReleased) {
  const RunRecord r = run(2, 22, 500);
  for (std::size_t i = 0; i < r.traces.size(); ++i) {
    std::vector<LockEvent> seq;
    for (const auto& e : r.traces[i]->events())
      if (e.lock == LockId::kGil && (e.event == LockEvent::kEntry || e.event == LockEvent::kAcquire ||
                                     e.event == LockEvent::kRelease || e.event == LockEvent::kReleased))
        seq.push_back(e.event);
    ASSERT_GE(seq.size(), 4u) << "thread " << i;
    ASSERT_EQ(seq.size() % 4, 0u) << "thread " << i << ": unfinished take/drop";
    for (std::size_t k = 0; k < seq.size(); k += 4) {
      ASSERT_EQ(seq[k], LockEvent::kEntry) << "thread " << i << " event " << k;
      ASSERT_EQ(seq[k + 1], LockEvent::kAcquire) << "thread " << i << " event " << k + 1;
      ASSERT_EQ(seq[k + 2], LockEvent::kRelease) << "thread " << i << " event " << k + 2;
      ASSERT_EQ(seq[k + 3], LockEvent::kReleased) << "thread " << i << " event " << k + 3;
    }
    const ThreadSummary s = summarize(int(i), r.traces[i]->events());
    EXPECT_LE(s.holding_s, s.has_gil_s);
  }
}

struct Ev {
  LockEvent event;
  std::int64_t t;
  std::uint32_t count;
};

std::vector<Ev> gil_events(const LockTrace& t) {
  std::vector<Ev> v;
  for (const auto& e : t.events())
    if (e.lock == LockId::kGil) v.push_back({e.event, e.t_ns, e.count});
  return v;
}

// The kinds of a thread's events, without RETRY and DROP_REQUEST (how often a
// waiter wakes before its turn is the scheduler's business).
std::vector<LockEvent> kinds(const std::vector<Ev>& v) {
  std::vector<LockEvent> k;
  for (const auto& e : v)
    if (e.event != LockEvent::kRetry && e.event != LockEvent::kDropRequest) k.push_back(e.event);
  return k;
}

// Each waiting phase (BUSY .. ACQUIRE) holds a DROP_REQUEST, and it comes only
// after a wait of a whole interval has timed out: at least `interval` after
// the BUSY or RETRY that began that wait (a lower bound, true however slow).
void expect_asked_after_an_interval(const std::vector<Ev>& v, std::int64_t interval_ns, const char* who) {
  std::int64_t wait_began = -1;
  bool asked = false, waiting = false;
  for (const auto& e : v) {
    if (e.event == LockEvent::kBusy || e.event == LockEvent::kRetry) wait_began = e.t, waiting = true;
    if (e.event == LockEvent::kDropRequest) {
      ASSERT_GE(wait_began, 0) << who << ": a drop request without waiting";
      EXPECT_GE(e.t - wait_began, interval_ns) << who << ": asked before the interval was over";
      asked = true;
    }
    if (e.event == LockEvent::kAcquire && waiting) {
      EXPECT_TRUE(asked) << who << ": waited but never asked for the drop";
      waiting = asked = false;
    }
  }
}

// The interval GIL's hand-over, driven step by step (no sleeps, no time
// limits): A holds; B queues and, after an interval, asks; A yields with
// forced switching, so its drop_gil returns only once B holds; A queues and
// asks; B drops; A takes and drops. This is where per4m's has GIL (to
// drop_gil's return) and holding (to its entry) part: A's first hold in
// per4m's sense contains the moment B took the GIL.
TEST(GilTraceInterval, ForcedSwitchHandOverAndPer4mCountsTheDropWaitAsHolding) {
  using runtime::IntervalGil;
  const std::int64_t interval_us = 200;
  EvalBreaker breaker;
  Settings o;
  o.set("switch_interval_us", interval_us);
  IntervalGil::Shared g(breaker, o);
  IntervalGil::Local a(g), b(g);
  LockTrace ta(256), tb(256);
  a.trace = &ta;
  b.trace = &tb;
  const auto until_asked = [&] {
    while (!breaker.test(EvalBreaker::kGilDropRequest)) std::this_thread::yield();
  };

  IntervalGil::take(g, a);
  std::thread other([&] {
    IntervalGil::take(g, b);  // waits: A holds until B has asked
    until_asked();            // A is queued again and has asked
    IntervalGil::drop(g, b);
  });
  until_asked();              // B has waited an interval and asked
  IntervalGil::yield(g, a);   // forced switch: returns from drop_gil once B holds, then queues
  IntervalGil::drop(g, a);
  other.join();

  using E = LockEvent;
  const auto va = gil_events(ta), vb = gil_events(tb);
  ASSERT_EQ(kinds(va), (std::vector<E>{E::kEntry, E::kAcquire, E::kRelease, E::kReleased, E::kEntry, E::kBusy,
                                       E::kAcquire, E::kRelease, E::kReleased}));
  ASSERT_EQ(kinds(vb), (std::vector<E>{E::kEntry, E::kBusy, E::kAcquire, E::kRelease, E::kReleased}));
  EXPECT_EQ(ta.dropped() + tb.dropped(), 0u);
  expect_asked_after_an_interval(va, interval_us * 1000, "A");
  expect_asked_after_an_interval(vb, interval_us * 1000, "B");

  const auto at = [](const std::vector<Ev>& v, E kind, int nth) {
    for (const auto& e : v)
      if (e.event == kind && nth-- == 0) return e;
    ADD_FAILURE() << "no such event";
    return Ev{kind, -1, 0};
  };
  const Ev a_acq1 = at(va, E::kAcquire, 0), a_rel1 = at(va, E::kRelease, 0), a_reld1 = at(va, E::kReleased, 0);
  const Ev a_acq2 = at(va, E::kAcquire, 1), b_acq = at(vb, E::kAcquire, 0), b_rel = at(vb, E::kRelease, 0);
  // Switch numbers as each holder saw them: A, B, A. A's first drop_gil
  // read the switch number twice: at its entry (still A's, 1) and at its
  // return — after the forced switch's wait, so already B's (2). That is
  // why per4m's has GIL, which ends there, includes the hand-over.
  EXPECT_EQ(a_acq1.count, 1u);
  EXPECT_EQ(b_acq.count, 2u);
  EXPECT_EQ(a_acq2.count, 3u);
  EXPECT_EQ(a_rel1.count, 1u);
  EXPECT_EQ(a_reld1.count, 2u) << "A's drop_gil returned before B held the GIL (no forced switch)";
  // Causal order (the GIL's mutex or the drop request orders the threads;
  // each event is recorded before the step that lets the other go on).
  EXPECT_LE(at(vb, E::kBusy, 0).t, a_rel1.t) << "A dropped before B asked";
  EXPECT_LE(a_rel1.t, b_acq.t) << "B took the GIL before A let it go";
  EXPECT_LE(at(va, E::kBusy, 0).t, b_rel.t) << "B dropped before A asked";
  EXPECT_LE(b_rel.t, a_acq2.t) << "A took the GIL before B let it go";

  // per4m's has GIL for A runs to drop_gil's return; holding, to its entry.
  const ThreadSummary sa = summarize(0, ta.events());
  const Ev a_rel2 = at(va, E::kRelease, 1), a_reld2 = at(va, E::kReleased, 1);
  EXPECT_DOUBLE_EQ(sa.has_gil_s, double((a_reld1.t - a_acq1.t) + (a_reld2.t - a_acq2.t)) * 1e-9);
  EXPECT_DOUBLE_EQ(sa.holding_s, double((a_rel1.t - a_acq1.t) + (a_rel2.t - a_acq2.t)) * 1e-9);
  EXPECT_DOUBLE_EQ(sa.wait_s, double((a_acq1.t - va.front().t) + (a_acq2.t - at(va, E::kEntry, 1).t)) * 1e-9);
  EXPECT_DOUBLE_EQ(sa.total_s, double(va.back().t - va.front().t) * 1e-9);
}

// Python 2's GIL, alone, on each of its locks: the first tick releases, then
// every check_interval + 1 ticks, each release a drop_gil (RELEASE, RELEASED)
// and an uncontended take (ENTRY, ACQUIRE: never BUSY), the ticker reset and
// the release count in the events.
class GilTraceTicks : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Locks, GilTraceTicks, ::testing::Values(0, 1),
                         [](const auto& info) { return std::string(info.param == 0 ? "semaphore" : "mutex_cond"); });

TEST_P(GilTraceTicks, ReleasesAtCheckIntervalsAsDropThenTake) {
  using runtime::TicksGil;
  EvalBreaker breaker;
  Settings o;
  o.set("check_interval", 3);
  o.set("gil_lock", GetParam());
  TicksGil::Shared g(breaker, o);
  TicksGil::Local me(g);
  LockTrace t(256);
  me.trace = &t;
  TicksGil::take(g, me);
  for (int i = 0; i < 10; ++i) TicksGil::tick(g, me);  // releases at ticks 1, 5, 9
  TicksGil::drop(g, me);
  using E = LockEvent;
  const std::vector<E> expected = {E::kEntry,   E::kAcquire,  E::kRelease, E::kReleased, E::kEntry,
                                   E::kAcquire, E::kRelease,  E::kReleased, E::kEntry,   E::kAcquire,
                                   E::kRelease, E::kReleased, E::kEntry,    E::kAcquire, E::kRelease,
                                   E::kReleased};
  const auto v = gil_events(t);
  ASSERT_EQ(kinds(v), expected);
  std::uint32_t release_no = 0;
  for (const auto& e : t.events())
    if (e.event == E::kRelease && ++release_no <= 3) {
      EXPECT_EQ(e.ticker, 3) << "release " << release_no;
      EXPECT_EQ(e.count, release_no);
    }
  EXPECT_EQ(TicksGil::stats(g).tick_releases, 3u);
}

// A whole run of Python 2's GIL: how often the releasing thread wins the lock
// back (Beazley's convoy) depends on the machine and its load, so only what
// must hold is checked: check-interval releases happened, and both workers
// held the GIL (at least two changes of holder: nobody, one, the other).
TEST_P(GilTraceTicks, AWholeRunReleasesAndBothThreadsHoldTheGil) {
  const RunRecord r = traced("gil-ticks", 2, 22, 5000, GetParam());
  EXPECT_GT(r.gil_tick_releases, 0u);
  EXPECT_GE(r.gil_switches, 2u);
  for (const auto& t : r.traces)
    EXPECT_TRUE(std::any_of(t->events().begin(), t->events().end(),
                            [](const LockTraceEntry& e) { return e.event == LockEvent::kAcquire; }));
}

TEST(GilTraceDropped, AFullBufferCountsWhatItDrops) {
  LockTrace t(3);
  for (int i = 0; i < 10; ++i) t.record(LockId::kGil, LockEvent::kEntry);
  EXPECT_EQ(t.events().size(), 3u);
  EXPECT_EQ(t.dropped(), 7u);
}

}  // namespace
}  // namespace rclab::experiments
