// The allocator conformance suite (alloc_conformance.h) for every allocator
// a configuration may use (obmalloc::AllPolicies, obmalloc/all.h: a new
// allocator joins there) and, test-only, the 3.6 geometry of every scheme,
// other backends behind the same schemes and a cache of 3 blocks per class;
// then pymalloc's own behaviour, case by case against CPython's: lazy
// carving, size classes, the pool-state transitions, arena order and
// release, the arena map, the invariant checker, statistics; and mi_heaps'
// own: mimalloc opened locally leaves malloc alone, a heap per thread given
// up at detach, ASan's poison on freed blocks.
// jemalloc and mimalloc run the same suite from alloc_backend_test.cpp.
#include "tests/alloc_conformance.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "obmalloc/all.h"
#include "obmalloc/which.h"
#include "tests/type_lists.h"

namespace rclab::obmalloc {
namespace conformance {
using G36 = pymalloc::Geometry36;
using TestOnly = tests::TypeList<GlobalLock<System>, Unlocked<G36>, TwoStage<G36>, PerThread<G36>, BlockCache<System>,
                                 BlockCache<GlobalLock<Pymalloc<>>, 3>>;
using Allocators = tests::ToTypes<tests::Concat<AllPolicies<tests::TypeList>, TestOnly>>;
INSTANTIATE_TYPED_TEST_SUITE_P(All, AllocConformance, Allocators, AllocName);
}  // namespace conformance

namespace {
using G36 = pymalloc::Geometry36;


// ---------------------------------------------------------------------------
// pymalloc, single-threaded, against CPython's behaviour.

using Heap = pymalloc::Heap<pymalloc::Geometry310, /*kStats=*/true>;
using R = Heap::R;
using pymalloc::PoolHeader;

std::byte* bytes(void* p) { return static_cast<std::byte*>(p); }

TEST(Pymalloc, GeometryIsCPython310s) {
  EXPECT_EQ(R::kAlignment, 16u);
  EXPECT_EQ(R::kClasses, 32u);
  EXPECT_EQ(R::kPoolSize, 16u * 1024);
  EXPECT_EQ(R::kArenaSize, 1024u * 1024);
  using R36 = pymalloc::Rules<G36>;
  EXPECT_EQ(R36::kAlignment, 8u);
  EXPECT_EQ(R36::kClasses, 64u);
  EXPECT_EQ(R36::kPoolSize, 4096u);
  EXPECT_EQ(R36::kArenaSize, 256u * 1024);
}

TEST(Pymalloc, PoolsAreCarvedLazily) {
  Heap h;
  void* a = h.malloc(32);
  PoolHeader* pool = Heap::pool_of(a);
  // First block handed out, second block the free list, nothing else carved.
  EXPECT_EQ(bytes(a), bytes(pool) + R::kPoolOverhead);
  EXPECT_EQ(bytes(pool->freeblock), bytes(a) + 32);
  EXPECT_EQ(pool->nextoffset, R::kPoolOverhead + 64);
  EXPECT_EQ(pool->maxnextoffset, R::kPoolSize - 32);
  void* b = h.malloc(32);
  EXPECT_EQ(bytes(b), bytes(a) + 32);
  // The free list ran dry: one more block carved by the bump offset.
  EXPECT_EQ(bytes(pool->freeblock), bytes(a) + 64);
  EXPECT_EQ(pool->nextoffset, R::kPoolOverhead + 96);
  EXPECT_EQ(pool->count, 2u);
  h.free(a);
  h.free(b);
  EXPECT_EQ(h.check_invariants(), "");
}

TEST(Pymalloc, SixteenByteClassesUpTo512) {
  Heap h;
  void* one = h.malloc(1);
  void* sixteen = h.malloc(16);
  EXPECT_EQ(Heap::pool_of(one), Heap::pool_of(sixteen));  // both class 0
  EXPECT_EQ(Heap::pool_of(one)->szidx, 0u);
  void* seventeen = h.malloc(17);
  EXPECT_EQ(Heap::pool_of(seventeen)->szidx, 1u);
  void* top = h.malloc(512);
  EXPECT_TRUE(h.address_in_range(top));
  EXPECT_EQ(Heap::pool_of(top)->szidx, 31u);
  void* large = h.malloc(513);
  EXPECT_FALSE(h.address_in_range(large));
  EXPECT_EQ(h.stats().large_allocs.load(), 1u);
  for (void* p : {one, sixteen, seventeen, top, large}) h.free(p);
  EXPECT_EQ(h.stats().large_frees.load(), 1u);
  EXPECT_EQ(h.stats().allocs[0], 2u);
  EXPECT_EQ(h.stats().frees[0], 2u);
  EXPECT_EQ(h.check_invariants(), "");
}

// used -> full: out of usedpools; full -> used: back at the front, so the
// block just freed is the next one handed out.
TEST(Pymalloc, AFullPoolGetsABlockBackAndIsUsedFirst) {
  Heap h;
  constexpr std::size_t kPerPool = (R::kPoolSize - R::kPoolOverhead) / 512;
  std::vector<void*> first;
  for (std::size_t i = 0; i < kPerPool; ++i) first.push_back(h.malloc(512));
  PoolHeader* a = Heap::pool_of(first[0]);
  for (void* p : first) EXPECT_EQ(Heap::pool_of(p), a);
  EXPECT_EQ(a->freeblock, nullptr);  // full
  void* other = h.malloc(512);
  EXPECT_NE(Heap::pool_of(other), a);  // a new pool
  EXPECT_EQ(h.check_invariants(), "");
  h.free(first[5]);
  EXPECT_EQ(h.malloc(512), first[5]);
  for (void* p : first) h.free(p);
  h.free(other);
  EXPECT_EQ(h.check_invariants(), "");
}

// used -> empty: the pool goes to its arena's freepools keeping its class,
// so taking it for the same class rebuilds nothing.
TEST(Pymalloc, AnEmptyPoolKeepsItsSizeClass) {
  Heap h;
  void* keep = h.malloc(100);  // keeps the arena busy
  void* p = h.malloc(48);
  PoolHeader* pool = Heap::pool_of(p);
  ASSERT_NE(pool, Heap::pool_of(keep));
  h.free(p);
  EXPECT_EQ(pool->count, 0u);
  EXPECT_EQ(pool->szidx, 2u);
  EXPECT_EQ(h.check_invariants(), "");
  void* again = h.malloc(48);
  EXPECT_EQ(Heap::pool_of(again), pool);
  EXPECT_EQ(h.stats().pools_reused, 1u);
  EXPECT_EQ(h.stats().reinits[2], 0u);
  h.free(again);
  void* other_class = h.malloc(200);  // the same empty pool, re-initialised
  EXPECT_EQ(Heap::pool_of(other_class), pool);
  EXPECT_EQ(pool->szidx, R::size2index(200));
  EXPECT_EQ(h.stats().reinits[R::size2index(200)], 1u);
  h.free(other_class);
  h.free(keep);
  EXPECT_EQ(h.check_invariants(), "");
}

// Fill whole pools of the largest class until `arenas` arenas are full.
std::vector<void*> fill_arenas(Heap& h, std::size_t arenas) {
  constexpr std::size_t kPerPool = (R::kPoolSize - R::kPoolOverhead) / 512;
  std::vector<void*> v;
  for (std::size_t i = 0; i < arenas * R::kMaxPoolsInArena * kPerPool; ++i) v.push_back(h.malloc(512));
  return v;
}

TEST(Pymalloc, KeepsOneWhollyFreeArenaAndTrimReleasesIt) {
  Heap h;
  auto v = fill_arenas(h, 3);
  v.push_back(h.malloc(512));  // a fourth arena
  EXPECT_EQ(h.arenas(), 4u);
  for (void* p : v) h.free(p);
  EXPECT_EQ(h.arenas(), 1u);  // bpo-37257: one kept
  EXPECT_EQ(h.arenas_allocated_ever(), 4u);
  EXPECT_EQ(h.check_invariants(), "");
  EXPECT_EQ(h.trim(), 1u);
  EXPECT_EQ(h.arenas(), 0u);
  EXPECT_EQ(h.check_invariants(), "");
  void* p = h.malloc(64);  // maps a fresh one
  EXPECT_EQ(h.arenas(), 1u);
  h.free(p);
}

// usable_arenas is sorted by free pools: a new pool comes from the arena
// with the fewest, so the emptier ones can drain and be released.
TEST(Pymalloc, NewPoolsComeFromTheFullestArena) {
  Heap h;
  auto v = fill_arenas(h, 3);
  std::map<std::uint32_t, std::vector<PoolHeader*>> pools_of_arena;
  std::map<PoolHeader*, std::vector<void*>> blocks_of_pool;
  for (void* p : v) blocks_of_pool[Heap::pool_of(p)].push_back(p);
  for (auto& [pool, blocks] : blocks_of_pool) pools_of_arena[pool->arenaindex].push_back(pool);
  ASSERT_EQ(pools_of_arena.size(), 3u);
  auto it = pools_of_arena.begin();
  const std::uint32_t emptier = it->first, fuller = (++it)->first;
  std::set<void*> freed;
  auto empty_pools = [&](std::uint32_t arena, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k)
      for (void* p : blocks_of_pool[pools_of_arena[arena][k]]) {
        h.free(p);
        freed.insert(p);
      }
  };
  empty_pools(emptier, 10);
  empty_pools(fuller, 3);
  EXPECT_EQ(h.check_invariants(), "");  // checks the order and nfp2lasta too
  // Class 0 has no pool: the next one comes from `fuller` (3 free < 10).
  void* q = h.malloc(16);
  EXPECT_EQ(Heap::pool_of(q)->arenaindex, fuller);
  h.free(q);
  for (void* p : v)
    if (!freed.count(p)) h.free(p);
  EXPECT_EQ(h.arenas(), 1u);
  EXPECT_EQ(h.check_invariants(), "");
}

TEST(Pymalloc, CheckerFindsBrokenCountsAndFreeLists) {
  Heap h;
  void* a = h.malloc(64);
  void* b = h.malloc(64);
  void* c = h.malloc(64);
  h.free(b);
  ASSERT_EQ(h.check_invariants(), "");
  PoolHeader* pool = Heap::pool_of(a);
  ++pool->count;
  EXPECT_NE(h.check_invariants().find("pool count"), std::string::npos);
  --pool->count;
  auto* fb = static_cast<pymalloc::FreeBlock*>(b);
  pymalloc::FreeBlock* saved = fb->next;
  fb->next = fb;  // a cycle, as a double free makes
  EXPECT_NE(h.check_invariants().find("free list"), std::string::npos);
  fb->next = saved;
  EXPECT_EQ(h.check_invariants(), "");
  h.free(a);
  h.free(c);
}

TEST(Pymalloc, StatisticsAreCompiledOutByDefault) {
  EXPECT_LT(sizeof(pymalloc::Heap<pymalloc::Geometry310, false>), sizeof(Heap));
  EXPECT_FALSE((pymalloc::Heap<pymalloc::Geometry310, false>::kStatsOn));
}

TEST(Pymalloc, Geometry36HasEightByteClassesInPagePools) {
  pymalloc::Heap<G36, true> h;
  using R36 = pymalloc::Rules<G36>;
  void* a = h.malloc(1);
  void* b = h.malloc(8);
  EXPECT_EQ(bytes(b), bytes(a) + 8);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % 8, 0u);
  void* c = h.malloc(9);
  EXPECT_EQ(decltype(h)::pool_of(c)->szidx, 1u);
  EXPECT_EQ(decltype(h)::pool_of(a)->maxnextoffset, R36::kPoolSize - 8);
  for (void* p : {a, b, c}) h.free(p);
  EXPECT_EQ(h.check_invariants(), "");
}

