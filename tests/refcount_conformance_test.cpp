// The reference-count conformance suite: written once, instantiated for every
// policy (typed tests). It is typed over refcount::AllPolicies
// (refcount/all.h), the list experiments/entry.h checks every configuration's
// policy against, plus test-only modifier chains; a new policy joins by
// being added there. A test that applies to some policies only sits in a
// suite typed over the policies it applies to (tests/type_lists.h's
// Filter), so nothing here is instantiated only to skip.
//
// A policy with kNeedsGil is only correct under a GIL, so the harness gives it
// one (a mutex around every operation); the threads still interleave, so
// exact counts still prove that nothing is lost.
//
// A policy with a commit thread (buffered) frees objects there, not in
// decref, and its counts are exact only after a quiesce. The harness runs
// that thread, so every test runs unchanged for every policy:
//   - every free, from every path (a decref that returned true, an owner's
//     safepoint or detach, the commit thread), goes to one recorder: each
//     object counts its frees, by path, and `on_free` is the deallocator's
//     own work (dropping what the object held), run on the freeing thread;
//   - settle() waits until every operation logged so far is applied (a
//     quiesce; nothing for the other policies), and tests read counts and
//     frees after it;
//   - threads park around their blocking waits (barriers, joins, condition
//     variables), as the interpreter's do, so epochs go on without them, and
//     poll a safepoint after every operation, as the eval loop does;
//   - where a test counted the frees decref reported, it adds those of the
//     commit thread (none for the other policies), read after settle().
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/settings.h"
#include "refcount/all.h"
#include "refcount/policy.h"
#include "tests/type_lists.h"

namespace rclab::refcount {
namespace {

using tests::Filter;
using tests::ToTypes;
using tests::TypeList;

// Who freed an object.
enum class Path {
  kDecref,  // decref returned true: the caller freed it on the spot
  kMerge,   // an owner's safepoint or detach took it to zero (biased)
  kCommit,  // the commit thread took it to zero (buffered)
};
constexpr int kPaths = 3;

template <class P>
class Harness {
 public:
  using Header = typename P::Header;
  using Local = typename P::Local;
  static constexpr bool kCommitThread = HasCommitThread<P>;

  // An object: the policy's header, then what the recorder knows of it.
  struct Obj {
    Header h;
    std::atomic<int> frees{0};
    std::atomic<int> frees_by[kPaths] = {};
    int by(Path p) const { return frees_by[int(p)].load(); }
  };
  static_assert(std::is_standard_layout_v<Obj>, "the header must be the object's first member");
  static Obj& obj_of(Header& h) { return *reinterpret_cast<Obj*>(&h); }

  typename P::Shared shared = make_shared_state();
  std::mutex gil;  // used only when P::kNeedsGil
  // The deallocator's own work, on the thread that frees o, with its Local
  // (the commit thread's, under buffered counting). Set before any thread
  // starts; it may use only what outlives the test body (the harness and
  // objects from make()), or be reset before the test body ends.
  std::function<void(Obj& o, Local& l)> on_free;

