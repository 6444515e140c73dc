// A mutex on one futex word that never spins: the Gilectomy's native lock,
// py_nativelock_lock / py_nativelock_unlock (larryhastings/gilectomy at
// de3aebf50a, Include/lock_linux.h lines 36-38 and 49-66), which is Drepper's
// "Futexes Are Tricky" mutex 3 (the word's states 0 unlocked, 1 locked,
// 2 locked with possible waiters):
//
//   lock:   c = cmpxchg(w, 0, 1); if c == 0: done (uncontended: one CAS)
//           if c != 2: c = xchg(w, 2)
//           while c != 0: futex_wait(w, 2); c = xchg(w, 2)
//   unlock: if fetch_sub(w, 1) != 1: w = 0; futex_wake(w, 1)
//           (uncontended: one locked decrement, no system call)
//
// The same steps here, with C++ atomics in place of the __sync builtins
// (acquire on the taking exchanges, release on the giving ones, so the
// word itself carries the happens-before a sanitizer can see) and the
// FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE system calls made directly, as
// the Gilectomy's syscall_futex does. Used by both locking dict policies.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace rclab::dictlock {

// What a thread does around sleeping on a dict's lock, set per thread by
// the code that runs the interpreter on it (experiments/workload_run.h); empty
// elsewhere. Why: under buffered counting a thread that blocks must be
// parked (runtime/object_ops.h), because the commit thread's epochs wait
// for every running thread — and the lock's holder may itself be waiting
// for the commit thread (its incref, taken inside the lock, found its log
// full). Unparked sleepers and that holder would wait for each other
// forever. Only the contended path reads it: the uncontended lock is
// unchanged.
struct BlockingHooks {
  void (*before)(void*) = nullptr;  // about to sleep
  void (*after)(void*) = nullptr;   // woken, the lock taken
  void* ctx = nullptr;
};
inline thread_local BlockingHooks tls_blocking_hooks{};

class FutexMutex {
 public:
  // Uncontended: one CAS.
  [[gnu::always_inline]] void lock() {
    int c = 0;
    if (word_.compare_exchange_strong(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) [[likely]]
      return;
    lock_contended(c);
  }

  // Uncontended: one atomic decrement.
  [[gnu::always_inline]] void unlock() {
    if (word_.fetch_sub(1, std::memory_order_release) != kLocked) [[unlikely]]
      unlock_contended();
  }

  bool is_locked() const { return word_.load(std::memory_order_relaxed) != kUnlocked; }
  // A thread found the word locked and marked it contended: it waits, or is
  // about to (the word stays 2 until the next unlock, whoever holds it).
  bool has_waiters() const { return word_.load(std::memory_order_relaxed) == kContended; }

 private:
  static constexpr int kUnlocked = 0, kLocked = 1, kContended = 2;

  [[gnu::noinline]] void lock_contended(int c) {
    if (c != kContended) c = word_.exchange(kContended, std::memory_order_acquire);
    if (c == kUnlocked) return;
    const BlockingHooks hooks = tls_blocking_hooks;
    if (hooks.before != nullptr) hooks.before(hooks.ctx);
    while (c != kUnlocked) {
      futex(FUTEX_WAIT_PRIVATE, kContended);  // sleeps only while the word is still 2
      c = word_.exchange(kContended, std::memory_order_acquire);
    }
    if (hooks.after != nullptr) hooks.after(hooks.ctx);
  }

  [[gnu::noinline]] void unlock_contended() {
    word_.store(kUnlocked, std::memory_order_release);
    futex(FUTEX_WAKE_PRIVATE, 1);
  }

  void futex(int op, int val) {
    // std::atomic<int> is an int in memory (static_assert below); the kernel
    // compares and wakes on that address.
    syscall(SYS_futex, reinterpret_cast<int*>(&word_), op, val, nullptr, nullptr, 0);
  }

  std::atomic<int> word_{kUnlocked};
  static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free);
};

}  // namespace rclab::dictlock
