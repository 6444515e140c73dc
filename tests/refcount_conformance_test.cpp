// The reference-count conformance suite: written once, instantiated for every
// policy (typed tests). A new policy joins by adding its type to `Policies`.
//
// A policy with kNeedsGil is only correct under a GIL, so the harness gives it
// one (a mutex around every operation); the threads still interleave, so
// exact counts still prove that nothing is lost.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "refcount/atomic.h"
#include "refcount/biased.h"
#include "refcount/deferred.h"
#include "refcount/immortal.h"
#include "refcount/shared_immortal.h"
#include "refcount/plain.h"
#include "refcount/policy.h"
#include "refcount/remote.h"

namespace rclab::refcount {
namespace {

template <class P>
struct Harness {
  using Header = typename P::Header;
  using Local = typename P::Local;

  typename P::Shared shared;
  std::mutex gil;  // used only when P::kNeedsGil

  template <class F>
  auto op(F f) {
    if constexpr (P::kNeedsGil) {
      std::lock_guard g(gil);
      return f();
    } else {
      return f();
    }
  }
  void init(Header& h, Local& l) { op([&] { P::init(h, l); }); }
  void incref(Header& h, Local& l) { op([&] { P::incref(h, l); }); }
  bool decref(Header& h, Local& l) { return op([&] { return P::decref(h, l); }); }
  std::int64_t count(const Header& h) { return op([&] { return std::int64_t(P::count(h)); }); }