  Harness() {
    if constexpr (kCommitThread) {
      commit_ = std::thread([this] {
        on_commit_thread_ = true;
        Local me(shared);
        P::commit_loop(shared, me, [this, &me](Header& h) { freed(obj_of(h), me, Path::kCommit); });
      });
      P::wait_started(shared);
      main_.emplace(shared);  // settle()'s own Local, parked whenever it is not settling
      P::park(*main_);
    }
  }
  ~Harness() {
    if constexpr (kCommitThread) {
      main_.reset();  // detaches: the commit thread stops once every thread has
      P::stop(shared);
      commit_.join();
    }
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  // n objects, kept until the harness (and its commit thread) is gone: a
  // commit thread may free them after the thread that dropped them ended.
  std::span<Obj> make(std::size_t n) {
    std::lock_guard g(storage_lock_);
    storage_.push_back(std::make_unique<Obj[]>(n));
    return {storage_.back().get(), n};
  }

  void init(Obj& o, Local& l) { op([&] { P::init(o.h, l); }); }
  void incref(Obj& o, Local& l) {
    touch(o);
    op([&] { P::incref(o.h, l); });
    between_operations(l);
  }
  // True when the policy reported zero here (the object is then freed, and
  // recorded, before this returns).
  bool decref(Obj& o, Local& l) {
    touch(o);
    const bool zero = op([&] { return P::decref(o.h, l); });
    if (zero) freed(o, l, Path::kDecref);
    between_operations(l);
    return zero;
  }
  std::int64_t count(const Obj& o) { return op([&] { return std::int64_t(P::count(o.h)); }); }

  // Owner-side hooks (biased counting): merge what other threads queued,
  // and leave at thread end; what a merge takes to zero is freed on this
  // thread. Buffered counting acknowledges its epoch. No-ops for policies
  // without safepoints.
  void poll(Local& l) {
    if constexpr (HasSafepoint<P>) {
      if (P::has_pending(l)) P::safepoint(l, [&](Header& h) { freed(obj_of(h), l, Path::kMerge); });
    }
  }
  void detach(Local& l) {
    if constexpr (HasSafepoint<P>) P::detach(l, [&](Header& h) { freed(obj_of(h), l, Path::kMerge); });
  }

  // Around a blocking wait (a barrier, a join, a condition variable): a
  // parked thread touches no count, so epochs go on without it.
  void park(Local& l) {
    if constexpr (HasParking<P>) P::park(l);
  }
  void unpark(Local& l) {
    if constexpr (HasParking<P>) P::unpark(l);
  }
  template <class F>
  void blocked(Local& l, F&& wait) {
    park(l);
    wait();
    unpark(l);
  }

  // Until every operation logged so far, by every thread, is applied and
  // every free it causes is recorded; then counts are exact. Returns when
  // every other thread with a Local is parked, settling or detached. A
  // thread with a Local settles with it; one without, with settle().
  void settle(Local& l) {
    if constexpr (kCommitThread) P::quiesce(l);
  }
  void settle() {
    if constexpr (kCommitThread) {
      std::lock_guard g(settle_lock_);
      P::quiesce(*main_);
      P::park(*main_);
    }
  }

  // Frees recorded so far: all, or by one path.
  int freed_total() const { return total_.load(); }
  int freed(Path p) const { return by_[int(p)].load(); }
  // Operations on an object already freed, and second frees: what an early
  // free shows as. Every test must end with none (TearDown checks).
  int uses_after_free() const { return uses_after_free_.load(); }
  int double_frees() const { return double_frees_.load(); }

 private:
  static typename P::Shared make_shared_state() {
    if constexpr (kCommitThread && std::is_constructible_v<typename P::Shared, const Settings&>) {
      Settings s;
      s.set("log_capacity", 16);         // small logs: many hand-overs while the threads run
      s.set("epoch_interval_us", 100);  // and frequent epochs
      return typename P::Shared(s);
    } else {
      return typename P::Shared{};
    }
  }

  template <class F>
  auto op(F f) {
    if constexpr (P::kNeedsGil) {
      std::lock_guard g(gil);
      return f();
    } else {
      return f();
    }
  }
  // What a thread of the interpreter does between operations: acknowledge
  // a pending epoch (buffered counting). Biased counting's merges stay
  // where the tests poll, as before.
  void between_operations(Local& l) {
    if constexpr (kCommitThread) {
      if (on_commit_thread_) return;  // a deallocator's decref: the commit thread keeps its own epochs
      if (P::has_pending(l)) P::safepoint(l, [](Header&) {});
    }
  }
  void touch(const Obj& o) {
    if (o.frees.load(std::memory_order_relaxed) != 0) uses_after_free_.fetch_add(1);
  }
  // Outside op(), so that the deallocator's decrefs can take the GIL.
  void freed(Obj& o, Local& l, Path p) {
    if (o.frees.fetch_add(1) != 0) double_frees_.fetch_add(1);
    o.frees_by[int(p)].fetch_add(1);
    by_[int(p)].fetch_add(1);
    total_.fetch_add(1);
    if (on_free) on_free(o, l);
  }

  std::mutex storage_lock_;
  std::vector<std::unique_ptr<Obj[]>> storage_;
  std::atomic<int> total_{0}, by_[kPaths] = {}, uses_after_free_{0}, double_frees_{0};
  std::mutex settle_lock_;
  std::optional<Local> main_;  // settle()'s, with a commit thread
  std::thread commit_;
  static inline thread_local bool on_commit_thread_ = false;
};

template <class P>
class RefcountConformance : public ::testing::Test {
 protected:
  using Obj = typename Harness<P>::Obj;
  void TearDown() override {
    hx.settle();  // every test's threads and Locals are gone by now
    EXPECT_EQ(hx.uses_after_free(), 0) << "an object was used after it was freed: freed early";
    EXPECT_EQ(hx.double_frees(), 0) << "an object was freed twice";
  }
  Harness<P> hx;
};

// Every policy a configuration may use (refcount/all.h).
using Policies = AllPolicies<TypeList>;
TYPED_TEST_SUITE(RefcountConformance, ToTypes<Policies>);

// The cases that move objects across threads, for the policies that allow
// it: `shared_immortal` is correct only while mortal objects stay on their
// thread (poison_test checks that debug builds catch a crossing).
template <class P>
struct CrossesThreads : std::bool_constant<!kPrivateOnly<P>> {};
template <class P>
class RefcountCrossThreads : public RefcountConformance<P> {};
using CrossingPolicies = ToTypes<Filter<CrossesThreads, Policies>>;  // a name: the macro splits on commas
TYPED_TEST_SUITE(RefcountCrossThreads, CrossingPolicies);

constexpr int kThreads = 8;

TYPED_TEST(RefcountConformance, SatisfiesConcept) { static_assert(Policy<TypeParam>); }

TYPED_TEST(RefcountConformance, NewObjectHasOneReferenceAndExactCounts) {
  auto& hx = this->hx;
  typename TypeParam::Local local(hx.shared);
  auto& o = hx.make(1)[0];
  hx.init(o, local);
  hx.settle(local);
  EXPECT_EQ(hx.count(o), 1);
  for (int i = 0; i < 1000; ++i) hx.incref(o, local);
  hx.settle(local);
  EXPECT_EQ(hx.count(o), 1001);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(hx.decref(o, local));
  hx.settle(local);
  EXPECT_EQ(hx.count(o), 1);
  EXPECT_EQ(o.frees, 0) << "freed while a reference remained";
  const bool zero = hx.decref(o, local);
  hx.settle(local);
  EXPECT_EQ(int(zero) + hx.freed(Path::kCommit), 1) << "the last decref must report zero";
  EXPECT_EQ(o.frees, 1);
}

// Private objects: each thread creates its own, changes their counts at
// random and checks the exact count after every step.
TYPED_TEST(RefcountConformance, PrivateObjectsFromManyThreadsStayExact) {
  using Obj = typename TestFixture::Obj;
  auto& hx = this->hx;
  std::atomic<int> errors{0}, freed{0};
  constexpr int kObjects = 64, kOps = 20000;
  std::vector<std::span<Obj>> objs_of(kThreads);
  for (auto& objs : objs_of) objs = hx.make(kObjects);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      typename TypeParam::Local local(hx.shared);
      const std::span<Obj> objs = objs_of[t];
      std::vector<std::int64_t> expect(kObjects, 1);
      for (auto& o : objs) hx.init(o, local);
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
        hx.settle(local);
        if (hx.count(objs[k]) != expect[k] || objs[k].frees != 0) ++errors;
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
  hx.settle();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(freed.load() + hx.freed(Path::kCommit), kThreads * kObjects);
  int wrong = 0;
  for (const auto& objs : objs_of)
    for (const auto& o : objs) wrong += o.frees != 1;
  EXPECT_EQ(wrong, 0) << "objects freed never or more than once";
}

// Shared objects: every thread takes and drops references to the same few
// objects while the main thread holds one. Between the two phases every
// thread still holds what it took, so the count must be exactly 1 + all held.
TYPED_TEST(RefcountCrossThreads, SharedObjectsHammeredFromManyThreadsStayExact) {
  auto& hx = this->hx;
  constexpr int kObjects = 4, kOps = 50000;
  typename TypeParam::Local main_local(hx.shared);
  const auto objs = hx.make(kObjects);
  for (auto& o : objs) hx.init(o, main_local);

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
      hx.blocked(local, [&] {
        phase.arrive_and_wait();  // main checks the counts here
        phase.arrive_and_wait();
      });
      for (int k = 0; k < kObjects; ++k)
        for (; mine[k] > 0; --mine[k])
          if (hx.decref(objs[k], local)) ++early_zero;
    });
  }
  hx.blocked(main_local, [&] { phase.arrive_and_wait(); });
  hx.settle(main_local);  // every other thread is parked at the barrier
  for (int k = 0; k < kObjects; ++k) {
    std::int64_t expect = 1;
    for (int t = 0; t < kThreads; ++t) expect += held[t][k];
    EXPECT_EQ(hx.count(objs[k]), expect) << "object " << k;
  }
  hx.blocked(main_local, [&] {
    phase.arrive_and_wait();
    for (auto& th : threads) th.join();
  });
  hx.settle(main_local);
  EXPECT_EQ(early_zero.load() + hx.freed(Path::kCommit), 0)
      << "a count reached zero while the main thread still held a reference";
  int last = 0;
  for (auto& o : objs) {
    EXPECT_EQ(hx.count(o), 1);
    if (hx.decref(o, main_local)) ++last;
  }
  hx.settle(main_local);
  EXPECT_EQ(last + hx.freed(Path::kCommit), kObjects) << "the main thread's reference was the last";
  for (auto& o : objs) EXPECT_EQ(o.frees, 1);
}