// The radix tree, with arenas that are and are not arena-aligned, sharing
// chunks: exact bounds, and nothing left after unmarking.
TEST(ArenaMap, CoversExactlyTheMarkedArenas) {
  constexpr unsigned kBits = 20;
  constexpr std::uintptr_t kSize = std::uintptr_t(1) << kBits;
  pymalloc::ArenaMap<kBits> map;
  const std::uintptr_t chunk = std::uintptr_t(0x7f12) << 32;
  const std::uintptr_t a = chunk + 0x3000;      // straddles two chunks
  const std::uintptr_t b = a + kSize;           // starts where a ends
  const std::uintptr_t c = chunk + 8 * kSize;   // aligned
  auto in = [&](std::uintptr_t x) { return map.contains(reinterpret_cast<const void*>(x)); };
  map.mark(a, true);
  EXPECT_FALSE(in(a - 1));
  EXPECT_TRUE(in(a));
  EXPECT_TRUE(in(a + kSize - 1));
  EXPECT_FALSE(in(a + kSize));
  map.mark(b, true);
  map.mark(c, true);
  EXPECT_TRUE(in(a + kSize));
  EXPECT_TRUE(in(b + kSize - 1));
  EXPECT_FALSE(in(b + kSize));
  EXPECT_FALSE(in(c - 1));
  EXPECT_TRUE(in(c));
  EXPECT_TRUE(in(c + kSize - 1));
  EXPECT_FALSE(in(c + kSize));
  map.mark(a, false);
  EXPECT_FALSE(in(a));
  EXPECT_FALSE(in(a + kSize - 1));
  EXPECT_TRUE(in(b));  // b's coverage untouched in the shared chunk
  map.mark(b, false);
  map.mark(c, false);
  for (std::uintptr_t x = chunk; x < chunk + 10 * kSize; x += 0x1000) EXPECT_FALSE(in(x)) << std::hex << x;
  EXPECT_FALSE(in(std::uintptr_t(1) << 50));  // beyond the map: never ours
}

