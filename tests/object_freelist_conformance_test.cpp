// The object-freelist conformance suite, typed over every object-freelist
// policy (freelists::objects::AllPolicies, freelists/objects_all.h: a new
// policy joins there) and test-only small caps that reach the cap quickly:
// each kind keeps its own blocks, last in first out, up to its cap and no
// further; drain and drain_shared give every block back once, with its
// kind; a shared set is one for every thread and a per-thread set is the
// thread's own, also from many threads at once (a kNeedsGil policy given a
// mutex as its GIL). Then the runtime's use of them (runtime/containers.h,
// runtime/dict.h, runtime/dealloc.h): what 3.13 keeps and does not keep, a
// block reused by another thread owned by that thread under biased
// counting, and nothing left once threads and runtime are gone.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "dictlock/ft313.h"
#include "dictlock/none.h"
#include "freelists/objects.h"
#include "freelists/objects_all.h"
#include "obmalloc/mi_heaps.h"
#include "obmalloc/unlocked.h"
#include "refcount/biased.h"
#include "refcount/immortal.h"
#include "refcount/plain.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_none.h"
#include "freelists/datastack.h"
#include "runtime/py313/generation.h"
#include "runtime/runtime.h"
#include "tests/type_lists.h"

namespace rclab::freelists {
namespace {

namespace fo = freelists::objects;

// Three blocks of every kind: the cap is reached at once.
struct Tiny {
  static constexpr std::size_t of(std::size_t) { return 3; }
};

using All = tests::Concat<fo::AllPolicies<tests::TypeList>, tests::TypeList<fo::PerInterp<Tiny>, fo::PerThread<Tiny>>>;

template <class F>
struct Keeps : std::bool_constant<(F::capacity(0) > 0)> {};
template <class F>
struct KeepsShared : std::bool_constant<Keeps<F>::value && F::kShared> {};
template <class F>
struct KeepsPerThread : std::bool_constant<Keeps<F>::value && !F::kShared> {};

// What serialises a kNeedsGil policy's callers: a stand-in GIL.
template <class F>
struct Gil {
  std::mutex m;
  template <class Fn>
  auto operator()(Fn f) {
    if constexpr (F::kNeedsGil) {
      std::lock_guard g(m);
      return f();
    } else {
      return f();
    }
  }
};

struct Block {
  void* link;
  char payload[56];
};

struct Released {
  std::mutex m;
  std::vector<std::pair<std::size_t, void*>> blocks;
  static void add(void* ctx, std::size_t kind, void* p) {
    auto& self = *static_cast<Released*>(ctx);
    std::lock_guard g(self.m);
    self.blocks.emplace_back(kind, p);
  }
};

template <class F>
class ObjectFreelistConformance : public ::testing::Test {
 protected:
  typename F::Shared shared;
};
using Every = tests::ToTypes<All>;
TYPED_TEST_SUITE(ObjectFreelistConformance, Every);

TYPED_TEST(ObjectFreelistConformance, SatisfiesConcept) { static_assert(ObjectFreelists<TypeParam>); }

TYPED_TEST(ObjectFreelistConformance, EachKindLifoUpToItsCapacityThenRefuses) {
  using F = TypeParam;
  typename F::Local local(this->shared);
  for (std::size_t kind : {std::size_t(0), std::size_t(7), fo::kList, fo::kDict, fo::kDictKeys}) {
    std::vector<Block> blocks(F::capacity(kind) + 2);
    std::size_t kept = 0;
    for (auto& b : blocks) kept += F::push(local, kind, &b);
    EXPECT_EQ(kept, F::capacity(kind)) << "kind " << kind;
    for (std::size_t i = F::capacity(kind); i-- > 0;) EXPECT_EQ(F::pop(local, kind), &blocks[i]);
    EXPECT_EQ(F::pop(local, kind), nullptr);
  }
}

// 3.13.15's sizes (Include/internal/pycore_freelist.h).
TEST(ObjectFreelists, TheSizesAre313s) {
  EXPECT_EQ(fo::kTupleMaxSaveSize, 20u);
  for (std::int64_t n = 1; n <= 20; ++n) {
    EXPECT_TRUE(fo::tuple_kept(n));
    EXPECT_EQ(fo::Sizes313::of(fo::tuple_kind(n)), 2000u) << n;
  }
  EXPECT_FALSE(fo::tuple_kept(0)) << "the empty tuple is a singleton";
  EXPECT_FALSE(fo::tuple_kept(21));
  EXPECT_EQ(fo::Sizes313::of(fo::kList), 80u);
  EXPECT_EQ(fo::Sizes313::of(fo::kDict), 80u);
  EXPECT_EQ(fo::Sizes313::of(fo::kDictKeys), 80u);
  EXPECT_EQ(fo::kDictKeysSlots, 8u);  // PyDict_MINSIZE
  EXPECT_EQ(fo::None::capacity(fo::kList), 0u);
}

template <class F>
class KeepingFreelists : public ObjectFreelistConformance<F> {};
using Keeping = tests::ToTypes<tests::Filter<Keeps, All>>;  // a name: the macro splits on commas
TYPED_TEST_SUITE(KeepingFreelists, Keeping);

TYPED_TEST(KeepingFreelists, KindsAreKeptApart) {
  using F = TypeParam;
  typename F::Local local(this->shared);
  Block a, b;
  ASSERT_TRUE(F::push(local, fo::tuple_kind(2), &a));
  ASSERT_TRUE(F::push(local, fo::kList, &b));
  EXPECT_EQ(F::pop(local, fo::tuple_kind(3)), nullptr);
  EXPECT_EQ(F::pop(local, fo::kDict), nullptr);
  EXPECT_EQ(F::pop(local, fo::kList), &b);
  EXPECT_EQ(F::pop(local, fo::tuple_kind(2)), &a);
}

TYPED_TEST(KeepingFreelists, DrainAndDrainSharedReturnEveryBlockOnceWithItsKind) {
  using F = TypeParam;
  std::vector<Block> blocks(2 * fo::kKinds);
  Released released;
  {
    typename F::Local local(this->shared);
    for (std::size_t i = 0; i < blocks.size(); ++i) ASSERT_TRUE(F::push(local, i % fo::kKinds, &blocks[i]));
    F::drain(local, &Released::add, &released);
  }
  F::drain_shared(this->shared, &Released::add, &released);
  EXPECT_EQ(released.blocks.size(), blocks.size());
  std::set<void*> unique;
  for (auto [kind, p] : released.blocks) {
    unique.insert(p);
    EXPECT_EQ(kind, std::size_t(static_cast<Block*>(p) - blocks.data()) % fo::kKinds);
  }
  EXPECT_EQ(unique.size(), blocks.size());
  typename F::Local after(this->shared);
  for (std::size_t k = 0; k < fo::kKinds; ++k) EXPECT_EQ(F::pop(after, k), nullptr);
}

// 3.13's: what one thread keeps, another takes; a thread's end leaves them.
template <class F>
class SharedFreelists : public ObjectFreelistConformance<F> {};
using Shared = tests::ToTypes<tests::Filter<KeepsShared, All>>;
TYPED_TEST_SUITE(SharedFreelists, Shared);

TYPED_TEST(SharedFreelists, WhatOneThreadKeepsAnotherTakes) {
  using F = TypeParam;
  Block b;
  std::thread([&] {
    typename F::Local l(this->shared);
    ASSERT_TRUE(F::push(l, fo::kDict, &b));
    Released none;
    F::drain(l, &Released::add, &none);  // the thread ends: the interpreter's lists stay
    EXPECT_TRUE(none.blocks.empty());
  }).join();
  typename F::Local mine(this->shared);
  EXPECT_EQ(F::pop(mine, fo::kDict), &b);
}

// 3.13t's: a thread's lists are its own, and go when it ends.
template <class F>
class PerThreadFreelists : public ObjectFreelistConformance<F> {};
using PerThreadSets = tests::ToTypes<tests::Filter<KeepsPerThread, All>>;
TYPED_TEST_SUITE(PerThreadFreelists, PerThreadSets);

TYPED_TEST(PerThreadFreelists, WhatOneThreadKeepsIsItsOwnAndGoesWhenItEnds) {
  using F = TypeParam;
  Block b;
  Released released;
  typename F::Local mine(this->shared);
  std::thread([&] {
    typename F::Local l(this->shared);
    ASSERT_TRUE(F::push(l, fo::kDict, &b));
    EXPECT_EQ(F::pop(mine, fo::kDict), nullptr) << "another thread's list";
    F::drain(l, &Released::add, &released);
  }).join();
  ASSERT_EQ(released.blocks.size(), 1u);
  EXPECT_EQ(released.blocks[0], std::make_pair(fo::kDict, static_cast<void*>(&b)));
}

// Threads keep and take blocks of two kinds at once; a block handed out to
// two threads at once is caught by its owner tag.
TYPED_TEST(KeepingFreelists, NoBlockIsHandedOutTwiceAcrossThreads) {
  using F = TypeParam;
  constexpr int kThreads = 8, kRounds = 20000, kBlocksPerThread = 4;
  std::vector<Block> pool(kThreads * kBlocksPerThread);
  std::vector<std::atomic<int>> owner(pool.size());
  for (auto& o : owner) o = -1;
  std::atomic<int> doubles{0}, wrong_kind{0};
  Gil<F> gil;
  Released released;
  auto index = [&](void* p) { return std::size_t(static_cast<Block*>(p) - pool.data()); };
  auto kind_of = [&](void* p) { return index(p) % 2 == 0 ? fo::kList : fo::tuple_kind(2); };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      typename F::Local local(this->shared);
      std::vector<void*> held;
      for (int i = 0; i < kBlocksPerThread; ++i) held.push_back(&pool[std::size_t(t * kBlocksPerThread + i)]);
      for (auto* p : held) owner[index(p)] = t;
      for (int r = 0; r < kRounds; ++r) {
        if (!held.empty() && (r % 3 != 0 || held.size() == kBlocksPerThread)) {
          void* p = held.back();
          held.pop_back();
          owner[index(p)] = -1;
          if (!gil([&] { return F::push(local, kind_of(p), p); })) {  // full: keep it
            owner[index(p)] = t;
            held.push_back(p);
          }
        } else {
          const std::size_t kind = r % 2 == 0 ? fo::kList : fo::tuple_kind(2);
          if (void* p = gil([&] { return F::pop(local, kind); })) {
            if (kind_of(p) != kind) ++wrong_kind;
            int expected = -1;
            if (!owner[index(p)].compare_exchange_strong(expected, t)) ++doubles;
            held.push_back(p);
          }
        }
      }
      gil([&] { F::drain(local, &Released::add, &released); });
    });
  }
  for (auto& th : threads) th.join();
  F::drain_shared(this->shared, &Released::add, &released);
  EXPECT_EQ(doubles.load(), 0);
  EXPECT_EQ(wrong_kind.load(), 0);
}