// Objects created on one thread and handed through a queue to another; both
// drop references concurrently. Each object reaches zero exactly once, on
// whichever thread dropped its last reference (or the commit thread).
TYPED_TEST(RefcountCrossThreads, ObjectsHandedAcrossThreadsReachZeroExactlyOnce) {
  auto& hx = this->hx;
  constexpr int kObjects = 20000, kExtraRefs = 3;
  const auto objs = hx.make(kObjects);
  std::mutex m;
  std::condition_variable cv;
  std::deque<int> queue;
  bool done = false;
  std::atomic<int> freed_by_receiver{0}, freed_by_producer{0};

  std::thread producer([&] {
    typename TypeParam::Local local(hx.shared);
    // Biased counting: the receiver's decrements queue the objects to
    // their owner, which frees them when it merges at a safepoint — here,
    // every step — or when it detaches at the end (Path::kMerge).
    for (int i = 0; i < kObjects; ++i) {
      hx.poll(local);
      hx.init(objs[i], local);
      for (int r = 0; r < kExtraRefs; ++r) hx.incref(objs[i], local);
      // The producer keeps one reference for a while and drops it later, so
      // the two threads' decrefs race on the same objects.
      {
        std::lock_guard g(m);
        queue.push_back(i);
      }
      cv.notify_one();
      if (i >= 8 && hx.decref(objs[i - 8], local)) ++freed_by_producer;
    }
    for (int i = kObjects - 8; i < kObjects; ++i)
      if (hx.decref(objs[i], local)) ++freed_by_producer;
    hx.detach(local);  // from here on, the receiver merges on the spot
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
      hx.park(local);
      cv.wait(g, [&] { return !queue.empty() || done; });
      hx.unpark(local);
      if (queue.empty()) return;
      const int i = queue.front();
      queue.pop_front();
      g.unlock();
      for (int r = 0; r < kExtraRefs; ++r)
        if (hx.decref(objs[i], local)) ++freed_by_receiver;
    }
  });
  producer.join();
  receiver.join();
  hx.settle();
  const int merged_by_producer = hx.freed(Path::kMerge);  // only the producer owns objects
  EXPECT_EQ(freed_by_receiver.load() + freed_by_producer.load() + merged_by_producer + hx.freed(Path::kCommit),
            kObjects);
  int wrong = 0;
  for (const auto& o : objs) wrong += o.frees != 1;
  EXPECT_EQ(wrong, 0) << "objects that reached zero never or more than once";
  EXPECT_GT(freed_by_receiver.load() + merged_by_producer + hx.freed(Path::kCommit), 0)
      << "no object reached zero away from the producer's own decrefs: nothing crossed threads";
}