// ---------------------------------------------------------------------------
// per_thread: foreign frees really go through the owner's remote list, and
// heaps are handed on rather than multiplied.

TEST(PerThread, ForeignFreesGoToTheOwnersRemoteList) {
  using A = PerThread<pymalloc::Geometry310, /*kStats=*/true>;  // counts remote frees
  A::Shared shared;
  std::vector<void*> blocks;
  std::thread owner([&] {
    A::Local l(shared);
    for (int i = 0; i < 1000; ++i) blocks.push_back(A::alloc(l, 64));
  });
  owner.join();
  std::thread other([&] {
    A::Local l(shared);  // adopts the owner's heap: the frees are local
    for (void* p : blocks) A::free(l, p, 64);
  });
  other.join();
  EXPECT_EQ(shared.heap_count(), 1u);
  EXPECT_EQ(shared.remote_frees(), 0u);
  EXPECT_EQ(shared.arenas(), 0u);

  blocks.clear();
  A::Local mine(shared);
  for (int i = 0; i < 1000; ++i) blocks.push_back(A::alloc(mine, 64));
  std::thread freer([&] {
    A::Local l(shared);  // a second heap: mine is owned
    for (void* p : blocks) A::free(l, p, 64);
  });
  freer.join();
  EXPECT_EQ(shared.heap_count(), 2u);
  EXPECT_EQ(shared.remote_frees(), 1000u);
  // Reclaimed at the owner's next slow path: allocate until one is taken.
  std::vector<void*> again;
  for (int i = 0; i < 2000; ++i) again.push_back(A::alloc(mine, 64));
  std::set<void*> old(blocks.begin(), blocks.end());
  std::size_t reused = 0;
  for (void* p : again) reused += old.count(p);
  EXPECT_GT(reused, 0u) << "remote frees never came back to the owner";
  for (void* p : again) A::free(mine, p, 64);
  EXPECT_EQ(shared.check_invariants(), "");
}

