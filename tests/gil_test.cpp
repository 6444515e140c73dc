// The GIL suite: a conformance suite typed over every GIL policy
// (gils::AllPolicies, runtime/gils.h: a new GIL joins there), the 3.2+
// hand-over of the interval GIL (drop request through the eval breaker,
// forced switching), and Python 2's GIL under both of its locks with its one
// global ticker.
#include <gtest/gtest.h>
#include <semaphore.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/lock_trace.h"
#include "runtime/gils.h"
#include "tests/type_lists.h"

namespace rclab::runtime {
namespace {

using namespace std::chrono_literals;

// The GIL conformance suite: every GIL policy, typed. An exclusive GIL must
// never be held by two threads; a non-exclusive one must never block. The
// plain counter is touched only while holding the GIL: a second holder shows
// as a lost update, an observed overlap, or a TSan report. Each case is
// typed over the GILs it applies to, split by their traits.
template <class G>
class GilConformance : public ::testing::Test {};

using Gils = gils::AllPolicies<tests::TypeList>;
TYPED_TEST_SUITE(GilConformance, tests::ToTypes<Gils>);

// A GIL that excludes other threads by a lock. An isolated GIL is exclusive
// by isolation instead: each thread has a runtime of its own, so no lock is
// needed (the interpreter suite runs `limit` at 8 threads, and the TSan
// build would see any object two of them shared); to this test it is a GIL
// that blocks nobody.
template <class G>
struct Locks : std::bool_constant<G::kExclusive && !is_isolated<G>()> {};
template <class G>
class ExclusiveGilConformance : public ::testing::Test {};
using LockingGils = tests::ToTypes<tests::Filter<Locks, Gils>>;
TYPED_TEST_SUITE(ExclusiveGilConformance, LockingGils);
template <class G>
class NonExclusiveGilConformance : public ::testing::Test {};
using NonLockingGils = tests::ToTypes<tests::Filter<tests::Not<Locks>::Pred, Gils>>;
TYPED_TEST_SUITE(NonExclusiveGilConformance, NonLockingGils);

TYPED_TEST(GilConformance, SatisfiesConcept) { static_assert(GilPolicy<TypeParam>); }

TYPED_TEST(ExclusiveGilConformance, NeverHeldByTwoThreads) {
  EvalBreaker breaker;
  Settings o;
  o.set("switch_interval_us", 200);
  typename TypeParam::Shared gil(breaker, o);
  constexpr int kThreads = 4, kSteps = 200000;
  long counter = 0;                 // plain: guarded only by the GIL
  std::atomic<bool> inside{false};  // atomic: so the compiler cannot fold the overlap check away
  std::atomic<int> overlaps{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      typename TypeParam::Local me(gil);
      TypeParam::take(gil, me);
      for (int i = 0; i < kSteps; ++i) {
        if (inside.exchange(true, std::memory_order_relaxed)) ++overlaps;
        ++counter;
        inside.store(false, std::memory_order_relaxed);
        TypeParam::tick(gil, me);  // as the eval loop does
        if (breaker.any()) TypeParam::yield(gil, me);
      }
      TypeParam::drop(gil, me);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(counter, long(kThreads) * kSteps);
}

TYPED_TEST(NonExclusiveGilConformance, NeverBlocks) {
  EvalBreaker breaker;
  typename TypeParam::Shared gil(breaker, Settings{});
  // Every thread takes it and, while "holding" it, waits for all the
  // others to hold it too: only a GIL that blocks nobody lets this finish.
  constexpr int kThreads = 4;
  std::barrier all_inside(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      typename TypeParam::Local me(gil);
      TypeParam::take(gil, me);
      all_inside.arrive_and_wait();
      TypeParam::yield(gil, me);
      TypeParam::drop(gil, me);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(breaker.any());
}

// A waiting thread times out, sets the drop request; the holder yields and,
// with forced switching, cannot retake the GIL before the waiter has had it.
TEST(IntervalGil, DropRequestHandsOverAndForcesASwitch) {
  EvalBreaker breaker;
  Settings o;
  o.set("switch_interval_us", 1000);
  IntervalGil::Shared gil(breaker, o);
  IntervalGil::Local a(gil), b(gil);
  std::atomic<bool> b_waiting{false}, b_had_it{false};

  IntervalGil::take(gil, a);
  std::thread waiter([&] {
    b_waiting = true;
    IntervalGil::take(gil, b);
    b_had_it = true;
    IntervalGil::drop(gil, b);
  });
  while (!b_waiting) std::this_thread::yield();
  // Poll like the eval loop. The deadline only turns a broken GIL into a
  // failure instead of a hang; a working one asks within ~1 ms.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!breaker.test(EvalBreaker::kGilDropRequest)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no drop request";
    std::this_thread::yield();
  }
  IntervalGil::yield(gil, a);  // drop, wait for the switch, retake
  EXPECT_TRUE(b_had_it.load()) << "the holder retook the GIL before the waiter got it";
  IntervalGil::drop(gil, a);
  waiter.join();

  const GilStats s = IntervalGil::stats(gil);
  EXPECT_GE(s.drop_requests, 1u);
  EXPECT_GE(s.switches, 3u);  // a, b, a
  EXPECT_FALSE(breaker.any()) << "the request is cleared once served";
}

// Python 2's schedule: the first tick releases ("so that we hit a tick first
// thing"), then one release every check_interval + 1 ticks.
TEST(TicksGil, ReleasesEveryCheckIntervalTicks) {
  EvalBreaker breaker;
  Settings o;
  o.set("check_interval", 100);
  TicksGil::Shared gil(breaker, o);
  TicksGil::Local me(gil);
  TicksGil::take(gil, me);
  for (int i = 0; i < 1000; ++i) TicksGil::tick(gil, me);
  TicksGil::drop(gil, me);
  EXPECT_EQ(TicksGil::stats(gil).tick_releases, 10u);  // ticks 1, 102, 203, ..., 910
  EXPECT_EQ(TicksGil::stats(gil).switches, 1u) << "alone, it always wins its own lock back";
}

// Python 2's GIL on each lock 2.7 could be built on (gil_lock: 0 the POSIX
// semaphore of Linux, 1 the mutex and condition variable of OS X).
class TicksGilLock : public ::testing::TestWithParam<int> {
 protected:
  Settings settings(int check_interval = 100) const {
    Settings o;
    o.set("check_interval", check_interval);
    o.set("gil_lock", GetParam());
    return o;
  }
};
INSTANTIATE_TEST_SUITE_P(Locks, TicksGilLock, ::testing::Values(0, 1),
                         [](const auto& info) { return std::string(info.param == 0 ? "semaphore" : "mutex_cond"); });

int sem_value(TicksGil::Shared& g) {
  int v = -1;
  EXPECT_EQ(sem_getvalue(&g.sem, &v), 0);
  return v;
}

// The setting picks the lock that is really taken: holding the GIL shows in
// that lock's state and leaves the other one's untouched.
TEST_P(TicksGilLock, TheSettingChoosesTheLockThatIsTaken) {
  EvalBreaker breaker;
  TicksGil::Shared g(breaker, settings());
  TicksGil::Local me(g);
  const bool semaphore = GetParam() == 0;
  EXPECT_EQ(g.lock, semaphore ? TicksGil::Lock::kSemaphore : TicksGil::Lock::kMutexCond);
  TicksGil::take(g, me);
  EXPECT_EQ(sem_value(g), semaphore ? 0 : 1);
  EXPECT_EQ(g.locked, !semaphore);
  TicksGil::drop(g, me);
  EXPECT_EQ(sem_value(g), 1);
  EXPECT_FALSE(g.locked);
}

// 2.7 on Linux: without a gil_lock setting, the semaphore.
TEST(TicksGil, DefaultLockIsTheSemaphoreAsOnLinux) {
  EvalBreaker breaker;
  TicksGil::Shared g(breaker, Settings{});
  TicksGil::Local me(g);
  EXPECT_EQ(g.lock, TicksGil::Lock::kSemaphore);
  TicksGil::take(g, me);
  EXPECT_EQ(sem_value(g), 0);
  EXPECT_FALSE(g.locked);
  TicksGil::drop(g, me);
}

// Never held by two threads, on either lock, with the whole check-interval
// machinery running under contention. The ticker is one counter for all the
// threads, changed only by the holder, so the ticks of all the threads form
// one sequence: releases at global ticks 1, 102, 203, ... — exactly
// (T - 1) / 101 + 1 of them for T ticks in all. A per-thread ticker would
// release once more per extra thread (each thread's first tick), and a
// second holder would lose updates of the ticker and of `counter`. Half the
// threads are traced, as `rclab trace` does it, so the traced take runs
// under contention too: its ENTRY reads the ticker before the lock is held,
// which TSan reports as a race if the ticker is made a plain int (checked).
TEST_P(TicksGilLock, ExclusiveUnderContentionWithOneTickerForAllThreads) {
  EvalBreaker breaker;
  TicksGil::Shared g(breaker, settings(100));
  constexpr int kThreads = 4, kSteps = 100000;
  long counter = 0;  // plain: guarded only by the GIL
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0};
  std::barrier start(kThreads);
  std::vector<LockTrace> traces;  // built in place: a copy would not keep the reserved capacity
  traces.reserve(kThreads / 2);
  for (int t = 0; t < kThreads / 2; ++t) traces.emplace_back(1 << 18);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TicksGil::Local me(g);
      if (t < kThreads / 2) me.trace = &traces[std::size_t(t)];
      start.arrive_and_wait();
      TicksGil::take(g, me);
      for (int i = 0; i < kSteps; ++i) {
        if (inside.exchange(true, std::memory_order_relaxed)) ++overlaps;
        ++counter;
        inside.store(false, std::memory_order_relaxed);
        TicksGil::tick(g, me);
      }
      TicksGil::drop(g, me);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(counter, long(kThreads) * kSteps);
  const std::uint64_t ticks = std::uint64_t(kThreads) * kSteps;
  const GilStats s = TicksGil::stats(g);
  EXPECT_EQ(s.tick_releases, (ticks - 1) / 101 + 1) << "not one ticker shared by every thread";
  EXPECT_GE(s.switches, std::uint64_t(kThreads)) << "every thread held the GIL at least once";
  EXPECT_EQ(sem_value(g), 1);
  EXPECT_FALSE(g.locked);
  // Each traced take is ENTRY, then BUSY or RETRY while waiting, ACQUIRE;
  // each drop RELEASE, RELEASED.
  for (const LockTrace& tr : traces) {
    EXPECT_EQ(tr.dropped(), 0u);
    LockEvent prev = LockEvent::kReleased;
    int holds = 0;
    for (const LockTraceEntry& e : tr.events()) {
      switch (e.event) {
        case LockEvent::kEntry: EXPECT_EQ(prev, LockEvent::kReleased); break;
        case LockEvent::kBusy: EXPECT_EQ(prev, LockEvent::kEntry); break;
        case LockEvent::kRetry: EXPECT_TRUE(prev == LockEvent::kBusy || prev == LockEvent::kRetry); break;
        case LockEvent::kAcquire:
          EXPECT_TRUE(prev == LockEvent::kEntry || prev == LockEvent::kBusy || prev == LockEvent::kRetry);
          ++holds;
          break;
        case LockEvent::kRelease: EXPECT_EQ(prev, LockEvent::kAcquire); break;
        case LockEvent::kReleased: EXPECT_EQ(prev, LockEvent::kRelease); break;
        default: ADD_FAILURE() << "unexpected event " << to_string(e.event);
      }
      prev = e.event;
    }
    EXPECT_EQ(prev, LockEvent::kReleased);
    EXPECT_GE(holds, 1);
  }
}

// The ticker is shared, step by step (the threads run one after the other):
// A's first tick releases and resets it to 100, 60 more leave 40. B, taking
// the GIL next, inherits those 40: its 40th tick does not release, its 41st
// does. With a ticker per thread B's very first tick would release.
TEST_P(TicksGilLock, AThreadInheritsTheTickerItsPredecessorLeft) {
  EvalBreaker breaker;
  TicksGil::Shared g(breaker, settings(100));
  // Both alive throughout: a holder is known by its Local's address.
  TicksGil::Local la(g), lb(g);
  std::thread a([&] {
    TicksGil::Local& me = la;
    TicksGil::take(g, me);
    for (int i = 0; i < 61; ++i) TicksGil::tick(g, me);
    TicksGil::drop(g, me);
  });
  a.join();
  EXPECT_EQ(g.ticker.load(), 40);
  EXPECT_EQ(TicksGil::stats(g).tick_releases, 1u);
  std::uint64_t after_40 = 0;
  std::thread b([&] {
    TicksGil::Local& me = lb;
    TicksGil::take(g, me);
    for (int i = 0; i < 40; ++i) TicksGil::tick(g, me);
    after_40 = TicksGil::stats(g).tick_releases;
    TicksGil::tick(g, me);
    TicksGil::drop(g, me);
  });
  b.join();
  EXPECT_EQ(after_40, 1u) << "B's ticks started from a fresh count, not A's remainder";
  EXPECT_EQ(TicksGil::stats(g).tick_releases, 2u);
  EXPECT_EQ(g.ticker.load(), 100);
  EXPECT_EQ(TicksGil::stats(g).switches, 2u) << "A, then B (B winning its own release back is no switch)";
}

// A switch is a change of holder, counted on either lock: A, A again (not a
// switch), B, A.
TEST_P(TicksGilLock, SwitchesCountChangesOfHolder) {
  EvalBreaker breaker;
  TicksGil::Shared g(breaker, settings());
  TicksGil::Local a(g), b(g);
  for (TicksGil::Local* who : {&a, &a, &b, &a}) {
    std::thread t([&] {
      TicksGil::take(g, *who);
      TicksGil::drop(g, *who);
    });
    t.join();
  }
  EXPECT_EQ(TicksGil::stats(g).switches, 3u);
}

// Releasing a GIL nobody holds would let two threads in later (a semaphore
// counts to 2): the model stops instead.
TEST_P(TicksGilLock, DropWithoutHoldingIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EvalBreaker breaker;
        TicksGil::Shared g(breaker, settings());
        TicksGil::Local me(g);
        TicksGil::drop(g, me);
      },
      "drop without holding the GIL");
}

}  // namespace
}  // namespace rclab::runtime
