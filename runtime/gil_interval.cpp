#include "runtime/gil_interval.h"

#include "common/fatal.h"
#include "common/probes.h"

using rclab::runtime::IntervalGil;

// The lock's work lives in two extern "C", never-inlined functions named as
// in CPython's Python/ceval_gil.c, so tools written for CPython work on
// rclab unchanged: perf uprobes on take_gil / take_gil%return / drop_gil /
// drop_gil%return are exactly what per4m records (README, "Watching the GIL from outside").
extern "C" {
__attribute__((noinline, used)) void take_gil(IntervalGil::Shared* gil, IntervalGil::Local* tstate);
__attribute__((noinline, used)) void drop_gil(IntervalGil::Shared* gil, IntervalGil::Local* tstate, int force_switch);
}

namespace rclab::runtime {

void IntervalGil::take(Shared& g, Local& me) { ::take_gil(&g, &me); }

void IntervalGil::release(Shared& g, Local& me, bool force_switch) { ::drop_gil(&g, &me, force_switch ? 1 : 0); }

}  // namespace rclab::runtime

extern "C" void take_gil(IntervalGil::Shared* gil, IntervalGil::Local* tstate) {
  using rclab::EvalBreaker;
  auto& g = *gil;
  auto& me = *tstate;
  RCLAB_PROBE2(gil_take, gil, tstate);
  const auto trace = [&](rclab::LockEvent e) {
    if (rclab::kLockTraceCompiled && me.trace != nullptr) [[unlikely]]
      me.trace->record(rclab::LockId::kGil, e, 0, std::uint32_t(g.switch_number.load(std::memory_order_relaxed)));
  };
  trace(rclab::LockEvent::kEntry);
  std::unique_lock lock(g.mutex);
  bool waited = false;
  while (g.locked.load(std::memory_order_relaxed)) {
    trace(waited ? rclab::LockEvent::kRetry : rclab::LockEvent::kBusy);
    waited = true;
    const std::uint64_t saved = g.switch_number.load(std::memory_order_relaxed);
    const bool timed_out = g.cond.wait_for(lock, g.interval) == std::cv_status::timeout;
    // Timed out and nobody switched in the meantime: the holder has had its
    // interval, ask it to drop. (A switch to a third thread resets the clock.)
    if (timed_out && g.locked.load(std::memory_order_relaxed) &&
        g.switch_number.load(std::memory_order_relaxed) == saved &&
        !g.breaker.test(EvalBreaker::kGilDropRequest)) {
      g.breaker.set(EvalBreaker::kGilDropRequest);
      g.drop_requests.fetch_add(1, std::memory_order_relaxed);
      trace(rclab::LockEvent::kDropRequest);
    }
  }
  {
    // switch_mutex is taken before last_holder changes, so a dropping thread
    // that checks last_holder under it cannot miss the signal below.
    std::lock_guard sw(g.switch_mutex);
    g.locked.store(true, std::memory_order_relaxed);
    if (g.last_holder.load(std::memory_order_relaxed) != &me) {
      g.last_holder.store(&me, std::memory_order_relaxed);
      g.switch_number.fetch_add(1, std::memory_order_relaxed);
    }
    g.switch_cond.notify_all();
  }
  // Whoever asked for the drop has it now (or it was us).
  if (g.breaker.test(EvalBreaker::kGilDropRequest)) g.breaker.clear(EvalBreaker::kGilDropRequest);
  trace(rclab::LockEvent::kAcquire);
  RCLAB_PROBE2(gil_acquired, gil, tstate);
}

extern "C" void drop_gil(IntervalGil::Shared* gil, IntervalGil::Local* tstate, int force_switch) {
  using rclab::EvalBreaker;
  using rclab::fatal;
  auto& g = *gil;
  auto& me = *tstate;
  RCLAB_PROBE2(gil_drop, gil, tstate);
  const auto trace = [&](rclab::LockEvent e) {
    if (rclab::kLockTraceCompiled && me.trace != nullptr) [[unlikely]]
      me.trace->record(rclab::LockId::kGil, e, 0, std::uint32_t(g.switch_number.load(std::memory_order_relaxed)));
  };
  trace(rclab::LockEvent::kRelease);
  {
    std::lock_guard lock(g.mutex);
    if (!g.locked.load(std::memory_order_relaxed)) fatal("drop_gil: GIL is not locked");
    g.last_holder.store(&me, std::memory_order_relaxed);
    g.locked.store(false, std::memory_order_relaxed);
  }
  g.cond.notify_one();

  // Forced switching: if we drop because someone asked, wait until a
  // different thread has taken the GIL before we may compete for it again.
  if (force_switch && g.breaker.test(EvalBreaker::kGilDropRequest)) {
    std::unique_lock sw(g.switch_mutex);
    if (g.last_holder.load(std::memory_order_relaxed) == &me) {
      g.breaker.clear(EvalBreaker::kGilDropRequest);
      g.switch_cond.wait(sw, [&] { return g.last_holder.load(std::memory_order_relaxed) != &me; });
    }
  }
  // drop_gil's return, where per4m's uprobe (drop_gil%return) ends holding.
  trace(rclab::LockEvent::kReleased);
}