// ---------------------------------------------------------------------------
// The runtime's use of them.

// 3.13's shape, with a test allocator: plain counts under the GIL and the
// interpreter's freelists.
using Cfg313 = runtime::Config<refcount::Immortal<refcount::Plain>, runtime::IntervalGil, obmalloc::Unlocked<>,
                               freelists::DataStack, runtime::ExplicitTState, dictlock::None, runtime::Py313<true>,
                               fo::PerInterp<>>;
// 3.13t's: biased counts, no GIL, mimalloc heaps, 3.13t's object locks and
// per-thread freelists.
using Cfg313t = runtime::Config<refcount::Immortal<refcount::Biased>, runtime::NoGil, obmalloc::MiHeaps,
                                freelists::DataStack, runtime::ExplicitTState, dictlock::Ft313, runtime::Py313<false>,
                                fo::PerThread<>>;
static_assert(runtime::SafeConfig<Cfg313> && runtime::SafeConfig<Cfg313t>);
// The interpreter's lists need a GIL: refused beside one that excludes
// nothing, and beside a commit thread that frees objects without one.
static_assert(!runtime::SafeConfig<Cfg313t::WithFreelists<fo::PerInterp<>>>);

template <class Cfg>
runtime::Tuple<typename Cfg::RC>* pair(runtime::ThreadState<Cfg>& ts) {
  auto* t = runtime::tuple_new(ts, 2);
  t->items()[0] = ts.rt.none;  // immortal: no reference needed
  t->items()[1] = ts.rt.none;
  return t;
}

