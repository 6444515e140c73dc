// `buffered`: buffered reference counting — Gilectomy's October 2016 step
// ("refcount pads", slides 12–24 of the Gilectomy deck). Instead of an atomic
// add on every incref and decref, each thread appends the object to its own
// incref log or decref log, without atomics or locks; full logs go to one
// commit thread, which alone changes counts and frees objects.
//
// Why it never frees early: epochs (Bacon's Recycler; Levanoni–Petrank).
//   - A global epoch G. Every thread that takes part has a local epoch and
//     labels everything it logs with it. The commit thread advances G and
//     then waits until every thread has acknowledged: a running thread does
//     so at its next safepoint (the eval loop polls has_pending() where it
//     polls its eval breaker) by cutting its logs — handing them over
//     labelled with its old epoch — and taking G as its epoch. A thread that
//     is parked (blocked, not touching counts) or detached is cut by the
//     commit thread itself, so blocked and finished threads never stall
//     epochs. G advances again only after every thread has acknowledged, so
//     at any moment every local epoch is G or G-1.
//   - The collection after advancing to G applies every increment labelled
//     <= G-1 and then every decrement labelled <= G-2: decrements wait one
//     epoch more than increments. Once all threads have acknowledged G, no
//     log labelled below G can still grow, so both sets are complete.
//   - Safety. Take an increment by thread A at time t1 (A's epoch a) and a
//     decrement by thread B at a later time t2 (B's epoch b) — say B drops
//     the list's reference to an item A has just increfed (slides 15–19).
//     a <= G(t1) <= G(t2) <= b + 1, because A's epoch never exceeds G and
//     B's lags G by at most one. A's increment is applied in collection
//     a + 1 <= b + 2, and B's decrement in collection b + 2, where increments
//     go first. So no decrement is ever applied before an increment that
//     preceded it in real time, and a count the commit thread sees at zero
//     is zero for good: nobody holds a reference and nobody can make one.
//
// Deallocation happens on the commit thread, so it frees memory other
// threads allocated; a deallocator that drops references (a frame's locals)
// logs those decrements in the commit thread's own log, and they go through
// the same rules (the commit thread takes part in epochs like any thread).
//
// Counts are therefore not real time. count() is exact only after quiesce(),
// which waits until every log has been applied. What each of slide 25's
// casualties would need:
//   - real-time reference counts (sys.getrefcount, "is this the last
//     reference?" optimisations): a quiesce, i.e. a stop-the-world;
//   - weak references: a weakref may only be dereferenced if the object is
//     alive, which only the commit thread knows: the dereference would have
//     to log an increment and then wait a full collection before use;
//   - interned mortal strings: the intern table's lookup must not hand out
//     a string whose count is already (pending) zero: same problem as
//     weakrefs, so interned strings would have to be immortal;
//   - resurrection in __del__: the finaliser would run on the commit thread,
//     and a resurrecting increment would be applied an epoch later than the
//     free it must prevent: finalisers would have to run as a separate phase
//     after a quiesce.
//
// Back-pressure. Logs come from a pool, and all logs together — the
// producers', the pending ones and the commit thread's own — may take at most
// `log_memory_cap` bytes. A producer whose log is full and finds the pool
// empty at the cap waits — parked, so epochs go on without it — until the
// commit thread returns logs. The commit thread itself never waits (it is
// the one that frees logs), so its own logs, which fill with the decrements
// of the objects it frees, are the one way past the cap. So the cap keeps
// kCollectorReserve logs for those frees: producers allocate a new log only
// while that leaves the reserve free, logs returned beyond that point are
// freed rather than pooled, and the commit thread applies decrement logs one
// at a time and, after the first of a collection, only while the reserve is
// free — the rest stay pending (a decrement may always be applied later,
// never earlier). One decrement log's frees decrement at most six logs' worth
// in fib (a frame drops five references), so the reserve covers the first
// log plus one collection's leftovers and the cap holds; a workload whose
// deallocators drop more could overshoot, which the high-water mark shows.
//
// Threading contract: incref/decref and safepoint()/park()/unpark()/
// detach()/quiesce() on the Local's own thread; a parked thread touches no
// count. commit_loop() runs on the commit thread, started and stopped by
// the runtime. Everything shared is guarded by Shared::lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/fatal.h"
#include "common/settings.h"
#include "refcount/policy.h"

