// PyMutex: free-threaded CPython 3.13's one-byte lock (Include/cpython/
// pylock.h, Python/lock.c), the lock every object carries in its header
// (ob_mutex) and critical sections take (dictlock/critical_section.h).
//
// Two bits: kLocked, and kHasParked (some thread sleeps in the parking lot
// on this byte, dictlock/parking_lot.h). Uncontended, lock and unlock are
// one compare-and-swap each. Contended, as _PyMutex_LockTimed:
//   - spin: while nobody is parked, up to 40 times (MAX_SPIN_COUNT of the
//     --disable-gil build), sched_yield() and look again;
//   - then set kHasParked and park, validating that the byte is still
//     locked-and-parked;
//   - the unlocker wakes one waiter (mutex_unpark). A waiter that has waited
//     more than 1 ms (TIME_TO_BE_FAIR_NS) is handed the lock directly: the
//     byte stays locked and the waiter returns owning it. Otherwise the
//     byte is released (kHasParked kept if the bucket has more waiters) and
//     the woken thread competes for it like any other.
// While it sleeps, the thread runs its BlockingHooks and suspends its
// critical sections (park_hooks below), as 3.13t detaches its thread state.
//
// Orders: acquire on every taking compare-and-swap, release on every
// giving store, so the byte carries the happens-before ThreadSanitizer sees.
#pragma once

#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/fatal.h"
#include "dictlock/parking_lot.h"

namespace rclab::dictlock {

// What a thread does with its critical sections around a sleep in the
// lot: set by dictlock/critical_section.h (which depends on this file).
struct ParkHooks {
  bool (*suspend)() = nullptr;  // true when something was suspended
  void (*resume)() = nullptr;
};
inline ParkHooks park_hooks{};

class PyMutex {
 public:
  static constexpr std::uint8_t kUnlocked = 0, kLocked = 1, kHasParked = 2;
  static constexpr int kMaxSpin = 40;                                    // lock.c, --disable-gil
  static constexpr std::chrono::nanoseconds kTimeToBeFair{1'000'000};    // TIME_TO_BE_FAIR_NS

  [[gnu::always_inline]] bool try_lock_fast() {
    std::uint8_t v = kUnlocked;
    return bits_.compare_exchange_strong(v, kLocked, std::memory_order_acquire, std::memory_order_relaxed);
  }
  [[gnu::always_inline]] void lock() {
    if (!try_lock_fast()) [[unlikely]]
      lock_slow();
  }
  [[gnu::always_inline]] void unlock() {
    std::uint8_t v = kLocked;
    if (!bits_.compare_exchange_strong(v, kUnlocked, std::memory_order_release, std::memory_order_relaxed)) [[unlikely]]
      unlock_slow();
  }
  bool is_locked() const { return (bits_.load(std::memory_order_relaxed) & kLocked) != 0; }
  bool has_parked() const { return (bits_.load(std::memory_order_relaxed) & kHasParked) != 0; }

 private:
  struct Entry {  // lock.c's mutex_entry
    std::chrono::steady_clock::time_point time_to_be_fair;
    bool handed_off = false;  // written by the unlocker, under the bucket's mutex
  };

  [[gnu::noinline]] void lock_slow() {
    std::uint8_t v = bits_.load(std::memory_order_relaxed);
    Entry entry{std::chrono::steady_clock::now() + kTimeToBeFair};
    int spins = 0;
    for (;;) {
      if ((v & kLocked) == 0) {
        if (bits_.compare_exchange_weak(v, v | kLocked, std::memory_order_acquire, std::memory_order_relaxed)) return;
        continue;
      }
      if ((v & kHasParked) == 0 && spins < kMaxSpin) {
        sched_yield();
        ++spins;
        v = bits_.load(std::memory_order_relaxed);
        continue;
      }
      std::uint8_t want = v;
      if ((v & kHasParked) == 0) {  // the first waiter says so
        want = v | kHasParked;
        if (!bits_.compare_exchange_weak(v, want, std::memory_order_relaxed, std::memory_order_relaxed)) continue;
      }
      const bool suspended = park_hooks.suspend != nullptr && park_hooks.suspend();
      const bool slept = parking_lot::park(
          &bits_, [&] { return bits_.load(std::memory_order_relaxed) == want; }, &entry);
      if (slept && entry.handed_off) {
        // Owned now. The unlocker's store was under the bucket's mutex,
        // which the semaphore orders before this; an acquire load makes
        // the hand-off's edge visible to ThreadSanitizer too.
        (void)bits_.load(std::memory_order_acquire);
        if (suspended) park_hooks.resume();
        return;
      }
      if (suspended) park_hooks.resume();
      v = bits_.load(std::memory_order_relaxed);
    }
  }

  [[gnu::noinline]] void unlock_slow() {
    std::uint8_t v = bits_.load(std::memory_order_relaxed);
    for (;;) {
      if ((v & kLocked) == 0) fatal("PyMutex: unlock of a mutex nobody holds");
      if ((v & kHasParked) != 0) {
        parking_lot::unpark_one(&bits_, [this](void* arg, bool more) {
          std::uint8_t next = kUnlocked;
          if (arg != nullptr) {
            auto* e = static_cast<Entry*>(arg);
            e->handed_off = std::chrono::steady_clock::now() > e->time_to_be_fair;
            if (e->handed_off) next |= kLocked;
            if (more) next |= kHasParked;
          }
          bits_.store(next, std::memory_order_release);
        });
        return;
      }
      if (bits_.compare_exchange_weak(v, kUnlocked, std::memory_order_release, std::memory_order_relaxed)) return;
    }
  }

  std::atomic<std::uint8_t> bits_{kUnlocked};
  static_assert(sizeof(std::atomic<std::uint8_t>) == 1 && std::atomic<std::uint8_t>::is_always_lock_free);
};

}  // namespace rclab::dictlock