// The thread that created the objects (their owner, for policies that have
// one) takes extra references, then exits before anyone else touches them;
// other threads then drop every reference. Counts stay exact and each
// object reaches zero exactly once.
TYPED_TEST(RefcountCrossThreads, ObjectsOutliveTheThreadThatCreatedThem) {
  auto& hx = this->hx;
  constexpr int kObjects = 256, kReleasers = 4;
  const auto objs = hx.make(kObjects);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    for (auto& o : objs) {
      hx.init(o, local);
      for (int r = 1; r < kReleasers; ++r) hx.incref(o, local);  // one reference per releaser
    }
    hx.detach(local);
  });
  owner.join();  // the owner is gone
  hx.settle();
  EXPECT_EQ(hx.freed_total(), 0) << "nothing was queued, nothing can reach zero";
  for (auto& o : objs) EXPECT_EQ(hx.count(o), kReleasers);
  std::vector<std::thread> releasers;
  for (int t = 0; t < kReleasers; ++t) {
    releasers.emplace_back([&] {
      typename TypeParam::Local local(hx.shared);
      for (auto& o : objs) hx.decref(o, local);
    });
  }
  for (auto& th : releasers) th.join();
  hx.settle();
  int wrong = 0;
  for (const auto& o : objs) wrong += o.frees != 1;
  EXPECT_EQ(wrong, 0);
}