namespace rclab::refcount {

struct BufferedOptions {
  std::size_t log_capacity = 4096;            // entries per log
  std::size_t log_memory_cap = 64u << 20;     // bytes all logs together may take
  std::chrono::microseconds epoch_interval{1000};  // while threads run, an epoch at least this often
};

struct Buffered {
  static constexpr std::string_view kName = "buffered";
  static constexpr bool kNeedsGil = false;

  static constexpr SettingSpec kLogCapacity{"log_capacity", 4096, 1, 16 << 20, "entries",
                                            "entries per incref/decref log", "buffered counting"};
  static constexpr SettingSpec kLogCapMib{"log_cap_mib", 64, 1, 1 << 16, "MiB",
                                          "MiB of logs the workers may hold before they wait", "buffered counting"};
  static constexpr SettingSpec kEpochInterval{"epoch_interval_us", 1000, 10, 1'000'000, "us",
                                              "the commit thread's epoch interval while threads run",
                                              "buffered counting"};
  static constexpr SettingSpec kSettings[] = {kLogCapacity, kLogCapMib, kEpochInterval};
  static BufferedOptions options(const Settings& s) {
    return {std::size_t(s.get(kLogCapacity)), std::size_t(s.get(kLogCapMib)) << 20,
            std::chrono::microseconds(s.get(kEpochInterval))};
  }
  // Why these settings cannot work together, or empty: the cap must hold the
  // two logs a thread needs beyond the commit thread's reserve, or producers
  // would wait for a log that can never exist.
  static std::string check_settings(const Settings& s);

  struct Header {
    // Written only by the commit thread (after init); atomic with relaxed
    // loads and stores so that other threads' immortal tests may read it.
    std::atomic<std::int64_t> refcnt;
  };

  static constexpr std::size_t kCollectorReserve = 16;

  struct Log {
    explicit Log(std::size_t capacity) : entries(capacity == 0 ? nullptr : new Header*[capacity]), cap(capacity) {}
    std::unique_ptr<Header*[]> entries;
    std::size_t n = 0;
    std::size_t cap;
    std::uint64_t epoch = 0;      // the label: the owner's epoch when it was handed over
    std::uint64_t opened_ns = 0;  // when its owner took it: bounds every entry's lag
  };

  enum class State { kRunning, kParked, kDetached };

  struct Local;

  struct Shared {
    explicit Shared(const Settings& s) : Shared(options(s)) {}
    explicit Shared(const BufferedOptions& o = {}) : opt(o) {
      if (opt.log_capacity == 0) fatal("buffered: the log capacity must be at least 1");
      // A producer needs two logs beyond the commit thread's reserve, or it
      // would wait for a log that can never exist.
      if (log_bytes(2 + kCollectorReserve) > opt.log_memory_cap)
        fatal("buffered: the log memory cap is smaller than the logs one thread needs");
    }
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;

    const BufferedOptions opt;
    std::atomic<std::uint64_t> epoch{1};  // G; written under `lock`
    std::mutex lock;
    std::condition_variable collector_cv;  // wakes the commit thread
    std::condition_variable waiters_cv;    // wakes producers waiting for a log, and quiesce callers
    // Guarded by `lock`:
    std::vector<Local*> threads;  // taking part, the commit thread excepted
    std::vector<Log*> pending_inc, pending_dec, pool;
    std::size_t allocated = 0;               // logs in existence (pool, pending, current)
    std::size_t full_handed = 0;             // full logs handed over since the last collection
    int producers_waiting = 0;
    int quiesce_waiting = 0;
    std::uint64_t quiesce_generation = 0;
    bool stop = false;
    bool collector_running = false;
    // Statistics, guarded by `lock`.
    std::uint64_t applied = 0, epochs = 0, max_lag_ns = 0, producer_waits = 0;
    std::size_t log_bytes_high_water = 0;