// What 3.13 keeps: tuples of 1..20 (not the empty one, not 21), the list
// object without its item array, the dict, and a keys object of 8 slots;
// larger keys are freed.
TEST(ObjectFreelistsInTheRuntime, TheKindsThreeThirteenKeepsAndNoOthers) {
  using Cfg = Cfg313;
  runtime::Runtime<Cfg> rt;
  auto& ts = rt.main;
  auto kept = [&](auto make) {
    const runtime::Counters before = ts.counters;
    make();
    return std::pair{ts.counters.to_freelist - before.to_freelist, ts.counters.blocks_freed - before.blocks_freed};
  };
  for (std::int64_t n : {1, 2, 20}) {
    auto [to, freed] = kept([&] {
      auto* t = runtime::tuple_new(ts, n);
      for (std::int64_t i = 0; i < n; ++i) t->items()[i] = rt.none;
      runtime::decref(ts, &t->ob);
    });
    EXPECT_EQ(to, 1u) << n;
    EXPECT_EQ(freed, 0u) << n;
  }
  auto [to21, freed21] = kept([&] {
    auto* t = runtime::tuple_new(ts, 21);
    for (std::int64_t i = 0; i < 21; ++i) t->items()[i] = rt.none;
    runtime::decref(ts, &t->ob);
  });
  EXPECT_EQ(to21, 0u);
  EXPECT_EQ(freed21, 1u);
  auto [to_list, freed_list] = kept([&] {
    auto* l = runtime::list_new(ts, 3);
    for (int i = 0; i < 3; ++i) l->items[i] = rt.none;
    runtime::decref(ts, &l->ob);
  });
  EXPECT_EQ(to_list, 1u) << "the list object";
  EXPECT_EQ(freed_list, 1u) << "its item array, freed as list_dealloc does";
  auto [to_dict, freed_dict] = kept([&] { runtime::decref(ts, &rt.new_dict(ts)->ob); });
  EXPECT_EQ(to_dict, 1u) << "the dict; an empty dict's keys are the shared empty keys, never freed";
  EXPECT_EQ(freed_dict, 0u);
  auto [to_grown, freed_grown] = kept([&] {
    auto* d = rt.new_dict(ts);
    for (int i = 0; i < 6; ++i) {  // keys of 8 at the first key, of 16 at the sixth: the 8 kept, the 16 freed
      auto* k = rt.new_str(ts, std::string(1, char('a' + i)));
      rt.dict_set(ts, d, k, rt.none);
      runtime::decref(ts, &k->ob);
    }
    runtime::decref(ts, &d->ob);
  });
  EXPECT_EQ(to_grown, 2u) << "the keys of 8 it outgrew, then the dict";
  EXPECT_EQ(freed_grown, 7u) << "its six strs and its keys of 16";
}