  // Owner-side hooks (biased counting): merge what other threads queued,
  // and leave at thread end. on_zero(h) is called for each object the merge
  // took to zero. No-ops for policies without safepoints.
  template <class F>
  void poll(Local& l, F&& on_zero) {
    if constexpr (HasSafepoint<P>) {
      if (P::has_pending(l)) P::safepoint(l, on_zero);
    }
  }
  template <class F>
  void detach(Local& l, F&& on_zero) {
    if constexpr (HasSafepoint<P>) P::detach(l, on_zero);
  }
};

template <class P>
constexpr bool has_safepoint() {
  return HasSafepoint<P>;
}

template <class P>
class RefcountConformance : public ::testing::Test {
 protected:
  Harness<P> hx;
};

// Every policy, and every policy under every modifier: a modifier must leave
// mortal objects' counting exactly as it was.
using Policies = ::testing::Types<Plain, Atomic, Immortal<Plain>, Immortal<Atomic>, SharedImmortal, Remote, Biased,
                                  Immortal<Biased>, Deferred<Immortal<Biased>>>;

// `shared_immortal` is correct only while mortal objects stay on their thread: the
// cases that move them across threads do not apply (poison_test checks that
// debug builds catch a crossing).
template <class P>
constexpr bool private_only() {
  if constexpr (requires { P::kPrivateOnly; })
    return P::kPrivateOnly;
  else
    return false;
}
#define RCLAB_SKIP_IF_PRIVATE_ONLY()                                                        \
  if constexpr (private_only<TypeParam>()) {                                               \
    GTEST_SKIP() << TypeParam::kName << " forbids objects crossing threads";               \
  } else
TYPED_TEST_SUITE(RefcountConformance, Policies);

constexpr int kThreads = 8;

TYPED_TEST(RefcountConformance, SatisfiesConcept) { static_assert(Policy<TypeParam>); }

TYPED_TEST(RefcountConformance, NewObjectHasOneReferenceAndExactCounts) {
  auto& hx = this->hx;
  typename TypeParam::Local local(hx.shared);
  typename TypeParam::Header h;
  hx.init(h, local);
  EXPECT_EQ(hx.count(h), 1);
  for (int i = 0; i < 1000; ++i) hx.incref(h, local);
  EXPECT_EQ(hx.count(h), 1001);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(hx.decref(h, local));
  EXPECT_EQ(hx.count(h), 1);
  EXPECT_TRUE(hx.decref(h, local)) << "the last decref must report zero";
}

// Private objects: each thread creates its own, changes their counts at
// random and checks the exact count after every step.
TYPED_TEST(RefcountConformance, PrivateObjectsFromManyThreadsStayExact) {
  auto& hx = this->hx;
  std::atomic<int> errors{0}, freed{0};
  constexpr int kObjects = 64, kOps = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      typename TypeParam::Local local(hx.shared);
      std::vector<typename TypeParam::Header> objs(kObjects);
      std::vector<std::int64_t> expect(kObjects, 1);
      for (auto& h : objs) hx.init(h, local);
      std::mt19937 rng(1234 + t);
      for (int i = 0; i < kOps; ++i) {
        const int k = int(rng() % kObjects);
        if (expect[k] > 1 && rng() % 2) {
          if (hx.decref(objs[k], local)) ++errors;  // must not reach zero while expect > 1
          --expect[k];
        } else {
          hx.incref(objs[k], local);
          ++expect[k];
        }
        if (hx.count(objs[k]) != expect[k]) ++errors;
      }
      for (int k = 0; k < kObjects; ++k) {
        while (expect[k] > 1) {
          if (hx.decref(objs[k], local)) ++errors;
          --expect[k];
        }
        if (hx.decref(objs[k], local)) ++freed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(freed.load(), kThreads * kObjects);
}

// Shared objects: every thread takes and drops references to the same few
// objects while the main thread holds one. Between the two phases every
// thread still holds what it took, so the count must be exactly 1 + all held.
TYPED_TEST(RefcountConformance, SharedObjectsHammeredFromManyThreadsStayExact) {
  RCLAB_SKIP_IF_PRIVATE_ONLY() {
  auto& hx = this->hx;
  constexpr int kObjects = 4, kOps = 50000;
  typename TypeParam::Local main_local(hx.shared);
  std::vector<typename TypeParam::Header> objs(kObjects);
  for (auto& h : objs) hx.init(h, main_local);

  std::vector<std::vector<std::int64_t>> held(kThreads, std::vector<std::int64_t>(kObjects, 0));
  std::atomic<int> early_zero{0};
  std::barrier phase(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      typename TypeParam::Local local(hx.shared);
      std::mt19937 rng(99 + t);
      auto& mine = held[t];
      for (int i = 0; i < kOps; ++i) {
        const int k = int(rng() % kObjects);
        if (mine[k] > 0 && rng() % 3 == 0) {
          if (hx.decref(objs[k], local)) ++early_zero;
          --mine[k];
        } else {
          hx.incref(objs[k], local);
          ++mine[k];
        }
      }
      phase.arrive_and_wait();  // main checks the counts here
      phase.arrive_and_wait();
      for (int k = 0; k < kObjects; ++k)
        for (; mine[k] > 0; --mine[k])
          if (hx.decref(objs[k], local)) ++early_zero;
    });
  }
  phase.arrive_and_wait();
  for (int k = 0; k < kObjects; ++k) {
    std::int64_t expect = 1;
    for (int t = 0; t < kThreads; ++t) expect += held[t][k];
    EXPECT_EQ(hx.count(objs[k]), expect) << "object " << k;
  }
  phase.arrive_and_wait();
  for (auto& th : threads) th.join();
  EXPECT_EQ(early_zero.load(), 0) << "a count reached zero while the main thread still held a reference";
  for (auto& h : objs) {
    EXPECT_EQ(hx.count(h), 1);
    EXPECT_TRUE(hx.decref(h, main_local));
  }
  }
}

// Objects created on one thread and handed through a queue to another; both
// drop references concurrently. Each object reaches zero exactly once, on
// whichever thread dropped its last reference.
TYPED_TEST(RefcountConformance, ObjectsHandedAcrossThreadsReachZeroExactlyOnce) {
  RCLAB_SKIP_IF_PRIVATE_ONLY() {
  auto& hx = this->hx;
  constexpr int kObjects = 20000, kExtraRefs = 3;
  std::vector<typename TypeParam::Header> objs(kObjects);
  std::mutex m;
  std::condition_variable cv;
  std::deque<int> queue;
  bool done = false;
  std::atomic<int> freed_by_receiver{0}, freed_by_producer{0}, merged_by_producer{0};
  std::vector<std::atomic<int>> zero_count(kObjects);

  std::thread producer([&] {
    typename TypeParam::Local local(hx.shared);
    // Biased counting: the receiver's decrements queue the objects to
    // their owner, which frees them when it merges at a safepoint — here,
    // every step — or when it detaches at the end.
    auto on_zero = [&](typename TypeParam::Header& h) {
      ++merged_by_producer;
      ++zero_count[&h - objs.data()];
    };
    for (int i = 0; i < kObjects; ++i) {
      hx.poll(local, on_zero);
      hx.init(objs[i], local);
      for (int r = 0; r < kExtraRefs; ++r) hx.incref(objs[i], local);
      // The producer keeps one reference for a while and drops it later, so
      // the two threads' decrefs race on the same objects.
      {
        std::lock_guard g(m);
        queue.push_back(i);
      }
      cv.notify_one();
      if (i >= 8 && hx.decref(objs[i - 8], local)) {
        ++freed_by_producer;
        ++zero_count[i - 8];
      }
    }
    for (int i = kObjects - 8; i < kObjects; ++i)
      if (hx.decref(objs[i], local)) {
        ++freed_by_producer;
        ++zero_count[i];
      }
    hx.detach(local, on_zero);  // from here on, the receiver merges on the spot
    {
      std::lock_guard g(m);
      done = true;
    }
    cv.notify_one();
  });
  std::thread receiver([&] {
    typename TypeParam::Local local(hx.shared);
    for (;;) {
      std::unique_lock g(m);
      cv.wait(g, [&] { return !queue.empty() || done; });
      if (queue.empty()) return;
      const int i = queue.front();
      queue.pop_front();
      g.unlock();
      for (int r = 0; r < kExtraRefs; ++r)
        if (hx.decref(objs[i], local)) {
          ++freed_by_receiver;
          ++zero_count[i];
        }
    }
  });
  producer.join();
  receiver.join();
  EXPECT_EQ(freed_by_receiver.load() + freed_by_producer.load() + merged_by_producer.load(), kObjects);
  int wrong = 0;
  for (auto& z : zero_count) wrong += z.load() != 1;
  EXPECT_EQ(wrong, 0) << "objects that reached zero never or more than once";
  EXPECT_GT(freed_by_receiver.load() + merged_by_producer.load(), 0)
      << "the receiver's decrefs never took an object to zero: nothing crossed threads";
  }
}

// The thread that created the objects (their owner, for policies that have
// one) takes extra references, then exits before anyone else touches them;
// other threads then drop every reference. Counts stay exact and each
// object reaches zero exactly once.
TYPED_TEST(RefcountConformance, ObjectsOutliveTheThreadThatCreatedThem) {
  RCLAB_SKIP_IF_PRIVATE_ONLY() {
  auto& hx = this->hx;
  constexpr int kObjects = 256, kReleasers = 4;
  std::vector<typename TypeParam::Header> objs(kObjects);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    for (auto& h : objs) {
      hx.init(h, local);
      for (int r = 1; r < kReleasers; ++r) hx.incref(h, local);  // one reference per releaser
    }
    hx.detach(local, [](auto&) { ADD_FAILURE() << "nothing was queued, nothing can reach zero"; });
  });
  owner.join();  // the owner is gone
  for (auto& h : objs) EXPECT_EQ(hx.count(h), kReleasers);
  std::vector<std::atomic<int>> zero_count(kObjects);
  std::vector<std::thread> releasers;
  for (int t = 0; t < kReleasers; ++t) {
    releasers.emplace_back([&] {
      typename TypeParam::Local local(hx.shared);
      for (int i = 0; i < kObjects; ++i)
        if (hx.decref(objs[i], local)) ++zero_count[i];
    });
  }
  for (auto& th : releasers) th.join();
  int wrong = 0;
  for (auto& z : zero_count) wrong += z.load() != 1;
  EXPECT_EQ(wrong, 0);
  }
}

