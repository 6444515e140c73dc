// `recursive`: the Gilectomy's dict lock. Every dict carries a recursive
// lock (PyDictObject's ma_lock, Include/dictobject.h line 26 of
// larryhastings/gilectomy at de3aebf50a) taken around EVERY lookup and every
// update (Objects/dictobject.c lines 330-343, dict_lock / dict_unlock; e.g.
// _PyDict_LoadGlobal, lines 1283-1321, locks globals, then builtins, one
// lookup each).
//
// The recursive lock is py_recursivelock_t (Include/lock.h lines 172-244):
// an owner thread id from pthread_self(), a recursion count, and the native
// futex lock underneath (dictlock/futex_mutex.h). As there:
//
//   lock:   tid = pthread_self()
//           if count != 0 and owner == tid: ++count; done      (re-entry)
//           native lock (uncontended: one CAS); owner = tid; count = 1
//   unlock: if --count != 0: done
//           native unlock (uncontended: one atomic decrement)
//
// The Gilectomy reads count and owner as plain ints from any thread; here
// they are atomics with the orders that make that reading sound: the owner
// stores owner before count, and every count store is a release (C++20's
// release sequences no longer include later plain stores); a thread loads
// count with acquire, so a nonzero count it sees comes with its owner's id,
// and it can never pair another owner's count with its own stale id. On
// x86 these are the same plain loads and stores as the Gilectomy's.
//
// One difference in where the reference is taken: the Gilectomy's
// _PyDict_LoadGlobal returns a borrowed value after dict_unlock and ceval
// increfs it afterwards, when a writer may already have replaced and freed
// it. Here read() calls keep() — the incref — before the unlock, so the
// value is alive when it is counted. Same operations, same count.
#pragma once

#include <pthread.h>

#include <atomic>
#include <string_view>

#include "dictlock/futex_mutex.h"
#include "dictlock/policy.h"

namespace rclab::dictlock {

struct Recursive {
  static constexpr std::string_view kName = "recursive";
  static constexpr bool kNeedsGil = false;
  static constexpr bool kUnlockedReaders = false;
  static constexpr bool kRecursive = true;

  struct State {
    FutexMutex native;
    std::atomic<int> count{0};         // written by the owner only
    std::atomic<pthread_t> owner{};    // valid while count != 0
  };

  [[gnu::always_inline]] static void lock(State& s) {
    const pthread_t tid = pthread_self();
    const int c = s.count.load(std::memory_order_acquire);
    if (c != 0 && pthread_equal(s.owner.load(std::memory_order_relaxed), tid)) {
      s.count.store(c + 1, std::memory_order_release);
      return;
    }
    s.native.lock();
    s.owner.store(tid, std::memory_order_relaxed);
    s.count.store(1, std::memory_order_release);
  }

  // Only by the owner.
  [[gnu::always_inline]] static void unlock(State& s) {
    const int c = s.count.load(std::memory_order_relaxed) - 1;
    s.count.store(c, std::memory_order_release);
    if (c != 0) return;
    s.native.unlock();
  }

  static bool has_waiters(const State& s) { return s.native.has_waiters(); }

  template <class Lookup, class Keep>
  [[gnu::always_inline]] static auto read(State& s, Lookup&& lookup, Keep&& keep) {
    lock(s);
    auto r = lookup();
    keep(r);
    unlock(s);
    return r;
  }

  template <class Update>
  [[gnu::always_inline]] static void write(State& s, Update&& update) {
    lock(s);
    update();
    unlock(s);
  }
};

static_assert(Policy<Recursive>);

}  // namespace rclab::dictlock