// ---------------------------------------------------------------------------
// mi_heaps: mimalloc opened locally leaves malloc alone; a heap per thread,
// given up at detach; a freed block is poisoned under ASan.

// What the serving-allocator check expects of this build.
constexpr const char* kProcessMalloc =
#if defined(__SANITIZE_ADDRESS__)
    "asan";
#elif defined(__SANITIZE_THREAD__)
    "tsan";
#else
    "glibc";
#endif

TEST(MiHeaps, LoadingMimallocLocallyLeavesMallocToTheProcess) {
  MiHeaps::Shared shared;  // opens libmimalloc.so.2
  MiHeaps::Local local(shared);
  void* p = MiHeaps::alloc(local, 40);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
  MiHeaps::free(local, p, 40);
  EXPECT_GE(shared.api->version(), 200) << "mimalloc 2.x";
  // RTLD_LOCAL: mimalloc's symbols are not in the global scope, so nothing
  // binds malloc (or mi_malloc) to it.
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "mi_heap_new"), nullptr);
  EXPECT_EQ(serving_allocator().name, kProcessMalloc) << serving_allocator().library;
}

TEST(MiHeaps, EachThreadGetsItsOwnHeapAndGivesItUpAtDetach) {
  MiHeaps::Shared shared;
  MiHeaps::Local mine(shared);
  const mi::Heap* other_heap = nullptr;
  std::vector<void*> blocks;
  std::thread t([&] {
    MiHeaps::Local l(shared);
    other_heap = l.heap;
    for (int i = 0; i < 1000; ++i) blocks.push_back(MiHeaps::alloc(l, 48));
    MiHeaps::detach(l);  // the thread's end: its blocks stay alive
    EXPECT_EQ(l.heap, nullptr);
    MiHeaps::detach(l);  // idempotent
  });
  t.join();
  EXPECT_NE(other_heap, nullptr);
  EXPECT_NE(other_heap, mine.heap);
  for (void* p : blocks) MiHeaps::free(mine, p, 48);  // freed after their thread is gone
}