// The owner is alive, another thread drops references the owner counted:
// for biased counting they are queued to the owner, and it is the owner's
// merge at a safepoint that frees them. Every object reaches zero exactly
// once whichever policy runs.
TYPED_TEST(RefcountConformance, ObjectsReleasedByAnotherThreadWhileTheOwnerLives) {
  RCLAB_SKIP_IF_PRIVATE_ONLY() {
  auto& hx = this->hx;
  constexpr int kObjects = 5000;
  std::vector<typename TypeParam::Header> objs(kObjects);
  std::vector<std::atomic<int>> zero_count(kObjects);
  std::atomic<int> freed_by_releaser{0}, merged_by_owner{0};
  std::barrier step(2);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    for (auto& h : objs) hx.init(h, local);  // the only reference goes to the releaser
    step.arrive_and_wait();                   // the releaser drops them
    step.arrive_and_wait();
    auto on_zero = [&](typename TypeParam::Header& h) {
      ++merged_by_owner;
      ++zero_count[&h - objs.data()];
    };
    hx.poll(local, on_zero);  // a safepoint
    hx.detach(local, on_zero);
  });
  std::thread releaser([&] {
    typename TypeParam::Local local(hx.shared);
    step.arrive_and_wait();
    for (int i = 0; i < kObjects; ++i)
      if (hx.decref(objs[i], local)) {
        ++freed_by_releaser;
        ++zero_count[i];
      }
    step.arrive_and_wait();
    hx.detach(local, [](auto&) {});
  });
  owner.join();
  releaser.join();
  int wrong = 0;
  for (auto& z : zero_count) wrong += z.load() != 1;
  EXPECT_EQ(wrong, 0) << "objects that reached zero never or more than once";
  if constexpr (has_safepoint<TypeParam>()) {
    EXPECT_EQ(merged_by_owner.load(), kObjects) << "the owner frees what was queued to it";
    EXPECT_EQ(freed_by_releaser.load(), 0) << "a non-owner cannot decide alone while the owner lives";
  } else {
    EXPECT_EQ(freed_by_releaser.load(), kObjects);
  }
  }
}