    std::size_t log_bytes(std::size_t count) const { return count * opt.log_capacity * sizeof(Header*); }
    // True when allocating `extra` more logs would cut into the commit
    // thread's reserve.
    bool into_reserve(std::size_t extra) const {
      return log_bytes(allocated + extra + kCollectorReserve) > opt.log_memory_cap;
    }
    bool producer_must_wait() const { return pool.empty() && into_reserve(1); }

    // Every thread has detached by now, so every log is in the pool.
    ~Shared() {
      for (Log* l : pool) delete l;
      for (Log* l : pending_inc) delete l;
      for (Log* l : pending_dec) delete l;
    }
  };

  struct Local {
    explicit Local(Shared& s) : shared(&s) {
      std::lock_guard g(s.lock);
      epoch = s.epoch.load(std::memory_order_relaxed);
      s.threads.push_back(this);
      s.collector_cv.notify_one();
    }
    ~Local() {
      if (state != State::kDetached) detach_now(*this);
    }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;

    Shared* shared;
    // The current logs. An empty sentinel (cap 0) until the first entry, and
    // after a cut that found the pool empty: the next append takes a log.
    Log* inc = &empty_log();
    Log* dec = &empty_log();
    std::uint64_t epoch = 0;  // read by the owner; written under `lock` (by the commit thread only while parked)
    State state = State::kRunning;
    bool collector = false;
  };

  static void init(Header& h, Local&) { std::construct_at(&h.refcnt, 1); }

  [[gnu::always_inline]] static void incref(Header& h, Local& l) { append(l, l.inc, h); }
  [[gnu::always_inline]] static bool decref(Header& h, Local& l) {
    append(l, l.dec, h);
    return false;  // only the commit thread frees
  }
  static std::int64_t count(const Header& h) { return h.refcnt.load(std::memory_order_relaxed); }

  // --- Immortal objects (under refcount/immortal.h's modifier) --------------
  //
  // The marker is Immortal's 2^62, but the test accepts anything from 2^61
  // up, as CPython 3.12+'s accepts any count in its immortal range: an
  // object made immortal may still have operations in logs that were handed
  // over before it was marked, and the commit thread applies them to the
  // marker afterwards (an incref applied before the marking and its decref
  // applied after leave 2^62 - 1). Such drift is bounded by the references
  // the object had when it was marked, so it never leaves the range.
  //
  // One race the range cannot absorb: the commit thread applies a count as
  // a load and a store, so a marker stored between the two is overwritten
  // by the object's real count. The object is then simply mortal and
  // counted exactly; the runtime re-marks every immortal once the logs are
  // quiesced, before any worker starts (runtime/runtime.h:
  // reseal_immortals), and nothing marks objects after that.
  static constexpr std::int64_t kImmortalMarker = std::int64_t(1) << 62;
  static constexpr std::int64_t kImmortalFloor = std::int64_t(1) << 61;
  static void store_immortal_marker(Header& h) { h.refcnt.store(kImmortalMarker, std::memory_order_relaxed); }
  [[gnu::always_inline]] static bool has_immortal_marker(const Header& h) {
    return h.refcnt.load(std::memory_order_relaxed) >= kImmortalFloor;
  }

  // --- Safepoints (HasSafepoint) -------------------------------------------

  static bool has_pending(const Local& l) {
    return l.epoch != l.shared->epoch.load(std::memory_order_relaxed);
  }

  // Acknowledges the new epoch: hands over this thread's logs.
  template <class Free>
  static void safepoint(Local& l, Free&&) {
    Shared& s = *l.shared;
    std::lock_guard g(s.lock);
    cut(s, l);
    l.epoch = s.epoch.load(std::memory_order_relaxed);
    s.collector_cv.notify_one();
  }

