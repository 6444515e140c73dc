// 3.13t's lock machinery (dictlock/pymutex.h, dictlock/parking_lot.h,
// dictlock/critical_section.h) and biased counting's lock-free read tries
// (refcount/biased.h): mutual exclusion under contention, a waiter parked
// and handed the lock, critical sections suspended while their thread
// waits (so opposite lock orders cannot deadlock), and _Py_TryIncrefCompare's
// rules. Interleavings are forced with has_parked(), never with timing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "dictlock/critical_section.h"
#include "dictlock/pymutex.h"
#include "refcount/biased.h"

namespace rclab {
namespace {

using dictlock::PyMutex;
using dictlock::Section;

void wait_until(const std::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire)) std::this_thread::yield();
}

TEST(PyMutex, ExcludesUnderContention) {
  PyMutex m;
  std::int64_t counter = 0;  // plain: only the lock orders its writes
  constexpr int kThreads = 4, kIters = 20000;
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&] {
      for (int k = 0; k < kIters; ++k) {
        m.lock();
        ++counter;
        m.unlock();
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, kThreads * kIters);
  EXPECT_FALSE(m.is_locked());
  EXPECT_FALSE(m.has_parked()) << "the last unlock cleared the parked bit";
}

TEST(PyMutex, AWaiterParksAndGetsTheLock) {
  PyMutex m;
  m.lock();
  std::atomic<bool> got{false};
  std::thread t([&] {
    m.lock();  // spins 40 yields, then parks
    got.store(true, std::memory_order_release);
    m.unlock();
  });
  while (!m.has_parked()) std::this_thread::yield();
  EXPECT_FALSE(got.load());
  // Held past TIME_TO_BE_FAIR_NS: this unlock hands the lock over.
  std::this_thread::sleep_for(2 * PyMutex::kTimeToBeFair);
  m.unlock();
  t.join();
  EXPECT_TRUE(got.load());
  EXPECT_FALSE(m.is_locked());
}

// Thread A holds a section on m1 and waits for m2; B holds m2 and then
// wants m1. Without suspension that is a deadlock; 3.13t's sections release
// m1 while A waits, so B gets it and finishes. A then holds m2 only: as in
// 3.13t, the outer section stays suspended while the inner one runs, and is
// resumed (m1 relocked) when the inner one ends.
TEST(CriticalSection, WaitingSuspendsTheSectionsHeld) {
  PyMutex m1, m2;
  std::atomic<bool> b_holds_m2{false}, b_done{false};
  int a_saw = 0;
  std::thread b([&] {
    Section s2(m2);
    b_holds_m2.store(true, std::memory_order_release);
    while (!m2.has_parked()) std::this_thread::yield();  // A waits for m2 now
    Section s1(m1);  // A's section on m1 was suspended: free
    b_done.store(true, std::memory_order_release);
  });
  {
    Section s1(m1);
    wait_until(b_holds_m2);
    {
      Section s2(m2);  // parks: suspends s1
      a_saw = b_done.load(std::memory_order_acquire) ? 1 : 0;
      EXPECT_TRUE(m2.is_locked());
    }
    EXPECT_TRUE(m1.is_locked()) << "the outer section was resumed when the inner one ended";
  }
  b.join();
  EXPECT_EQ(a_saw, 1);
  EXPECT_FALSE(m1.is_locked());
  EXPECT_FALSE(m2.is_locked());
}

TEST(CriticalSection, NestsAndUnwindsInOrder) {
  PyMutex a, b;
  {
    Section sa(a);
    {
      Section sb(b);
      EXPECT_TRUE(a.is_locked() && b.is_locked());
    }
    EXPECT_TRUE(a.is_locked());
    EXPECT_FALSE(b.is_locked());
  }
  EXPECT_FALSE(a.is_locked());
  dictlock::lock_unscoped(a);
  dictlock::lock_unscoped(b);
  dictlock::unlock_unscoped(b);
  dictlock::unlock_unscoped(a);
  EXPECT_FALSE(a.is_locked() || b.is_locked());
}

// _Py_TryIncrefFast / _Py_TryIncRefShared / _Py_NewRefWithLock on biased
// counts: the owner and immortals succeed without an atomic; another
// thread fails on a never-shared object until a locked read has marked it
// maybe-weakref, and then succeeds; a merged dead object is never revived.
TEST(BiasedTryIncref, FollowsCPython313) {
  using B = refcount::Biased;
  B::Shared shared;
  B::Local owner(shared);
  B::Header h;
  B::init(h, owner);
  EXPECT_TRUE(B::try_incref_fast(h, owner));
  EXPECT_EQ(B::count(h), 2);
  {
    B::Local other(shared);
    EXPECT_FALSE(B::try_incref_fast(h, other));
    EXPECT_FALSE(B::try_incref_shared(h)) << "shared word 0: nobody else counted it";
    B::incref_with_lock(h, other);
    EXPECT_EQ(h.shared.load() & B::kFlagMask, B::kMaybeWeakref);
    EXPECT_EQ(B::count(h), 3);
    EXPECT_FALSE(B::decref(h, other));
    EXPECT_EQ(h.shared.load(), B::kMaybeWeakref) << "count back to 0, the mark stays";
    EXPECT_TRUE(B::try_incref_shared(h)) << "marked: the unlocked try succeeds";
    EXPECT_FALSE(B::decref(h, other));
    B::detach(other, [](B::Header&) { FAIL() << "nothing is freed here"; });
  }
  EXPECT_FALSE(B::decref(h, owner));
  EXPECT_TRUE(B::decref(h, owner)) << "the owner's last reference frees it: the shared word holds only the mark";
  B::Header dead;
  dead.shared.store(B::kMerged);
  EXPECT_FALSE(B::try_incref_shared(dead)) << "merged with count 0: dead";
  B::detach(owner, [](B::Header&) {});
}

}  // namespace
}  // namespace rclab
