// The dict-lock conformance suite, typed over every policy in
// dictlock/all.h (one list: a policy listed there is tested here, and
// experiments/entry.h refuses a configuration whose lock is not listed);
// the cases that apply to some locks only (a lock of its own, recursion,
// unlocked readers) are typed over the locks with that trait. First
// the policy alone — writers exclude each other, the recursive lock nests
// for its owner only, a reader never returns a half-written state — then
// through runtime/dict.h on a real dict: concurrent readers and writers
// replacing values and growing the table, every value read one that was
// stored under that key, none lost, none used after it was freed (ASan and
// the debug builds' poisoning stop on that) and every object freed once.
//
// A `kNeedsGil` policy (`none`) is given a GIL: a mutex around each
// operation here, the interval GIL in the runtime test. Interleavings that
// matter are forced through has_waiters() or from inside a callback, never
// timed.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "dictlock/all.h"
#include "experiments/registry.h"
#include "tests/type_lists.h"
#include "experiments/workload_run.h"
#include "freelists/datastack.h"
#include "obmalloc/system.h"
#include "refcount/atomic.h"
#include "refcount/biased.h"
#include "refcount/immortal.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_none.h"
#include "runtime/runtime.h"

namespace rclab::dictlock {
namespace {

template <class L>
class DictLockConformance : public ::testing::Test {};

using Policies = AllPolicies<::testing::Types>;
TYPED_TEST_SUITE(DictLockConformance, Policies);

// The cases for some locks only, each typed over the locks with its trait.
// A policy that needs the GIL (`none`) has no lock of its own: the GIL
// excludes, and a reader holding it leaves no writer able to run.
template <class L>
struct HasOwnLock : std::bool_constant<!L::kNeedsGil> {};
template <class L>
struct IsRecursive : std::bool_constant<L::kRecursive> {};
// Whether the policy's own read() runs the lookup unlocked. `ft313`'s
// readers run unlocked through runtime/dict.h's try-incref protocol; its
// read() is that protocol's locked fallback.
template <class L>
inline constexpr bool kGenericReadUnlocked = L::kUnlockedReaders && !runtime::detail::try_incref_reads<L>();
template <class L>
struct ReadsUnlocked : std::bool_constant<kGenericReadUnlocked<L>> {};
using List = AllPolicies<tests::TypeList>;
template <class L>
class DictLockConformanceLocked : public ::testing::Test {};
using LockedPolicies = tests::ToTypes<tests::Filter<HasOwnLock, List>>;
TYPED_TEST_SUITE(DictLockConformanceLocked, LockedPolicies);
template <class L>
class DictLockConformanceRecursive : public ::testing::Test {};
using RecursivePolicies = tests::ToTypes<tests::Filter<IsRecursive, List>>;
TYPED_TEST_SUITE(DictLockConformanceRecursive, RecursivePolicies);
template <class L>
class DictLockConformanceUnlockedReaders : public ::testing::Test {};
using UnlockedReaderPolicies = tests::ToTypes<tests::Filter<ReadsUnlocked, List>>;
TYPED_TEST_SUITE(DictLockConformanceUnlockedReaders, UnlockedReaderPolicies);

// What serialises a kNeedsGil policy's callers: a stand-in GIL.
template <class L>
struct GilIfNeeded {
  std::mutex m;
  void take() {
    if constexpr (L::kNeedsGil) m.lock();
  }
  void drop() {
    if constexpr (L::kNeedsGil) m.unlock();
  }
};

TYPED_TEST(DictLockConformance, SatisfiesConceptAndIsNamedOnce) {
  static_assert(Policy<TypeParam>);
  std::set<std::string_view> names;
  std::apply([&](auto... p) { (names.insert(decltype(p)::kName), ...); }, AllPolicies<std::tuple>{});
  EXPECT_EQ(names.size(), std::tuple_size_v<AllPolicies<std::tuple>>) << "two policies share a name";
  EXPECT_EQ(names.count(TypeParam::kName), 1u);
}

// Every configuration's dict lock is one of the listed (so tested) policies.
TEST(DictLockRegistry, EveryConfigurationUsesAListedPolicy) {
  std::set<std::string_view> names;
  std::apply([&](auto... p) { (names.insert(decltype(p)::kName), ...); }, AllPolicies<std::tuple>{});
  for (const auto& e : experiments::all_configs()) EXPECT_EQ(names.count(e.dictlock), 1u) << e.name;
}

// Mutual exclusion of writers, and no lost writes: a plain counter that
// every update increments (a race here is a lost update and a TSan report).
TYPED_TEST(DictLockConformance, WritersExcludeEachOtherAndNoWriteIsLost) {
  using L = TypeParam;
  constexpr int kThreads = 4, kWrites = 20000;
  typename L::State s;
  GilIfNeeded<L> gil;
  std::uint64_t counter = 0;
  std::atomic<int> inside{0}, overlaps{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < kWrites; ++k) {
        gil.take();
        L::write(s, [&] {
          if (inside.fetch_add(1) != 0) ++overlaps;
          ++counter;
          inside.fetch_sub(1);
        });
        gil.drop();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(counter, std::uint64_t(kThreads) * kWrites);
}

// A thread that holds the lock keeps every other writer out until it lets
// go, however it holds it (forced: the other thread is seen waiting first).
TYPED_TEST(DictLockConformanceLocked, AHeldLockKeepsOtherWritersOut) {
  using L = TypeParam;
  typename L::State s;
  L::lock(s);
  std::atomic<bool> done{false};
  std::thread other([&] { L::write(s, [&] { done = true; }); });
  while (!L::has_waiters(s)) std::this_thread::yield();
  for (int i = 0; i < 100; ++i) std::this_thread::yield();
  EXPECT_FALSE(done.load()) << "a writer got in while the lock was held";
  L::unlock(s);
  other.join();
  EXPECT_TRUE(done.load());
}

// The recursive lock nests for its owner (as the Gilectomy's lets a
// deallocator re-enter the dict it runs under) and excludes everyone else
// until the owner's last unlock.
TYPED_TEST(DictLockConformanceRecursive, RecursiveLockNestsForItsOwnerOnly) {
  using L = TypeParam;
  typename L::State s;
  int depth = 0;
  L::write(s, [&] { L::write(s, [&] { L::write(s, [&] { depth = 3; }); }); });  // no deadlock
  EXPECT_EQ(depth, 3);

  L::lock(s);
  L::lock(s);
  std::atomic<bool> b_got{false};
  std::thread b([&] {
    L::lock(s);
    b_got = true;
    L::unlock(s);
  });
  while (!L::has_waiters(s)) std::this_thread::yield();  // b found it held
  L::unlock(s);  // the owner still holds it once
  for (int i = 0; i < 100; ++i) std::this_thread::yield();
  EXPECT_FALSE(b_got.load()) << "another thread got the lock before the owner's last unlock";
  L::unlock(s);
  b.join();
  EXPECT_TRUE(b_got.load());
  L::lock(s);  // b's unlock left it free and un-owned
  L::unlock(s);
}

// A reader that comes while a writer is inside its update never returns
// the half-done state: it waits for the lock (locked reads; optimistic
// readers that see the odd version) and then sees the finished write.
TYPED_TEST(DictLockConformanceLocked, AReaderDuringAnUpdateWaitsForIt) {
  using L = TypeParam;
  typename L::State s;
  std::atomic<int> a{1}, b{1};
  std::atomic<bool> reader_done{false};
  std::pair<int, int> seen{0, 0};
  std::thread reader;
  L::write(s, [&] {
    a.store(2, std::memory_order_release);  // half done: a is new, b old
    reader = std::thread([&] {
      seen = L::read(
          s, [&] { return std::pair{a.load(std::memory_order_acquire), b.load(std::memory_order_acquire)}; },
          [](std::pair<int, int>) {});
      reader_done = true;
    });
    while (!L::has_waiters(s)) std::this_thread::yield();
    EXPECT_FALSE(reader_done.load());
    b.store(2, std::memory_order_release);
  });
  reader.join();
  EXPECT_EQ(seen, (std::pair{2, 2}));
}

// An unlocked reader whose lookup overlaps a whole write (forced from inside
// the lookup) must not return what it found: it looks again under the lock,
// and keeps (takes its reference to) only the value it returns.
TYPED_TEST(DictLockConformanceUnlockedReaders, AnOverlappedUnlockedReadIsDoneAgainUnderTheLock) {
  using L = TypeParam;
  typename L::State s;
  int objects[3] = {};
  std::atomic<int> current{1};
  int lookups = 0;
  std::vector<int*> kept;
  int* r = L::read(
      s,
      [&] {
        int* found = &objects[current.load(std::memory_order_acquire)];
        if (++lookups == 1)  // a writer comes and goes in the middle of this lookup
          std::thread([&] { L::write(s, [&] { current.store(2, std::memory_order_release); }); }).join();
        return found;
      },
      [&](int* v) { kept.push_back(v); });
  EXPECT_EQ(r, &objects[2]);
  EXPECT_EQ(lookups, 2);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0], &objects[2]);
}

// Many readers and writers on two fields that every write sets to one new
// number: no read returns two different numbers (torn) or goes back in
// time, whatever the lookups saw on the way.
TYPED_TEST(DictLockConformance, ReadersNeverReturnATornPair) {
  using L = TypeParam;
  constexpr int kWriters = 2, kReaders = 2, kWrites = 50000, kReads = 100000;
  typename L::State s;
  GilIfNeeded<L> gil;
  std::atomic<std::uint64_t> a{0}, b{0};
  std::uint64_t next = 0;  // under the write lock (or the GIL)
  std::atomic<int> torn{0}, backwards{0};
  std::atomic<std::uint64_t> torn_lookups{0};
  std::barrier start(kWriters + kReaders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int k = 0; k < kWrites; ++k) {
        gil.take();
        L::write(s, [&] {
          const std::uint64_t v = ++next;
          a.store(v, std::memory_order_release);
          if (k % 4 == 0) std::this_thread::yield();  // widen the window now and then
          b.store(v, std::memory_order_release);
        });
        gil.drop();
      }
    });
  for (int i = 0; i < kReaders; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      std::uint64_t last = 0;
      for (int k = 0; k < kReads; ++k) {
        gil.take();
        const auto [x, y] = L::read(
            s,
            [&] {
              const std::uint64_t x = a.load(std::memory_order_acquire);
              const std::uint64_t y = b.load(std::memory_order_acquire);
              if (x != y) ++torn_lookups;
              return std::pair{x, y};
            },
            [](std::pair<std::uint64_t, std::uint64_t>) {});
        gil.drop();
        if (x != y) ++torn;
        if (x < last) ++backwards;
        last = x;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(backwards.load(), 0);
  EXPECT_EQ(a.load(), std::uint64_t(kWriters) * kWrites);
  if (!kGenericReadUnlocked<L>) {
    EXPECT_EQ(torn_lookups.load(), 0u) << "a locked lookup overlapped a write";
  } else {
    // How often the race this guards against happened (not asserted: it
    // depends on the scheduler).
    std::printf("%s: %llu of %d lookups saw a torn pair and were redone under the lock\n",
                std::string(L::kName).c_str(), (unsigned long long)torn_lookups.load(), kReaders * kReads);
  }
}

// --- through runtime/dict.h ----------------------------------------------

// Atomic counts, malloc; the interval GIL for a policy that needs one.
// A policy whose readers try-incref (`ft313`) gets 3.13t's counting, biased
// with immortals, so that its tries can fail and take the locked path.
// Every case below runs on both generations' dicts (runtime/generation.h:
// kDict): 3.6's, with py36's frames, and 3.13's, with py313's data stack
// and immortal counts (its interpreter hands out small ints uncounted).
// `ft313`'s lock-free reads are 3.13's dict's only.
template <class L, runtime::DictFlavor F>
using DictCfgOf = runtime::Config<
    std::conditional_t<runtime::detail::try_incref_reads<L>(), refcount::Immortal<refcount::Biased>,
                       std::conditional_t<F == runtime::DictFlavor::k36, refcount::Atomic,
                                          refcount::Immortal<refcount::Atomic>>>,
    std::conditional_t<L::kNeedsGil, runtime::IntervalGil, runtime::NoGil>, obmalloc::System,
    std::conditional_t<F == runtime::DictFlavor::k36, freelists::PerThread<100>, freelists::DataStack>,
    runtime::ExplicitTState, L, std::conditional_t<F == runtime::DictFlavor::k36, runtime::Py36, runtime::Py313<false>>>;
template <class L>
using DictCfg = DictCfgOf<L, runtime::detail::try_incref_reads<L>() ? runtime::DictFlavor::k313 : runtime::DictFlavor::k36>;

// Runs f.operator()<Cfg>() on each dict a configuration with lock L can have.
template <class L, class F>
void on_each_dict(F&& f) {
  if constexpr (!runtime::detail::try_incref_reads<L>()) {
    SCOPED_TRACE("3.6's dict");
    f.template operator()<DictCfgOf<L, runtime::DictFlavor::k36>>();
  }
  SCOPED_TRACE("3.13's dict");
  f.template operator()<DictCfgOf<L, runtime::DictFlavor::k313>>();
}

TYPED_TEST(DictLockConformance, TheDictKeepsItsLayoutAndANoneLockCostsNoByte) {
  using L = TypeParam;
  on_each_dict<L>([]<class Cfg>() {
    const bool empty = std::is_empty_v<typename L::State>;
    EXPECT_EQ(runtime::dict_block_size<Cfg>() == sizeof(runtime::Dict<typename Cfg::RC>), empty);
  });
}

// Replacing a value: a locked policy releases it at once; with unlocked
// readers the dict's reference is retired to QSBR and dropped once every
// thread has passed a quiescent state (here the only thread, drained).
// Under `ft313` only a shared dict retires (3.13t's ensure_shared_on_read):
// while only its owner has touched it, a replaced value goes at once; once
// another thread has read it, replaced values retire.
TYPED_TEST(DictLockConformance, ReplacedValuesLiveUntilTheQuiescentPointIffReadersRunUnlocked) {
  using L = TypeParam;
  on_each_dict<L>([]<class Cfg>() {
    runtime::Runtime<Cfg> rt;
    auto& ts = rt.main;
    auto* d = rt.new_dict(ts);
    auto* key = rt.new_str(ts, "x");
    auto set = [&](std::int64_t v) {
      auto* o = runtime::int_from(ts, v);
      rt.dict_set(ts, d, key, o);
      runtime::decref(ts, o);  // the dict's reference is the only one
    };
    set(1000);
    set(1001);  // grows nothing; replaces 1000
    const bool owner_only = runtime::detail::try_incref_reads<L>();
    const bool retires = L::kUnlockedReaders && !owner_only;
    const std::uint64_t before = ts.counters.objects_destroyed;
    set(1002);
    EXPECT_EQ(ts.counters.objects_destroyed - before, retires ? 0u : 1u);
    auto* v = runtime::as<runtime::Int>(rt.dict_get(d, key));
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(runtime::int_value(v), 1002);
    runtime::qsbr_drain(ts);  // the quiescent point: the retired values go (nothing for a locked policy)
    EXPECT_EQ(ts.counters.objects_destroyed - before, retires ? 2u : 1u);
    if (owner_only) {
      std::thread([&] {  // another thread reads: the dict is shared from now on
        runtime::ThreadState<Cfg> rts(rt);
        runtime::Tally t;
        auto* o = runtime::dict_load(rts, d, key, t);
        ASSERT_NE(o, nullptr);
        runtime::decref_stack(rts, o, t);
        rts.detach();
      }).join();
      runtime::poll_rc_safepoint(ts);  // the reader's decrement was queued to the owner
      const std::uint64_t shared_before = ts.counters.objects_destroyed;
      set(1003);
      EXPECT_EQ(ts.counters.objects_destroyed - shared_before, 0u) << "a shared dict's replaced value retires";
      runtime::qsbr_drain(ts);
      EXPECT_EQ(ts.counters.objects_destroyed - shared_before, 1u);
    }
    const std::uint64_t before_clear = ts.counters.objects_destroyed;
    rt.dict_clear(ts, d);
    EXPECT_EQ(ts.counters.objects_destroyed - before_clear, 1u) << "the last value goes at the clear";
    runtime::decref(ts, &d->ob);
    runtime::decref(ts, &key->ob);
  });
}

// The moment that matters, forced: a writer replaces the value (and drops
// its own reference to the new one) after the reader has found the old one
// and before the reader's keep() has counted it. Unlocked readers: the
// writer runs to completion right there, and the old value must still be
// alive — retired, not freed (freed, ASan and the debug builds' poisoning
// stop here). A locked read: the writer must wait for the read to end.
TYPED_TEST(DictLockConformanceLocked, AValueReplacedBeforeTheReaderCountsItIsStillAlive) {
  using L = TypeParam;
  on_each_dict<L>([]<class Cfg>() {
    using RC = typename Cfg::RC;
    runtime::Runtime<Cfg> rt;
    auto& ts = rt.main;
    auto* d = rt.new_dict(ts);
    auto* key = rt.new_str(ts, "x");
    auto* first = runtime::int_from(ts, 1000);
    rt.dict_set(ts, d, key, first);
    runtime::decref(ts, first);  // the dict's reference is the only one
    std::thread writer;
    std::atomic<bool> written{false};
    runtime::Object<RC>* got = L::read(
        runtime::dict_lock_state<Cfg>(d), [d, key] { return runtime::dict_find<Cfg>(d, key); },
        [&](runtime::Object<RC>* v) {
          writer = std::thread([&] {
            runtime::ThreadState<Cfg> wts(rt);
            auto* second = runtime::int_from(wts, 2000);
            runtime::dict_set(wts, d, key, second);
            runtime::decref(wts, second);
            written = true;
            wts.detach();
          });
          if constexpr (kGenericReadUnlocked<L>) {
            writer.join();
            EXPECT_TRUE(written.load());
          } else {
            while (!L::has_waiters(runtime::dict_lock_state<Cfg>(d))) std::this_thread::yield();
            EXPECT_FALSE(written.load()) << "a writer replaced the value inside a locked read";
          }
          runtime::incref(ts, v);
          EXPECT_EQ(v->type, runtime::Type::kInt);
          EXPECT_EQ(runtime::int_value(runtime::as<runtime::Int>(v)), 1000);
        });
    if (writer.joinable()) writer.join();
    ASSERT_EQ(got, first);
    EXPECT_EQ(runtime::int_value(runtime::as<runtime::Int>(rt.dict_get(d, key))), 2000);
    runtime::decref(ts, got);  // under a locked read, the last reference: freed now
    rt.dict_clear(ts, d);
    runtime::decref(ts, &d->ob);
    runtime::decref(ts, &key->ob);
  });
}

// The same for a keys object: an unlocked reader has loaded the dict's
// keys when a writer grows the dict (forced inside the lookup); the probe
// then runs over the outgrown keys object, which must still be readable —
// retired, not freed — and the read is redone on the new one.
TYPED_TEST(DictLockConformanceUnlockedReaders, ATableOutgrownDuringAnUnlockedLookupStaysReadable) {
  using L = TypeParam;
  on_each_dict<L>([]<class Cfg>() {
    using RC = typename Cfg::RC;
    runtime::Runtime<Cfg> rt;
    auto& ts = rt.main;
    auto* d = rt.new_dict(ts);
    std::vector<runtime::Str<RC>*> keys;
    for (int i = 0; i < 20; ++i) keys.push_back(rt.new_str(ts, std::to_string(i)));
    auto set = [&](runtime::ThreadState<Cfg>& t, int i) {
      auto* v = runtime::int_from(t, 1000 + i);
      runtime::dict_set(t, d, keys[i], v);
      runtime::decref(t, v);
    };
    set(ts, 0);
    const std::uint64_t old_capacity = std::uint64_t(1) << d->keys->log2_size;
    int lookups = 0;
    runtime::Object<RC>* got = L::read(
        runtime::dict_lock_state<Cfg>(d),
        [&] {
          const runtime::DictKeys* dk = runtime::detail::load<true>(d->keys);
          if (++lookups == 1)
            std::thread([&] {
              runtime::ThreadState<Cfg> wts(rt);
              for (int i = 1; i < 20; ++i) set(wts, i);  // grows the table
              wts.detach();
            }).join();
          return runtime::detail::keys_find<Cfg>(dk, keys[0]);
        },
        [&](runtime::Object<RC>* v) {
          if (v != nullptr) runtime::incref(ts, v);
        });
    EXPECT_GT(std::uint64_t(1) << d->keys->log2_size, old_capacity) << "the writer did not grow the keys";
    EXPECT_EQ(lookups, 2) << "the read over the outgrown keys was not redone";
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(runtime::int_value(runtime::as<runtime::Int>(got)), 1000);
    runtime::decref(ts, got);
    rt.dict_clear(ts, d);
    runtime::decref(ts, &d->ob);
    for (auto* k : keys) runtime::decref(ts, &k->ob);
  });
}

// Readers and writers at once on a real dict: each writer owns some keys,
// inserts them over time (so the table grows twice under the readers) and
// replaces their values with new objects, dropping its own reference so the
// dict's is the last. Readers load every key through dict_load (the
// interpreter's LOAD_GLOBAL and BINARY_SUBSCR read), check the value
// belongs to that key and never goes back, and drop their reference. With
// kIntKeys the keys are ints (a general table; 3.6's lookdict) and the
// readers look them up by equal ints that are other objects, so that every
// hit compares the stored key under a reference (3.13t: try-increfed).
template <class L, bool kIntKeys>
void concurrent_readers_and_writers() {
  on_each_dict<L>([]<class Cfg>() {
    using RC = typename Cfg::RC;
    using TS = runtime::ThreadState<Cfg>;
    constexpr int kKeys = 64, kWriters = 2, kReaders = 2, kRounds = 1000;
    runtime::RuntimeOptions options;
    options.settings.set("switch_interval_us", 20);
    runtime::Runtime<Cfg> rt(options);
    const runtime::Counters main_before = rt.main.counters;

    auto* d = rt.new_dict(rt.main);
    std::vector<runtime::Object<RC>*> keys, lookup_keys;  // stored, and looked up by
    for (int i = 0; i < kKeys; ++i) {
      if constexpr (kIntKeys) {
        keys.push_back(runtime::int_from(rt.main, 1'000'000 + i));  // not a cached small int
        lookup_keys.push_back(runtime::int_from(rt.main, 1'000'000 + i));
      } else {
        keys.push_back(&rt.new_str(rt.main, "key" + std::to_string(i))->ob);
        lookup_keys.push_back(keys.back());
        runtime::incref(rt.main, keys.back());
      }
    }
    auto encode = [](std::int64_t seq, int key) { return (seq << 8) | key; };  // seq >= 2: never a cached small int
    std::vector<std::int64_t> last_written(kKeys, 0);  // each entry written by its key's writer only
    for (int i = 0; i < 8; ++i) {  // the first keys, before the threads
      auto* v = runtime::int_from(rt.main, encode(2, i));
      runtime::dict_set(rt.main, d, keys[i], v);
      runtime::decref(rt.main, v);
      last_written[i] = 2;
    }

    std::vector<runtime::Counters> worker_counters(kWriters + kReaders);
    std::atomic<int> wrong_key{0}, backwards{0}, vanished{0}, not_an_int{0};
    runtime::park(rt.main);  // blocked in the joins, as the driver's: QSBR does not wait for it
    std::barrier start(kWriters + kReaders);
    // Every 100 rounds all threads meet, report a quiescent state, and meet
    // again: whatever a writer retired before the first meeting is then
    // reclaimable at its next processing, however the threads are
    // scheduled (a reader attached but never run would otherwise hold
    // every goal back, as it did with two such tests on two busy cores).
    std::barrier meet(kWriters + kReaders);
    auto checkpoint = [&](TS& ts, int round) {
      if (round % 100 != 99) return;
      meet.arrive_and_wait();
      runtime::poll_quiescent(ts);
      meet.arrive_and_wait();
    };
    std::vector<std::thread> threads;
    // Writer w owns the keys i with i % kWriters == w; key w is its hot key,
    // rewritten between any two other writes and read as often by the
    // readers, so that a reader's lookup and a writer's replacement of the
    // same value meet as often as the scheduler lets them. (That meeting is
    // rare on two cores: with replaced values freed at once under unlocked
    // readers, ASan catches it here in some runs only; the forced test above
    // catches it every time.)
    for (int w = 0; w < kWriters; ++w)
      threads.emplace_back([&, w] {
        TS ts(rt);
        auto write = [&](int i) {
          const std::int64_t seq = last_written[i] == 0 ? 2 : last_written[i] + 1;
          Cfg::Gil::take(rt.gil_shared, ts.gil);
          auto* v = runtime::int_from(ts, encode(seq, i));
          runtime::dict_set(ts, d, keys[i], v);
          runtime::decref(ts, v);
          Cfg::Gil::drop(rt.gil_shared, ts.gil);
          last_written[i] = seq;
        };
        start.arrive_and_wait();
        for (int round = 0; round < kRounds; ++round) {
          for (int i = w + kWriters; i < kKeys; i += kWriters) {
            if (last_written[i] == 0 && i > 8 + round) continue;  // inserted over the first rounds
            write(i);
            write(w);
            runtime::poll_quiescent(ts);
          }
          checkpoint(ts, round);
        }
        ts.detach();
        worker_counters[w] = ts.counters;
      });
    for (int r = 0; r < kReaders; ++r)
      threads.emplace_back([&, r] {
        TS ts(rt);
        std::vector<std::int64_t> seen(kKeys, 0);
        runtime::Tally t;
        start.arrive_and_wait();
        for (int round = 0; round < kRounds; ++round) {
          for (int j = 0; j < 2 * kKeys; ++j) {
            const int i = j % 2 == 0 ? j / 2 : (j / 2) % kWriters;  // every other read: a hot key
            Cfg::Gil::take(rt.gil_shared, ts.gil);
            runtime::Object<RC>* o = runtime::dict_load(ts, d, lookup_keys[i], t);
            if (o == nullptr) {
              if (seen[i] != 0) ++vanished;
            } else if (o->type != runtime::Type::kInt) {
              ++not_an_int;  // a freed value (debug builds poison the tag) or garbage
            } else {
              const std::int64_t v = runtime::int_value(runtime::as<runtime::Int>(o));
              if ((v & 0xff) != i) ++wrong_key;
              if ((v >> 8) < seen[i]) ++backwards;
              seen[i] = v >> 8;
            }
            if (o != nullptr) runtime::decref_stack(ts, o, t);
            Cfg::Gil::drop(rt.gil_shared, ts.gil);
            runtime::poll_quiescent(ts);  // as the eval loop's breaker check: QSBR reclaims while readers run
          }
          checkpoint(ts, round);
        }
        ts.counters.rc += t;
        ts.detach();
        worker_counters[kWriters + r] = ts.counters;
      });
    for (auto& t : threads) t.join();
    runtime::unpark(rt.main);

    EXPECT_EQ(wrong_key.load(), 0) << "a value read under another key's name: a torn pair";
    EXPECT_EQ(backwards.load(), 0) << "a reader saw an older value after a newer one";
    EXPECT_EQ(vanished.load(), 0) << "a key disappeared (nothing deletes)";
    EXPECT_EQ(not_an_int.load(), 0);
    EXPECT_EQ(d->used, std::uint64_t(kKeys));
    EXPECT_GE(std::uint64_t(1) << d->keys->log2_size, 128u) << "the keys grew under the readers";
    runtime::Tally t;
    for (int i = 0; i < kKeys; ++i) {  // no lost writes: each key holds its writer's last value
      auto* o = runtime::dict_load(rt.main, d, lookup_keys[i], t);
      ASSERT_NE(o, nullptr) << i;
      EXPECT_EQ(runtime::int_value(runtime::as<runtime::Int>(o)), encode(last_written[i], i)) << i;
      runtime::decref_stack(rt.main, o, t);
    }
    if constexpr (kIntKeys) {  // 3.13's table became general; 3.6's keys switched to lookdict
      if constexpr (runtime::detail::kDict36<Cfg>)
        EXPECT_EQ(runtime::detail::dk_lookup<Cfg>(d->keys),
                  (&runtime::lookdict<runtime::detail::kSharedFields<Cfg>, Cfg>));
      else
        EXPECT_EQ(d->keys->kind, runtime::kDictKeysGeneral);
    }

    if constexpr (runtime::kUsesQsbr<Cfg>) {
      EXPECT_GT(rt.qsbr_shared.reclaimed.load(), 0u) << "QSBR reclaimed nothing while the threads ran";
    }
    runtime::qsbr_drain(rt.main);  // after the joins: what the writers left retired
    // Biased counting: the first values are the main thread's, and the
    // readers' last decrements of them were queued to it.
    runtime::poll_rc_safepoint(rt.main);
    rt.dict_clear(rt.main, d);
    runtime::decref(rt.main, &d->ob);
    for (auto* k : keys) runtime::decref(rt.main, k);
    for (auto* k : lookup_keys) runtime::decref(rt.main, k);
    std::uint64_t created = rt.main.counters.objects_created - main_before.objects_created;
    std::uint64_t destroyed = rt.main.counters.objects_destroyed - main_before.objects_destroyed;
    for (const auto& c : worker_counters) created += c.objects_created, destroyed += c.objects_destroyed;
    EXPECT_EQ(created, destroyed) << "objects leaked or freed twice";
    EXPECT_GT(created, std::uint64_t(kWriters) * kRounds) << "the writers made new values";
  });
}

TYPED_TEST(DictLockConformance, ConcurrentReadersAndWritersOnARealDict) {
  concurrent_readers_and_writers<TypeParam, false>();
}

TYPED_TEST(DictLockConformance, ConcurrentReadersAndWritersOnADictKeyedByInts) {
  concurrent_readers_and_writers<TypeParam, true>();
}

// Lists under a lock that locks them (`ft313`: kLocksContainers): writers
// append and pop under the list's critical section while readers iterate it
// unlocked (list_get_item_ref: try-incref and re-check, else the locked
// read). Every item a reader gets is a live int it holds a reference to;
// nothing is lost or freed twice (ASan and TSan check the rest).
template <class L>
struct LocksContainers : std::bool_constant<runtime::kLockedContainers<DictCfg<L>>> {};
template <class L>
class ListLockConformance : public ::testing::Test {};
using ListLockPolicies = tests::ToTypes<tests::Filter<LocksContainers, List>>;
TYPED_TEST_SUITE(ListLockConformance, ListLockPolicies);

// The end of a list case: QSBR's and the owner's deferred work done on
// the main thread, the test's reference to the list dropped, and every
// object any thread made freed exactly once.
template <class Cfg>
void expect_list_freed_and_nothing_left(runtime::Runtime<Cfg>& rt, runtime::List<typename Cfg::RC>* l,
                                        const runtime::Counters& main_before,
                                        const std::vector<runtime::Counters>& workers) {
  runtime::qsbr_drain(rt.main);
  runtime::poll_rc_safepoint(rt.main);
  runtime::decref(rt.main, &l->ob);
  std::uint64_t created = rt.main.counters.objects_created - main_before.objects_created;
  std::uint64_t destroyed = rt.main.counters.objects_destroyed - main_before.objects_destroyed;
  for (const auto& c : workers) created += c.objects_created, destroyed += c.objects_destroyed;
  EXPECT_EQ(created, destroyed) << "objects leaked or freed twice";
}

TYPED_TEST(ListLockConformance, ReadersIterateWhileWritersAppendAndPop) {
  using L = TypeParam;
  using Cfg = DictCfg<L>;
  using RC = typename Cfg::RC;
  using TS = runtime::ThreadState<Cfg>;
  constexpr int kWriters = 2, kReaders = 2, kRounds = 3000, kBase = 16;
  runtime::Runtime<Cfg> rt;
  const runtime::Counters main_before = rt.main.counters;
  auto* l = runtime::list_new(rt.main, 0);
  for (int i = 0; i < kBase; ++i) {  // the main thread's items: the readers' tries fail until marked
    auto* v = runtime::int_from(rt.main, 1000 + i);
    runtime::list_append_take(rt.main, l, v);
  }
  std::vector<runtime::Counters> counters(kWriters + kReaders);
  std::atomic<int> not_an_int{0}, got{0};
  runtime::park(rt.main);
  std::barrier start(kWriters + kReaders);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      TS ts(rt);
      start.arrive_and_wait();
      for (int r = 0; r < kRounds; ++r) {
        for (int k = 0; k < 4; ++k) runtime::list_append_take(ts, l, runtime::int_from(ts, 5000 + r));
        for (int k = 0; k < 4; ++k) runtime::decref(ts, runtime::list_pop(ts, l));  // the list never drops below kBase
        runtime::poll_quiescent(ts);
      }
      ts.detach();
      counters[w] = ts.counters;
    });
  for (int r = 0; r < kReaders; ++r)
    threads.emplace_back([&, r] {
      TS ts(rt);
      start.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round) {
        runtime::incref(ts, &l->ob);
        auto* it = runtime::as<runtime::SeqIter>(runtime::seq_iter_new(ts, &l->ob, runtime::Type::kListIter));
        runtime::decref(ts, &l->ob);
        while (runtime::Object<RC>* o = runtime::seq_iter_next(ts, it)) {
          if (o->type != runtime::Type::kInt) ++not_an_int;
          ++got;
          runtime::decref(ts, o);
        }
        runtime::decref(ts, &it->ob);
        runtime::poll_quiescent(ts);
        runtime::poll_rc_safepoint(ts);
      }
      ts.detach();
      counters[kWriters + r] = ts.counters;
    });
  for (auto& t : threads) t.join();
  runtime::unpark(rt.main);
  EXPECT_EQ(not_an_int.load(), 0) << "a reader got a freed or foreign object";
  EXPECT_GE(got.load(), kReaders * kRounds * kBase) << "every iteration sees at least the base items";
  EXPECT_EQ(l->size, kBase);
  expect_list_freed_and_nothing_left(rt, l, main_before, counters);
}