  // The thread stops taking part: its logs are handed over and it no
  // longer holds epochs back. Idempotent.
  template <class Free>
  static void detach(Local& l, Free&&) {
    if (l.state != State::kDetached) detach_now(l);
  }

  // --- Blocking (HasParking) ----------------------------------------------

  // Before the thread blocks (a barrier, a join): the commit thread may now
  // cut its logs itself. The thread must not touch a count until unpark().
  static void park(Local& l) {
    Shared& s = *l.shared;
    std::lock_guard g(s.lock);
    l.state = State::kParked;
    s.collector_cv.notify_one();
  }
  static void unpark(Local& l) {
    Shared& s = *l.shared;
    std::lock_guard g(s.lock);
    l.state = State::kRunning;
    s.collector_cv.notify_one();  // running threads make the commit thread keep epochs going
  }

  // --- The commit thread (HasCommitThread) ---------------------------------

  // Waits, parked, until everything logged so far — by every thread — has
  // been applied and every object it freed has had its own decrements
  // applied. Counts are exact afterwards. Call while the other threads are
  // parked or detached, or the logs may never be empty.
  static void quiesce(Local& l) {
    Shared& s = *l.shared;
    std::unique_lock g(s.lock);
    if (!s.collector_running) fatal("buffered: quiesce() without a commit thread");
    cut(s, l);
    l.state = State::kParked;
    const std::uint64_t gen = s.quiesce_generation;
    ++s.quiesce_waiting;
    s.collector_cv.notify_one();
    s.waiters_cv.wait(g, [&] { return s.quiesce_generation != gen; });
    l.state = State::kRunning;
  }

  // The commit thread's loop, on its own thread with its own Local (which
  // leaves the list of threads it waits for). free(h) deallocates an object
  // whose count reached zero. Returns after stop().
  template <class Free>
  static void commit_loop(Shared& s, Local& me, Free&& free) {
    std::unique_lock g(s.lock);
    std::erase(s.threads, &me);
    me.collector = true;
    s.collector_running = true;
    s.waiters_cv.notify_all();
    for (;;) {
      auto work = [&] {
        return s.stop || s.full_handed > 0 || s.producers_waiting > 0 || s.quiesce_waiting > 0;
      };
      if (any_running(s))
        s.collector_cv.wait_for(g, s.opt.epoch_interval, work);
      else
        s.collector_cv.wait(g, [&] { return work() || any_running(s) || !s.pending_inc.empty() || !s.pending_dec.empty(); });
      if (s.stop && s.threads.empty() && nothing_left(s, me)) break;
      advance_epoch(s, me, g);
      collect(s, g, free);
      if (s.quiesce_waiting > 0 && nothing_left(s, me)) {
        s.quiesce_waiting = 0;
        ++s.quiesce_generation;
        s.waiters_cv.notify_all();
      }
    }
    s.collector_running = false;
  }

  // Asks the commit thread to finish once every thread has detached and
  // every log is applied. The runtime then joins it.
  static void stop(Shared& s) {
    std::lock_guard g(s.lock);
    s.stop = true;
    s.collector_cv.notify_one();
  }

  // Waits until the commit thread has started (so quiesce() has someone to
  // wait for).
  static void wait_started(Shared& s) {
    std::unique_lock g(s.lock);
    s.waiters_cv.wait(g, [&] { return s.collector_running; });
  }

  static std::vector<PolicyStat> stats(const Shared& cs) {
    auto& s = const_cast<Shared&>(cs);
    std::lock_guard g(s.lock);
    return {{"buffered_entries_applied", s.applied},
            {"buffered_epochs", s.epochs},
            {"buffered_max_lag_us", s.max_lag_ns / 1000},
            {"buffered_log_bytes_high_water", s.log_bytes_high_water},
            {"buffered_log_memory_cap", s.opt.log_memory_cap},
            {"buffered_producer_waits", s.producer_waits}};
  }