// The owner is alive, another thread drops references the owner counted:
// for biased counting they are queued to the owner, and it is the owner's
// merge at a safepoint that frees them; under buffered counting, the commit
// thread. Every object reaches zero exactly once whichever policy runs.
TYPED_TEST(RefcountCrossThreads, ObjectsReleasedByAnotherThreadWhileTheOwnerLives) {
  auto& hx = this->hx;
  constexpr int kObjects = 5000;
  const auto objs = hx.make(kObjects);
  std::atomic<int> freed_by_releaser{0};
  std::barrier step(2);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    for (auto& o : objs) hx.init(o, local);  // the only reference goes to the releaser
    hx.blocked(local, [&] {
      step.arrive_and_wait();  // the releaser drops them
      step.arrive_and_wait();
    });
    hx.poll(local);  // a safepoint
    hx.detach(local);
  });
  std::thread releaser([&] {
    typename TypeParam::Local local(hx.shared);
    hx.blocked(local, [&] { step.arrive_and_wait(); });
    for (auto& o : objs)
      if (hx.decref(o, local)) ++freed_by_releaser;
    hx.blocked(local, [&] { step.arrive_and_wait(); });
    hx.detach(local);
  });
  owner.join();
  releaser.join();
  hx.settle();
  int wrong = 0;
  for (const auto& o : objs) wrong += o.frees != 1;
  EXPECT_EQ(wrong, 0) << "objects that reached zero never or more than once";
  if constexpr (HasCommitThread<TypeParam>) {
    EXPECT_EQ(hx.freed(Path::kCommit), kObjects) << "only the commit thread frees";
    EXPECT_EQ(freed_by_releaser.load(), 0);
  } else if constexpr (HasSafepoint<TypeParam>) {
    EXPECT_EQ(hx.freed(Path::kMerge), kObjects) << "the owner frees what was queued to it";
    EXPECT_EQ(freed_by_releaser.load(), 0) << "a non-owner cannot decide alone while the owner lives";
  } else {
    EXPECT_EQ(freed_by_releaser.load(), kObjects);
  }
}

