// `ticks`: the GIL of Python 2 (and 3.0/3.1), as 2.7.18's Python/ceval.c and
// Python/thread_pthread.h have it, and as David Beazley instrumented it
// ("Inside the Python GIL", 2009).
//
// The ticker. The interpreter counts "ticks" — instructions, counted where
// 2.7's loop checked _Py_Ticker (the same places 3.x polls its eval breaker)
// — on ONE counter for the whole process: 2.7's `volatile int _Py_Ticker`
// ("used to be per thread, now just a pair o' globals"), decremented by
// whichever thread holds the GIL. When it goes below zero the holder resets
// it to the check interval (_Py_CheckInterval, 100, sys.setcheckinterval),
// releases the interpreter lock and at once asks for it again. Because the
// ticker is shared, a thread that wins the lock inherits what is left of the
// count: all threads together make one release per check_interval + 1 ticks,
// not one each.
//
// The lock (setting gil_lock). 2.7's interpreter_lock is a PyThread_type_lock;
// thread_pthread.h builds it two ways:
//   0 semaphore  — when <unistd.h> defines _POSIX_SEMAPHORES (Linux, glibc):
//                  a sem_t initialised to 1; acquire is sem_wait retried on
//                  EINTR, release is sem_post. The default: 2.7 on Linux.
//   1 mutex+cond — otherwise (OS X, where Beazley made his traces): a
//                  `locked` flag under a mutex with a condition variable;
//                  release clears the flag and signals while holding the
//                  mutex.
// Neither hands off nor is fair. A release wakes one waiter, but the
// releasing thread usually re-acquires before the woken one has even been
// scheduled — on several cores, waiting threads convoy behind it and contend
// in vain, which is what Beazley's traces showed and what the 3.2 GIL was
// built to fix.
//
// Threading contract:
//   ticker         written only by the GIL holder (tick); read by the holder
//                  and, for trace events, by threads waiting for the GIL.
//   last_holder    read and written only by the GIL holder, after it has the
//                  lock: the lock (semaphore or mutex) orders one holder's
//                  accesses before the next's.
//   sem            the semaphore variant's lock; unused by the other.
//   mutex, cond,   the mutex+cond variant's lock: `locked` only under
//   locked         `mutex`; unused by the semaphore variant.
//   switches,      statistics, atomics so stats() may read them at any time.
//   releases
#pragma once