 private:
  static Log& empty_log() {
    static Log sentinel(0);  // never written: cap 0 sends every append to rotate()
    return sentinel;
  }

  [[gnu::always_inline]] static void append(Local& l, Log*& log, Header& h) {
    if (log->n == log->cap) [[unlikely]]
      rotate(l, log);
    log->entries[log->n++] = &h;
  }

  // The log is full (or the sentinel): hand it over, take another.
  [[gnu::noinline]] static void rotate(Local& l, Log*& log) {
#ifndef NDEBUG
    if (l.state != State::kRunning) fatal("buffered: a parked or detached thread changed a reference count");
#endif
    Shared& s = *l.shared;
    std::unique_lock g(s.lock);
    if (log->n > 0) {
      hand_over(s, l, log, &log == &l.dec ? s.pending_dec : s.pending_inc);
      ++s.full_handed;
      s.collector_cv.notify_one();
    }
    log = &empty_log();
    if (!l.collector && s.producer_must_wait()) {
      // Back-pressure: wait, parked, for the commit thread to return a log.
      ++s.producer_waits;
      ++s.producers_waiting;
      l.state = State::kParked;
      s.collector_cv.notify_one();
      s.waiters_cv.wait(g, [&] { return !s.producer_must_wait(); });
      l.state = State::kRunning;
      --s.producers_waiting;
    }
    log = take_log(s);
  }

  // Under `lock`.
  static Log* take_log(Shared& s) {
    Log* log;
    if (!s.pool.empty()) {
      log = s.pool.back();
      s.pool.pop_back();
    } else {
      log = new Log(s.opt.log_capacity);
      ++s.allocated;
      s.log_bytes_high_water = std::max(s.log_bytes_high_water, s.log_bytes(s.allocated));
    }
    log->n = 0;
    log->opened_ns = std::uint64_t(monotonic_ns());
    return log;
  }

  static void hand_over(Shared&, Local& l, Log* log, std::vector<Log*>& to) {
    log->epoch = l.epoch;
    to.push_back(log);
  }

  // Hands over a thread's non-empty logs, labelled with its epoch. Under
  // `lock`; on the owner's thread, or on the commit thread while the owner
  // is parked.
  static void cut(Shared& s, Local& l) {
    if (l.inc->n > 0) {
      hand_over(s, l, l.inc, s.pending_inc);
      l.inc = &empty_log();
    }
    if (l.dec->n > 0) {
      hand_over(s, l, l.dec, s.pending_dec);
      l.dec = &empty_log();
    }
  }

  static void detach_now(Local& l) {
    Shared& s = *l.shared;
    std::lock_guard g(s.lock);
    cut(s, l);
    for (Log** log : {&l.inc, &l.dec})
      if (*log != &empty_log()) {
        give_back(s, *log);  // empty: cut took anything in it
        *log = &empty_log();
      }
    std::erase(s.threads, &l);
    l.state = State::kDetached;
    s.collector_cv.notify_one();
    s.waiters_cv.notify_all();
  }

  static bool any_running(const Shared& s) {
    return std::any_of(s.threads.begin(), s.threads.end(), [](const Local* t) { return t->state == State::kRunning; });
  }

  // Nothing pending, nothing in the commit thread's logs, nothing in a
  // parked thread's logs (running threads' logs cannot be read from here).
  static bool nothing_left(const Shared& s, const Local& me) {
    if (!s.pending_inc.empty() || !s.pending_dec.empty() || me.inc->n > 0 || me.dec->n > 0) return false;
    return std::all_of(s.threads.begin(), s.threads.end(), [](const Local* t) {
      return t->state != State::kRunning && t->inc->n == 0 && t->dec->n == 0;
    });
  }