// The owner exits with objects still queued to it: detach() merges them,
// and the references that remain are dropped later by another thread,
// which frees each object exactly once.
TYPED_TEST(RefcountCrossThreads, OwnerExitsWithObjectsQueuedToIt) {
  auto& hx = this->hx;
  constexpr int kObjects = 5000;
  const auto objs = hx.make(kObjects);
  std::atomic<int> early{0}, zero{0};
  std::barrier step(2);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    for (auto& o : objs) {
      hx.init(o, local);
      hx.incref(o, local);  // two references, both for the other thread
    }
    hx.blocked(local, [&] {
      step.arrive_and_wait();
      step.arrive_and_wait();  // the other thread has dropped one of each
    });
    hx.detach(local);  // what it merges must not reach zero: checked below
  });
  std::thread other([&] {
    typename TypeParam::Local local(hx.shared);
    hx.blocked(local, [&] { step.arrive_and_wait(); });
    for (auto& o : objs)
      if (hx.decref(o, local)) ++early;
    hx.blocked(local, [&] {
      step.arrive_and_wait();
      step.arrive_and_wait();  // the owner has gone
    });
    hx.settle(local);
    for (auto& o : objs) {
      if (hx.count(o) != 1 || o.frees != 0) ++early;
      if (hx.decref(o, local)) ++zero;
    }
    hx.detach(local);
  });
  owner.join();
  step.arrive_and_wait();
  other.join();
  hx.settle();
  EXPECT_EQ(early.load(), 0) << "a count reached zero, or was wrong, while a reference remained";
  EXPECT_EQ(zero.load() + hx.freed(Path::kCommit), kObjects);
  int wrong = 0;
  for (const auto& o : objs) wrong += o.frees != 1;
  EXPECT_EQ(wrong, 0);
}

// A container the owner made, dropped to zero by another thread (so queued
// to its owner), is freed by the owner's detach(); freeing it drops the
// owner's own reference to a child the owner also made. That decref comes
// after the owner left the registry, so it must not touch the child's
// owner-only count (other threads may merge the child on the spot by now):
// it takes the path every other thread takes, and the child still reaches
// zero exactly once. (The queue workload does this with a list and its int.)
// Under buffered counting the commit thread frees the container, and the
// child's decref goes through its log.
TYPED_TEST(RefcountCrossThreads, DetachFreesAContainerWhoseChildTheOwnerAlsoMade) {
  using Obj = typename TestFixture::Obj;
  auto& hx = this->hx;
  const auto objs = hx.make(2);
  Obj& container = objs[0];
  Obj& child = objs[1];
  std::atomic<int> container_freed{0}, child_freed{0};
  // Freeing the container drops its reference to the child, on whichever
  // thread freed it.
  hx.on_free = [h = &hx, c = &container, ch = &child, cf = &container_freed, chf = &child_freed](
                   Obj& o, typename TypeParam::Local& local) {
    if (&o != c) return;
    ++*cf;
    if (h->decref(*ch, local)) ++*chf;
  };
  std::barrier step(2);
  std::thread owner([&] {
    typename TypeParam::Local local(hx.shared);
    hx.init(container, local);  // one reference: handed to the other thread
    hx.init(child, local);      // one reference: the container's
    hx.blocked(local, [&] {
      step.arrive_and_wait();
      step.arrive_and_wait();  // the other thread dropped the container
    });
    hx.detach(local);
  });
  std::thread other([&] {
    typename TypeParam::Local local(hx.shared);
    hx.blocked(local, [&] { step.arrive_and_wait(); });
    hx.decref(container, local);
    hx.blocked(local, [&] { step.arrive_and_wait(); });
    hx.detach(local);
  });
  owner.join();
  other.join();
  hx.settle();
  EXPECT_EQ(container_freed, 1);
  EXPECT_EQ(child_freed + child.by(Path::kCommit), 1);
  EXPECT_EQ(child.frees, 1);
  hx.on_free = nullptr;  // it points into this test's frame
}