// The owner exits with objects still queued to it: detach() merges them,
// and the references that remain are dropped later by another thread,
// which frees each object exactly once.
TYPED_TEST(RefcountConformance, OwnerExitsWithObjectsQueuedToIt) {
  RCLAB_SKIP_IF_PRIVATE_ONLY() {
  auto& hx = this->hx;
  constexpr int kObjects = 5000;
  std::vector<typename TypeParam::Header> objs(kObjects);
  std::atomic<int> early{0}, zero{0};
  std::barrier step(2);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    for (auto& h : objs) {
      hx.init(h, local);
      hx.incref(h, local);  // two references, both for the other thread
    }
    step.arrive_and_wait();
    step.arrive_and_wait();  // the other thread has dropped one of each
    hx.detach(local, [&](auto&) { ++early; });
  });
  std::thread other([&] {
    typename TypeParam::Local local(hx.shared);
    step.arrive_and_wait();
    for (auto& h : objs)
      if (hx.decref(h, local)) ++early;
    step.arrive_and_wait();
    step.arrive_and_wait();  // the owner has gone
    for (auto& h : objs) {
      if (hx.count(h) != 1) ++early;
      if (hx.decref(h, local)) ++zero;
    }
    hx.detach(local, [](auto&) {});
  });
  owner.join();
  step.arrive_and_wait();
  other.join();
  EXPECT_EQ(early.load(), 0) << "a count reached zero, or was wrong, while a reference remained";
  EXPECT_EQ(zero.load(), kObjects);
  }
}

// A container the owner made, dropped to zero by another thread (so queued
// to its owner), is freed by the owner's detach(); freeing it drops the
// owner's own reference to a child the owner also made. That decref comes
// after the owner left the registry, so it must not touch the child's
// owner-only count (other threads may merge the child on the spot by now):
// it takes the path every other thread takes, and the child still reaches
// zero exactly once. (The queue workload does this with a list and its int.)
TYPED_TEST(RefcountConformance, DetachFreesAContainerWhoseChildTheOwnerAlsoMade) {
  RCLAB_SKIP_IF_PRIVATE_ONLY() {
  auto& hx = this->hx;
  typename TypeParam::Header container, child;
  std::atomic<int> container_freed{0}, child_freed{0};
  // Freeing the container drops its reference to the child, on whichever
  // thread freed it.
  auto free_container = [&](typename TypeParam::Local& local) {
    ++container_freed;
    if (hx.decref(child, local)) ++child_freed;
  };
  std::barrier step(2);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    hx.init(container, local);  // one reference: handed to the other thread
    hx.init(child, local);      // one reference: the container's
    step.arrive_and_wait();
    step.arrive_and_wait();  // the other thread dropped the container
    hx.detach(local, [&](auto& h) {
      if (&h == &container) free_container(local);
    });
  });
  std::thread other([&] {
    typename TypeParam::Local local(hx.shared);
    step.arrive_and_wait();
    if (hx.decref(container, local)) free_container(local);
    step.arrive_and_wait();
    hx.detach(local, [](auto&) {});
  });
  owner.join();
  other.join();
  EXPECT_EQ(container_freed, 1);
  EXPECT_EQ(child_freed, 1);
  }
}

// Immortal objects (PEP 683): hammered from many threads, the count never
// moves and decref never reports zero — for every policy the modifier wraps.
template <class P>
class ImmortalConformance : public ::testing::Test {
 protected:
  Harness<P> hx;
};
using ImmortalPolicies =
    ::testing::Types<Immortal<Plain>, Immortal<Atomic>, SharedImmortal, Immortal<Biased>, Deferred<Immortal<Biased>>>;
