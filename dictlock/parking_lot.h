// A parking lot: threads sleep keyed by an address, outside the word they
// wait on, as CPython 3.13's Python/parking_lot.c does for PyMutex
// (dictlock/pymutex.h). The lock word stays one byte; the waiters live here.
//
// 257 buckets, an address hashed to one by `addr % 257` (3.13.15's
// NUM_BUCKETS and hash). A bucket is a mutex, a FIFO list of the waiters
// parked in it (any address) and their number. park() validates, under the
// bucket's mutex, that the word still holds what the caller expects, and
// enqueues; the sleep itself is on the waiter's own semaphore, after the
// bucket is released. unpark_one() dequeues the first waiter on the
// address and calls the caller's function with it (or nullptr) and whether
// the bucket still has waiters, under the bucket's mutex, then wakes it.
// 3.13.15 reports "more waiters" for the whole bucket, not the address:
// so does this.
//
// Differences, each for rclab's sake: the bucket mutex is a std::mutex
// (3.13.15's _PyRawMutex spins and sleeps on a semaphore of its own); the
// waiter's semaphore is a std::binary_semaphore (3.13.15's is a POSIX
// sem_t); no timeouts and no signal handling (no caller needs them). The
// caller's BlockingHooks (dictlock/futex_mutex.h) run around the sleep, as
// 3.13t detaches the thread state (_PySemaphore_Wait with detach): QSBR
// offline, and the thread's critical sections suspended (the caller's job,
// dictlock/critical_section.h).
//
// Threading contract: any thread parks and unparks; a waiter's entry lives
// on its stack until unpark_one has woken it.
#pragma once

#include <cstdint>
#include <mutex>
#include <semaphore>

#include "common/cacheline.h"
#include "dictlock/futex_mutex.h"

namespace rclab::dictlock::parking_lot {

struct Waiter {
  const void* addr;
  void* arg;  // the parker's: handed to unpark_one's function
  std::binary_semaphore sema{0};
  Waiter* next = nullptr;
};

namespace detail {
struct alignas(kCacheLine) Bucket {
  std::mutex mutex;
  Waiter* head = nullptr;
  Waiter* tail = nullptr;
  std::size_t waiters = 0;
};
inline constexpr std::size_t kBuckets = 257;
inline Bucket buckets[kBuckets];
inline Bucket& bucket(const void* addr) { return buckets[reinterpret_cast<std::uintptr_t>(addr) % kBuckets]; }
}  // namespace detail

// Parks the calling thread on addr unless validate() (run under the
// bucket's mutex) says the word has moved on. True when it slept and was
// unparked, false when validation failed.
template <class Validate>
bool park(const void* addr, Validate&& validate, void* arg) {
  detail::Bucket& b = detail::bucket(addr);
  Waiter w{addr, arg};
  {
    std::lock_guard g(b.mutex);
    if (!validate()) return false;
    (b.tail != nullptr ? b.tail->next : b.head) = &w;
    b.tail = &w;
    ++b.waiters;
  }
  const BlockingHooks hooks = tls_blocking_hooks;
  if (hooks.before != nullptr) hooks.before(hooks.ctx);
  w.sema.acquire();
  if (hooks.after != nullptr) hooks.after(hooks.ctx);
  return true;
}

// Wakes the first thread parked on addr, if any: fn(arg or nullptr,
// has_more_waiters) runs under the bucket's mutex first, so the word can be
// updated before any parker validates again.
template <class Fn>
void unpark_one(const void* addr, Fn&& fn) {
  detail::Bucket& b = detail::bucket(addr);
  Waiter* found = nullptr;
  {
    std::lock_guard g(b.mutex);
    for (Waiter **p = &b.head, *prev = nullptr; *p != nullptr; prev = *p, p = &(*p)->next) {
      if ((*p)->addr != addr) continue;
      found = *p;
      *p = found->next;
      if (b.tail == found) b.tail = prev;
      --b.waiters;
      break;
    }
    fn(found != nullptr ? found->arg : nullptr, b.waiters > 0);
  }
  if (found != nullptr) found->sema.release();  // outside the bucket: the waiter may run at once
}

}  // namespace rclab::dictlock::parking_lot