  // G += 1, then every thread acknowledges: parked ones are cut here,
  // running ones cut themselves at their next safepoint.
  static void advance_epoch(Shared& s, Local& me, std::unique_lock<std::mutex>& g) {
    const std::uint64_t G = s.epoch.load(std::memory_order_relaxed) + 1;
    s.epoch.store(G, std::memory_order_relaxed);
    cut(s, me);
    me.epoch = G;
    for (;;) {
      bool all = true;
      for (Local* t : s.threads) {
        if (t->epoch == G) continue;
        if (t->state != State::kRunning) {
          cut(s, *t);
          t->epoch = G;
        } else {
          all = false;
        }
      }
      if (all) break;
      s.collector_cv.wait(g);
    }
    ++s.epochs;
  }

  // Applies increments labelled <= G-1, then decrements labelled <= G-2,
  // outside the lock (only this thread changes counts); frees what reaches
  // zero; returns the logs. Decrement logs go one at a time, and once the
  // logs are at their cap the rest stay pending for a later collection.
  template <class Free>
  static void collect(Shared& s, std::unique_lock<std::mutex>& g, Free& free) {
    const std::uint64_t G = s.epoch.load(std::memory_order_relaxed);
    std::vector<Log*> incs, decs;
    take_labelled(s.pending_inc, G - 1, incs);
    take_labelled(s.pending_dec, G - 2, decs);
    s.full_handed = 0;
    g.unlock();
    std::uint64_t applied = 0;
    for (Log* log : incs) {
      for (std::size_t i = 0; i < log->n; ++i) {
        Header& h = *log->entries[i];
        h.refcnt.store(h.refcnt.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      }
      applied += log->n;
    }
    g.lock();
    s.applied += applied;
    for (Log* log : incs) give_back(s, log);
    for (std::size_t d = 0; d < decs.size(); ++d) {
      if (d > 0 && s.into_reserve(0)) {  // leave the rest for later: delaying a decrement is always safe
        s.pending_dec.insert(s.pending_dec.end(), decs.begin() + std::ptrdiff_t(d), decs.end());
        break;
      }
      Log* log = decs[d];
      g.unlock();
      for (std::size_t i = 0; i < log->n; ++i) {
        Header& h = *log->entries[i];
        const std::int64_t c = h.refcnt.load(std::memory_order_relaxed) - 1;
        h.refcnt.store(c, std::memory_order_relaxed);
        if (c == 0) free(h);  // may log decrements in the commit thread's own log
#ifndef NDEBUG
        if (c < 0) fatal("buffered: a count went below zero");
#endif
      }
      const std::uint64_t lag = std::uint64_t(monotonic_ns()) - log->opened_ns;
      g.lock();
      s.applied += log->n;
      s.max_lag_ns = std::max(s.max_lag_ns, lag);
      give_back(s, log);
    }
    if (!incs.empty() || !decs.empty()) s.waiters_cv.notify_all();
  }

  // An applied log goes back to the pool, or is freed while the logs cut
  // into the commit thread's reserve.
  static void give_back(Shared& s, Log* log) {
    if (s.into_reserve(0)) {
      delete log;
      --s.allocated;
    } else {
      s.pool.push_back(log);
    }
  }

  static void take_labelled(std::vector<Log*>& from, std::uint64_t max_label, std::vector<Log*>& to) {
    auto keep = std::partition(from.begin(), from.end(), [&](const Log* l) { return l->epoch > max_label; });
    to.assign(keep, from.end());
    from.erase(keep, from.end());
  }
};

inline std::string Buffered::check_settings(const Settings& s) {
  const BufferedOptions o = options(s);
  const std::size_t need = (2 + kCollectorReserve) * o.log_capacity * sizeof(Header*);
  if (o.log_memory_cap >= need) return {};
  return "--log-cap-mib " + std::to_string(s.get(kLogCapMib)) + " cannot hold the " +
         std::to_string(2 + kCollectorReserve) + " logs of " + std::to_string(o.log_capacity) +
         " entries it needs (" + std::to_string(need) + " bytes)";
}

}  // namespace rclab::refcount