#include <semaphore.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "common/cacheline.h"
#include "common/fatal.h"
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
  // Which PyThread_type_lock 2.7 builds the GIL on (thread_pthread.h).
  enum class Lock : int { kSemaphore = 0, kMutexCond = 1 };
  static constexpr SettingSpec kLock{
      "gil_lock", 0, 0, 1, "choice",
      "the lock the GIL is built on: 0 POSIX semaphore (2.7 on Linux), 1 mutex+condvar (2.7 elsewhere: OS X)",
      "the ticks GIL"};
  static constexpr SettingSpec kSettings[] = {kCheckInterval, kLock};

  struct Local;

  // The CLI refuses other values (kLock's range); a caller that builds its
  // own Settings gets a fatal error rather than a silent choice.
  static Lock lock_of(const Settings& s) {
    const std::int64_t v = s.get(kLock);
    if (v != int(Lock::kSemaphore) && v != int(Lock::kMutexCond)) fatal("ticks GIL: gil_lock must be 0 or 1");
    return Lock(v);
  }

  struct Shared {
    Shared(EvalBreaker&, const Settings& s)
        : check_interval(int(s.get(kCheckInterval))), lock(lock_of(s)) {
      if (sem_init(&sem, /*pshared=*/0, /*value=*/1) != 0) fatal("ticks GIL: sem_init failed");
    }
    ~Shared() { sem_destroy(&sem); }
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;

    // _Py_Ticker, starting at 0 "so that we hit a tick first thing". 2.7's is
    // a plain volatile int, and only the holder writes it, so the lock alone
    // would order it (TSan follows sem_wait/sem_post and mutexes). It is a
    // relaxed atomic, used only with separate load and store (never a
    // read-modify-write, which 2.7's `--_Py_Ticker` is not), because the
    // trace events of a thread WAITING for the GIL record the ticker as
    // Beazley's instrumentation did — a read concurrent with the holder's
    // writes, a data race on a plain int. On x86-64 and AArch64 a relaxed load
    // and store are the same plain moves a volatile int gets, and like
    // volatile they are never kept in a register: a memory round trip per
    // tick, as in 2.7. Its own cache line, away from the lock that waiters
    // touch, as 2.7's global is away from its malloc'ed lock.
    alignas(kCacheLine) std::atomic<int> ticker{0};
    const int check_interval;  // _Py_CheckInterval
    const Lock lock;

    alignas(kCacheLine) sem_t sem;  // Lock::kSemaphore
    std::mutex mutex;               // Lock::kMutexCond: guards `locked`
    std::condition_variable cond;   // Lock::kMutexCond: "lock_released"
    bool locked = false;            // Lock::kMutexCond

    const Local* last_holder = nullptr;  // rclab's, not 2.7's: for `switches`
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

  // PyThread_acquire_lock(interpreter_lock, 1).
  static void take(Shared& g, Local& me) {
    RCLAB_PROBE2(gil_take, &g, &me);
    trace(g, me, LockEvent::kEntry);
    if (g.lock == Lock::kSemaphore)
      sem_acquire(g, me);
    else
      cond_acquire(g, me);
    // The holder from here on.
    if (g.last_holder != &me) {
      g.last_holder = &me;
      g.switches.fetch_add(1, std::memory_order_relaxed);
    }
    trace(g, me, LockEvent::kAcquire);
    RCLAB_PROBE2(gil_acquired, &g, &me);
  }

  // PyThread_release_lock(interpreter_lock). Only the holder may call it.
  static void drop(Shared& g, Local& me) {
    RCLAB_PROBE2(gil_drop, &g, &me);
    trace(g, me, LockEvent::kRelease);
    if (g.lock == Lock::kSemaphore) {
      // A post on a semaphore nobody holds would let two threads in later;
      // 2.7 did not check, the model does (one load).
      int value = -1;
      if (sem_getvalue(&g.sem, &value) != 0 || value != 0) fatal("ticks GIL: drop without holding the GIL");
      if (sem_post(&g.sem) != 0) fatal("ticks GIL: sem_post failed");
    } else {
      std::lock_guard lock(g.mutex);
      if (!g.locked) fatal("ticks GIL: drop without holding the GIL");
      g.locked = false;
      g.cond.notify_one();  // "wake up someone (anyone, if any)": 2.7 signals before unlocking
    }
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

 private:
  // The semaphore variant: sem_wait, retried when a signal interrupts it.
  // Tracing needs to know whether the lock was held (BUSY), which sem_wait
  // does not say, so a traced thread first tries sem_trywait — the same
  // non-blocking attempt glibc's sem_wait makes before it sleeps, so the
  // outcome is unchanged. A waiter's wake-ups inside sem_wait are invisible:
  // this variant records RETRY only for an interrupted wait.
  static void sem_acquire(Shared& g, Local& me) {
    if (kLockTraceCompiled && me.trace != nullptr) [[unlikely]] {
      if (sem_trywait(&g.sem) == 0) return;
      if (errno != EAGAIN && errno != EINTR) fatal("ticks GIL: sem_trywait failed");
      trace(g, me, LockEvent::kBusy);
    }
    while (sem_wait(&g.sem) != 0) {
      if (errno != EINTR) fatal("ticks GIL: sem_wait failed");
      trace(g, me, LockEvent::kRetry);
    }
  }

  // The mutex+cond variant: wait on the condition variable until `locked`
  // is clear, then set it; BUSY when it was set, RETRY on each wake-up that
  // finds it set again (another thread got there first).
  static void cond_acquire(Shared& g, Local& me) {
    std::unique_lock lock(g.mutex);
    bool waited = false;
    while (g.locked) {
      trace(g, me, waited ? LockEvent::kRetry : LockEvent::kBusy);
      waited = true;
      g.cond.wait(lock);
    }
    g.locked = true;
  }
};

}  // namespace rclab::runtime