TYPED_TEST_SUITE(ImmortalConformance, ImmortalPolicies);

TYPED_TEST(ImmortalConformance, CountsNeverChangeAndNeverReachZero) {
  static_assert(CanImmortalize<TypeParam>);
  auto& hx = this->hx;
  typename TypeParam::Local main_local(hx.shared);
  typename TypeParam::Header h;
  hx.init(h, main_local);
  TypeParam::make_immortal(h);
  const std::int64_t marker = hx.count(h);
  ASSERT_TRUE(TypeParam::is_immortal(h));
  std::atomic<int> zero{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      typename TypeParam::Local local(hx.shared);
      for (int i = 0; i < 20000; ++i) {
        hx.incref(h, local);
        if (hx.decref(h, local)) ++zero;
        if (hx.decref(h, local)) ++zero;  // more decrefs than increfs: still nothing
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(hx.count(h), marker);
  EXPECT_EQ(zero.load(), 0);
}

// Remote headers: counts come from pages of 32768 through per-thread
// caches. Objects made on several threads and freed on others span several
// pages, and once every object and thread is gone every cell is back in the
// pool, with the pool's lock taken once per batch, not per object.
TEST(RemoteCounts, CellsSpanPagesAndAllComeBack) {
  Remote::Shared shared;
  constexpr int kThreads = 4, kPerThread = 40000;  // 160000 counts: at least 5 pages
  std::vector<std::vector<Remote::Header>> objs(kThreads, std::vector<Remote::Header>(kPerThread));
  {
    std::vector<std::thread> makers;
    for (int t = 0; t < kThreads; ++t)
      makers.emplace_back([&, t] {
        Remote::Local local(shared);
        for (auto& h : objs[t]) Remote::init(h, local);
      });
    for (auto& th : makers) th.join();
  }
  EXPECT_EQ(Remote::cells_out(shared), std::int64_t(kThreads) * kPerThread);
  {
    std::vector<std::thread> freers;
    for (int t = 0; t < kThreads; ++t)
      freers.emplace_back([&, t] {
        Remote::Local local(shared);
        for (auto& h : objs[(t + 1) % kThreads]) EXPECT_TRUE(Remote::decref(h, local));
      });
    for (auto& th : freers) th.join();
  }
  EXPECT_EQ(Remote::cells_out(shared), 0) << "count cells leaked";
  std::uint64_t pages = 0, locks = 0;
  for (const auto& st : Remote::stats(shared)) {
    if (st.name == "remote_pages") pages = st.value;
    if (st.name == "remote_pool_lock_acquisitions") locks = st.value;
  }
  EXPECT_GE(pages, 5u);
  EXPECT_LE(locks, 2u * kThreads * kPerThread / Remote::kBatch + 4 * kThreads)
      << "the pool's lock must be taken per batch, not per object";
}

// Biased counting's slow paths are counted: an object handed to another
// thread and dropped there is queued once, and merged once by its owner.
TEST(BiasedStats, QueuedAndMergedObjectsAreCounted) {
  Biased::Shared shared;
  Biased::Header h;
  Biased::Local owner(shared);
  Biased::init(h, owner);
  Biased::incref(h, owner);
  std::thread([&] {
    Biased::Local other(shared);
    EXPECT_FALSE(Biased::decref(h, other));  // queued to the live owner
    Biased::detach(other, [](Biased::Header&) {});
  }).join();
  EXPECT_TRUE(Biased::has_pending(owner));
  EXPECT_EQ(Biased::count(h), 1);
  int freed = 0;
  Biased::safepoint(owner, [&](Biased::Header&) { ++freed; });
  EXPECT_EQ(freed, 0);
  EXPECT_FALSE(Biased::has_pending(owner));
  EXPECT_EQ(Biased::count(h), 1);
  EXPECT_TRUE(Biased::decref(h, owner)) << "merged: the owner's decrement now goes to the shared count";
  const auto st = Biased::stats(shared);
  EXPECT_EQ(st[0].value, 1u) << st[0].name;
  EXPECT_EQ(st[1].value, 1u) << st[1].name;
  Biased::detach(owner, [](Biased::Header&) {});
}

}  // namespace
}  // namespace rclab::refcount