// 3.13t: an object dies on the thread that drops its last reference and
// its block goes to that thread's lists; the thread that takes it from
// there initialises it and owns it (biased counting's fast path is its).
// Here a tuple made by a thread that has ended dies on another one, which
// then gets the same block back for its own next pair.
TEST(ObjectFreelistsInTheRuntime, AReusedBlockBelongsToTheThreadThatTookIt) {
  using Cfg = Cfg313t;
  using TS = runtime::ThreadState<Cfg>;
  runtime::Runtime<Cfg> rt;
  runtime::Tuple<Cfg::RC>* made = nullptr;
  runtime::Counters a_counters, b_counters;
  std::thread([&] {
    TS a(rt);
    made = pair(a);
    EXPECT_TRUE(runtime::owned_by_this_thread(a, &made->ob));
    a.detach();  // its thread ends; the tuple lives on, its owner gone
    a_counters = a.counters;
  }).join();
  std::thread([&] {
    TS b(rt);
    EXPECT_FALSE(runtime::owned_by_this_thread(b, &made->ob));
    runtime::decref(b, &made->ob);  // dies here (merged on the spot: its owner has exited)
    EXPECT_EQ(b.counters.to_freelist, 1u);
    auto* again = pair(b);
    EXPECT_EQ(static_cast<void*>(again), static_cast<void*>(made)) << "the block this thread kept";
    EXPECT_EQ(b.counters.from_freelist, 1u);
    EXPECT_TRUE(runtime::owned_by_this_thread(b, &again->ob)) << "_Py_NewReference on the popping thread";
    EXPECT_EQ(Cfg::RC::count(again->ob.rc), 1);
    runtime::decref(b, &again->ob);
    const std::uint64_t freed_before = b.counters.blocks_freed;
    b.detach();  // 3.13t's _PyObject_ClearFreeLists at thread exit
    EXPECT_EQ(b.counters.blocks_freed - freed_before, 1u) << "the kept tuple goes back to the allocator";
    b_counters = b.counters;
  }).join();
  rt.shutdown();
  runtime::Counters all = rt.main.counters;
  all += a_counters;
  all += b_counters;
  EXPECT_EQ(all.objects_created, all.objects_destroyed);
  EXPECT_EQ(all.blocks_allocated, all.blocks_freed) << "every block kept is freed by its thread's end or shutdown";
}

// 3.13: one set for the interpreter; what a thread keeps outlives it and
// serves the next thread. Shutdown frees what is left.
TEST(ObjectFreelistsInTheRuntime, TheInterpretersListsServeEveryThreadAndGoAtShutdown) {
  using Cfg = Cfg313;
  using TS = runtime::ThreadState<Cfg>;
  runtime::Runtime<Cfg> rt;
  void* kept = nullptr;
  runtime::Counters a_counters, b_counters;
  std::thread([&] {  // the threads take turns: the GIL's serialisation, without the GIL
    TS a(rt);
    auto* l = runtime::list_new(a, 0);
    kept = l;
    runtime::decref(a, &l->ob);
    a.detach();
    EXPECT_EQ(a.counters.blocks_freed, 0u) << "the interpreter's list stays";
    a_counters = a.counters;
  }).join();
  std::thread([&] {
    TS b(rt);
    auto* l = runtime::list_new(b, 0);
    EXPECT_EQ(static_cast<void*>(l), kept);
    runtime::decref(b, &l->ob);
    b.detach();
    b_counters = b.counters;
  }).join();
  rt.shutdown();
  runtime::Counters all = rt.main.counters;
  all += a_counters;
  all += b_counters;
  EXPECT_EQ(all.objects_created, all.objects_destroyed);
  EXPECT_EQ(all.blocks_allocated, all.blocks_freed);
}

}  // namespace
}  // namespace rclab::freelists