// list.pop(0) on a list its owner alone has read moves the items with one
// memmove (list_pop); once another thread has read it (its first read
// takes the critical section and marks the list shared), slot by slot
// with atomic stores. The owner pops from the front while, from a quarter
// of the way on, a second thread iterates the list unlocked: every item it
// gets is a live int, and under TSan the moves before the mark are ordered
// before its reads.
TYPED_TEST(ListLockConformance, OwnerPopsFromTheFrontWhileAnotherThreadStartsReading) {
  using L = TypeParam;
  using Cfg = DictCfg<L>;
  using RC = typename Cfg::RC;
  using TS = runtime::ThreadState<Cfg>;
  constexpr int kRounds = 4000, kBase = 16;
  runtime::Runtime<Cfg> rt;
  const runtime::Counters main_before = rt.main.counters;
  std::atomic<runtime::List<RC>*> list{nullptr};
  std::atomic<bool> done{false};
  std::atomic<int> not_an_int{0}, unshared_before_reading{0};
  runtime::Counters owner_counters, reader_counters;
  runtime::park(rt.main);
  std::thread owner([&] {
    TS ts(rt);
    auto* l = runtime::list_new(ts, 0);
    for (int i = 0; i < kBase; ++i) runtime::list_append_take(ts, l, runtime::int_from(ts, 1000 + i));
    runtime::incref(ts, &l->ob);  // the test's reference, dropped by the main thread
    for (int r = 0; r < kRounds; ++r) {
      if (r == kRounds / 4) {
        unshared_before_reading = !L::is_shared(runtime::list_lock_state<Cfg>(l));
        list.store(l, std::memory_order_release);
      }
      runtime::list_append_take(ts, l, runtime::int_from(ts, 5000 + r));
      runtime::decref(ts, runtime::list_pop(ts, l, 0));
      runtime::poll_quiescent(ts);
      runtime::poll_rc_safepoint(ts);
      if (r >= kRounds / 4) std::this_thread::yield();  // let the reader in between the pops
    }
    while (!done.load(std::memory_order_acquire)) {
      runtime::poll_quiescent(ts);
      runtime::poll_rc_safepoint(ts);
      std::this_thread::yield();
    }
    runtime::decref(ts, &l->ob);
    ts.detach();
    owner_counters = ts.counters;
  });
  std::thread reader([&] {
    TS ts(rt);
    runtime::List<RC>* l;
    while ((l = list.load(std::memory_order_acquire)) == nullptr) std::this_thread::yield();
    for (int round = 0; round < kRounds / 8; ++round) {
      runtime::incref(ts, &l->ob);
      auto* it = runtime::as<runtime::SeqIter>(runtime::seq_iter_new(ts, &l->ob, runtime::Type::kListIter));
      runtime::decref(ts, &l->ob);
      while (runtime::Object<RC>* o = runtime::seq_iter_next(ts, it)) {
        if (o->type != runtime::Type::kInt) ++not_an_int;
        runtime::decref(ts, o);
      }
      runtime::decref(ts, &it->ob);
      runtime::poll_quiescent(ts);
      runtime::poll_rc_safepoint(ts);
    }
    done.store(true, std::memory_order_release);
    ts.detach();
    reader_counters = ts.counters;
  });
  owner.join();
  reader.join();
  runtime::unpark(rt.main);
  runtime::List<RC>* l = list.load();
  EXPECT_EQ(unshared_before_reading.load(), 1) << "the owner's first pops were not on an unshared list";
  EXPECT_TRUE(L::is_shared(runtime::list_lock_state<Cfg>(l))) << "the reader's first read did not mark the list";
  EXPECT_GE(reader_counters.list_locked_reads, 1u);
  EXPECT_EQ(not_an_int.load(), 0) << "the reader got a freed or foreign object";
  EXPECT_EQ(l->size, kBase);
  expect_list_freed_and_nothing_left(rt, l, main_before, {owner_counters, reader_counters});
}

}  // namespace
}  // namespace rclab::dictlock