// A thread state torn down on another thread than its own (a worker's,
// after its join) must leave the heap alone: mimalloc deleted it when the
// thread exited.
TEST(MiHeaps, ALocalDestroyedOffItsThreadLeavesTheHeapAlone) {
  MiHeaps::Shared shared;
  std::optional<MiHeaps::Local> orphan;
  void* p = nullptr;
  std::thread t([&] {
    orphan.emplace(shared);
    p = MiHeaps::alloc(*orphan, 64);
  });
  t.join();
  MiHeaps::free(*orphan, p, 64);
  orphan.reset();  // on this thread: forgets the heap, deletes nothing
  MiHeaps::Local mine(shared);
  MiHeaps::free(mine, MiHeaps::alloc(mine, 64), 64);
}

#if defined(RCLAB_MI_HEAPS_ASAN)
TEST(MiHeapsDeathTest, AUseAfterFreeIsCaughtThoughMimallocIsNotInstrumented) {
  EXPECT_DEATH(
      {
        MiHeaps::Shared shared;
        MiHeaps::Local local(shared);
        auto* p = static_cast<volatile char*>(MiHeaps::alloc(local, 32));
        MiHeaps::free(local, const_cast<char*>(p), 32);
        (void)p[3];
      },
      "use-after-poison");
}

TEST(MiHeapsDeathTest, ReadingPastTheBytesAskedForIsCaught) {
  EXPECT_DEATH(
      {
        MiHeaps::Shared shared;
        MiHeaps::Local local(shared);
        auto* p = static_cast<volatile char*>(MiHeaps::alloc(local, 20));  // a 32-byte block
        (void)p[24];
      },
      "use-after-poison");
}
#endif

// ---------------------------------------------------------------------------

TEST(ServingAllocator, NamesWhatServesMalloc) {
  const ServingAllocator s = serving_allocator();
  EXPECT_FALSE(s.library.empty());
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(s.name, "asan") << s.library;
#elif defined(__SANITIZE_THREAD__)
  EXPECT_EQ(s.name, "tsan") << s.library;
#else
  EXPECT_EQ(s.name, "glibc") << s.library;
  EXPECT_FALSE(s.version.empty());
#endif
}

}  // namespace
}  // namespace rclab::obmalloc
