// `ticks`: the GIL of Python 2 (and 3.0/3.1), as David Beazley instrumented
// it ("Inside the Python GIL", 2009): the interpreter counts "ticks" — instructions,
// counted where 2.7's loop checked _Py_Ticker (the same places 3.x polls its
// eval breaker) — and every check interval (100 ticks by default,
// sys.setcheckinterval) the holder releases the lock and at once asks for it
// again.
//
// The lock is CPython 2's PyThread_type_lock on pthreads: a `locked` flag
// under a mutex with a condition variable, no hand-off and no fairness. A
// release signals the condition variable, but the releasing thread usually
// re-acquires before the woken one has even been scheduled — on several
// cores, waiting threads convoy behind it and contend in vain, which is what
// Beazley's traces showed and what the 3.2 GIL was built to fix.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "common/lock_trace.h"
#include "common/probes.h"
#include "runtime/gil.h"

namespace rclab::runtime {

struct TicksGil {
  static constexpr std::string_view kName = "ticks";
  static constexpr bool kExclusive = true;
  // CPython 2's sys.setcheckinterval default: 100 ticks.
  static constexpr SettingSpec kCheckInterval{"check_interval", 100, 1, 1'000'000, "ticks",
                                              "GIL check interval (sys.setcheckinterval)", "the ticks GIL"};
  static constexpr SettingSpec kSettings[] = {kCheckInterval};

  struct Local;

  struct Shared {
    Shared(EvalBreaker&, const Settings& s) : check_interval(int(s.get(kCheckInterval))) {}

    const int check_interval;
    std::mutex mutex;  // guards locked and last_holder
    std::condition_variable cond;
    bool locked = false;
    const Local* last_holder = nullptr;
    std::atomic<std::uint64_t> switches{0};
    std::atomic<std::uint64_t> releases{0};  // check-interval releases (each a chance to switch)
  };

  struct Local {
    explicit Local(Shared&) noexcept {}
    int ticker = 0;              // _Py_Ticker: starts at 0 "so that we hit a tick first thing"
    LockTrace* trace = nullptr;  // set only when tracing (rclab trace)
  };

  static void trace(Shared& g, Local& me, LockEvent e) {
    if (kLockTraceCompiled && me.trace != nullptr) [[unlikely]]
      me.trace->record(LockId::kGil, e, me.ticker, std::uint32_t(g.releases.load(std::memory_order_relaxed)));
  }

  static void take(Shared& g, Local& me) {
    RCLAB_PROBE2(gil_take, &g, &me);
    trace(g, me, LockEvent::kEntry);
    std::unique_lock lock(g.mutex);
    bool waited = false;
    while (g.locked) {
      trace(g, me, waited ? LockEvent::kRetry : LockEvent::kBusy);
      waited = true;
      g.cond.wait(lock);
    }
    g.locked = true;
    if (g.last_holder != &me) {
      g.last_holder = &me;
      g.switches.fetch_add(1, std::memory_order_relaxed);
    }
    trace(g, me, LockEvent::kAcquire);
    RCLAB_PROBE2(gil_acquired, &g, &me);
  }

  static void drop(Shared& g, Local& me) {
    RCLAB_PROBE2(gil_drop, &g, &me);
    trace(g, me, LockEvent::kRelease);
    {
      std::lock_guard lock(g.mutex);
      g.locked = false;
    }
    g.cond.notify_one();
    trace(g, me, LockEvent::kReleased);
  }

  static void yield(Shared& g, Local& me) {
    drop(g, me);
    take(g, me);
  }

  // Once per counted instruction.
  static void tick(Shared& g, Local& me) {
    if (--me.ticker < 0) [[unlikely]] {
      me.ticker = g.check_interval;
      g.releases.fetch_add(1, std::memory_order_relaxed);
      yield(g, me);  // "Other threads may run now"
    }
  }

  static GilStats stats(const Shared& g) {
    return {g.switches.load(std::memory_order_relaxed), 0, g.releases.load(std::memory_order_relaxed)};
  }
};

}  // namespace rclab::runtime
