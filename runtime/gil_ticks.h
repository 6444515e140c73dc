// `ticks`: the GIL of Python 2 (and 3.0/3.1), as David Beazley instrumented
// it ("Inside the Python GIL", 2009): the interpreter counts "ticks" — instructions,
// counted where 2.7's loop checked _Py_Ticker (the same places 3.x polls its
// eval breaker) — on ONE counter for the whole process: 2.7's `volatile int
// _Py_Ticker` ("used to be per thread, now just a pair o' globals"),
// decremented by whichever thread holds the GIL. When it goes below zero the
// holder resets it to the check interval (100 by default,
// sys.setcheckinterval), releases the lock and at once asks for it again.
// Because the ticker is shared, a thread that wins the lock inherits what is
// left of the count: all threads together make one release per
// check_interval + 1 ticks, not one each.
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

#include "common/cacheline.h"
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

    // _Py_Ticker, starting at 0 "so that we hit a tick first thing". 2.7's is
    // a plain volatile int, and only the holder writes it, so the lock alone
    // would order it (TSan follows mutexes). It is a relaxed atomic, used
    // only with separate load and store (never a read-modify-write, which
    // 2.7's `--_Py_Ticker` is not), because the trace events of a thread
    // WAITING for the GIL record the ticker as Beazley's instrumentation did
    // — a read concurrent with the holder's writes, a data race on a plain
    // int. On x86-64 and AArch64 a relaxed load and store are the same plain
    // moves a volatile int gets, and like volatile they are never kept in a
    // register: a memory round trip per tick, as in 2.7. Its own cache line,
    // away from the lock that waiters touch, as 2.7's global is away from its
    // malloc'ed lock.
    alignas(kCacheLine) std::atomic<int> ticker{0};
    const int check_interval;  // _Py_CheckInterval

    alignas(kCacheLine) std::mutex mutex;  // guards locked and last_holder
    std::condition_variable cond;
    bool locked = false;
    const Local* last_holder = nullptr;
    std::atomic<std::uint64_t> switches{0};
    std::atomic<std::uint64_t> releases{0};  // check-interval releases (each a chance to switch)
  };

  struct Local {
    explicit Local(Shared&) noexcept {}
    LockTrace* trace = nullptr;  // set only when tracing (rclab trace)
  };

  // Beazley's event line: the (global) ticker and the releases so far.
  static void trace(Shared& g, Local& me, LockEvent e) {
    if (kLockTraceCompiled && me.trace != nullptr) [[unlikely]]
      me.trace->record(LockId::kGil, e, g.ticker.load(std::memory_order_relaxed),
                       std::uint32_t(g.releases.load(std::memory_order_relaxed)));
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

  // Once per counted instruction, by the holder: 2.7's
  // `if (--_Py_Ticker < 0) { _Py_Ticker = _Py_CheckInterval; ... }`.
  static void tick(Shared& g, Local& me) {
    const int left = g.ticker.load(std::memory_order_relaxed) - 1;
    g.ticker.store(left, std::memory_order_relaxed);
    if (left < 0) [[unlikely]] {
      g.ticker.store(g.check_interval, std::memory_order_relaxed);
      g.releases.fetch_add(1, std::memory_order_relaxed);
      yield(g, me);  // "Give another thread a chance" ... "Other threads may run now"
    }
  }

  static GilStats stats(const Shared& g) {
    return {g.switches.load(std::memory_order_relaxed), 0, g.releases.load(std::memory_order_relaxed)};
  }
};

}  // namespace rclab::runtime