// Immortal objects (PEP 683): hammered from many threads, the count never
// moves and decref never reports zero — for every policy the modifier wraps.
template <class P>
struct Immortalizes : std::bool_constant<CanImmortalize<P>> {};
template <class P>
class ImmortalConformance : public RefcountConformance<P> {};
using ImmortalPolicies = ToTypes<Filter<Immortalizes, Policies>>;
TYPED_TEST_SUITE(ImmortalConformance, ImmortalPolicies);

TYPED_TEST(ImmortalConformance, CountsNeverChangeAndNeverReachZero) {
  static_assert(CanImmortalize<TypeParam>);
  auto& hx = this->hx;
  typename TypeParam::Local main_local(hx.shared);
  auto& o = hx.make(1)[0];
  hx.init(o, main_local);
  TypeParam::make_immortal(o.h);
  const std::int64_t marker = hx.count(o);
  ASSERT_TRUE(TypeParam::is_immortal(o.h));
  std::atomic<int> zero{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      typename TypeParam::Local local(hx.shared);
      for (int i = 0; i < 20000; ++i) {
        hx.incref(o, local);
        if (hx.decref(o, local)) ++zero;
        if (hx.decref(o, local)) ++zero;  // more decrefs than increfs: still nothing
      }
    });
  }
  hx.blocked(main_local, [&] {
    for (auto& th : threads) th.join();
  });
  hx.settle(main_local);
  EXPECT_EQ(hx.count(o), marker);
  EXPECT_EQ(zero.load() + hx.freed(Path::kCommit), 0);
}

// An object marked immortal while operations on it still wait in logs
// (buffered counting: set-up counts it, then marks it): those operations
// are applied to the marker afterwards, and it must stay immortal. The
// incref is applied before the marking and its decref after, the case that
// takes an exact marker one below itself.
template <class P>
struct ImmortalWithCommitThread : std::bool_constant<CanImmortalize<P> && HasCommitThread<P>> {};
template <class P>
class ImmortalCommitConformance : public RefcountConformance<P> {};
using ImmortalCommitPolicies = ToTypes<Filter<ImmortalWithCommitThread, Policies>>;
TYPED_TEST_SUITE(ImmortalCommitConformance, ImmortalCommitPolicies);

TYPED_TEST(ImmortalCommitConformance, MarkedWithPendingOperationsStaysImmortal) {
  auto& hx = this->hx;
  typename TypeParam::Local main_local(hx.shared);
  auto& o = hx.make(1)[0];
  hx.init(o, main_local);
  hx.incref(o, main_local);
  hx.settle(main_local);  // the incref is applied: 2
  ASSERT_EQ(hx.count(o), 2);
  EXPECT_FALSE(hx.decref(o, main_local));  // logged, not yet applied
  TypeParam::make_immortal(o.h);
  hx.settle(main_local);  // the decrement lands on the marker
  EXPECT_TRUE(TypeParam::is_immortal(o.h));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(hx.decref(o, main_local));
  hx.settle(main_local);
  EXPECT_TRUE(TypeParam::is_immortal(o.h)) << "an immortal's decrefs must never be applied";
  EXPECT_EQ(hx.freed_total(), 0);
  hx.detach(main_local);
}

// An immortal remote object keeps its cell until the runtime frees it at
// shutdown, which gives the cell back (ReleasesImmortals).
TEST(RemoteCounts, AnImmortalsCellComesBackWhenItIsReleased) {
  using P = Immortal<Remote>;
  static_assert(ReleasesImmortals<P>);
  P::Shared shared;
  {
    P::Local local(shared);
    P::Header h;
    P::init(h, local);
    P::make_immortal(h);
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(P::decref(h, local));
    EXPECT_TRUE(P::is_immortal(h));
    EXPECT_EQ(Remote::cells_out(shared), std::int64_t(Remote::kBatch)) << "one batch in this thread's cache";
    P::release_immortal(h, local);
  }
  EXPECT_EQ(Remote::cells_out(shared), 0) << "the immortal's cell leaked";
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
