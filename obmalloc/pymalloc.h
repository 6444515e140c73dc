// pymalloc: a clone of CPython's small-object allocator (Objects/obmalloc.c,
// the 3.10 shape with the radix-tree address_in_range), written from its
// description. One Heap is NOT thread-safe: the lock schemes (unlocked.h,
// global_lock.h, two_stage.h, per_thread.h) decide who may call it when.
//
// Memory is taken from the system in arenas (mmap), arenas are cut into
// pools, and a pool holds blocks of one size class. Requests above the
// small-request threshold go to the system malloc (CPython's
// PyMem_RawMalloc); free() tells the two apart by address alone
// (address_in_range), as PyObject_Free does, since it is not given a size.
//
// Pool states (CPython's prose, restated). A pool is in exactly one of:
//
//   used   some blocks allocated, at least one free (or still uncarved).
//          Linked into usedpools[its size class], a doubly-linked circular
//          list; allocation always takes from the first pool of that list.
//   full   every block allocated. In no list: nothing can be taken from it
//          and a free finds it through the block's address.
//   empty  no block allocated. On its arena's singly-linked `freepools`
//          list. It keeps its size class (szidx) and free list, so when it
//          is taken again for the same class nothing needs rebuilding.
//
// Transitions:
//   used  -> full   the last free block is handed out (pool_extend finds no
//                   room to carve): unlinked from usedpools.
//   full  -> used   a block is freed: linked at the FRONT of usedpools, so
//                   the next allocation comes from it (LRU-ish, and it fills
//                   pools that are nearly full rather than spreading).
//   used  -> empty  the last allocated block is freed: unlinked from
//                   usedpools, pushed on its arena's freepools.
//   empty -> used   usedpools[c] is empty and the pool is the first cached
//                   pool of the first usable arena: linked into usedpools[c]
//                   (re-initialised only if its class was not c).
//   full  -> empty  impossible: every class fits at least two blocks in a
//                   pool (a tunables rule below), so a full pool that gets a
//                   block back still has one allocated.
//
// A pool is carved lazily: a fresh pool sets up its first block (handed out)
// and its second (the free list), and keeps a bump offset `nextoffset` up to
// `maxnextoffset`; further blocks are carved only when the free list runs
// dry, so a pool never touches memory nobody asked for.
//
// Arenas. `usable_arenas` is a doubly-linked list of the arenas that have at
// least one free (or uncarved) pool, sorted by nfreepools ascending: new pools
// come from the fullest arena, so the emptiest ones get the chance to become
// entirely free and be returned to the system. `nfp2lasta[n]` points at the
// last arena in that list with exactly n free pools, which lets a free move
// its arena to the right place in O(1). An arena whose pools are all free is
// unmapped, unless it is the last one in the list: one wholly free arena is
// kept so that a loop allocating and freeing one object does not map and
// unmap an arena each time (bpo-37257). Arena objects live in a vector that
// grows by doubling only when no arena is usable (so nothing points into it,
// as CPython's new_arena asserts); pools refer to their arena by index.
//
// Differences from CPython, each on purpose:
//   * the pool header has one more word, `owner` (the heap that carved it),
//     which per_thread reads to route a free to the heap that owns the block;
//   * arenas are mapped pool-aligned (see map_arena), so none loses a pool;
//   * the radix tree is used for the 3.6 geometry too (3.6 read
//     arenas[pool->arenaindex] from possibly-unmapped memory);
//   * trim() releases every wholly free arena, even the last (a heap that
//     is handed on when its thread exits keeps nothing it does not need);
//   * the statistics are counters, not the text dump of _PyObject_DebugMallocStats.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/fatal.h"
#include "obmalloc/arena_map.h"

namespace rclab::obmalloc::pymalloc {

// ===========================================================================
// Tunables. A geometry is a struct of four numbers; Rules<G> derives the rest
// and states (static_assert) what must hold between them.
//
//   kAlignmentShift        log2 of the block alignment and of the size-class
//                          step (ALIGNMENT). Blocks of class i are
//                          (i + 1) << shift bytes.
//   kSmallRequestThreshold largest request served from pools; larger ones go
//                          to the system malloc.
//   kPoolBits              log2 of the pool size (POOL_SIZE). Pools are
//                          aligned to their size, so POOL_ADDR(p) is a mask.
//   kArenaBits             log2 of the arena size (ARENA_SIZE).
//
// Rules:
//   1. a free block holds the free-list link: alignment >= sizeof(void*);
//   2. the threshold is a whole number of alignment steps, and at most 512
//      (CPython's limit; szidx and the class table are sized by it);
//   3. a pool holds at least two blocks of the largest class after its
//      header (so a pool cannot go straight from full to empty, see above);
//   4. an arena holds at least three pools (one can be lost to aligning the
//      first pool, and "one free pool" must differ from "all pools free");
//   5. arenas are whole pages (mmap) and their offsets fit the arena map.
// ===========================================================================

// CPython 3.10+ on 64-bit platforms: 16-byte alignment, 16 KiB pools, 1 MiB
// arenas (bpo-37448 raised them when the radix tree made large arenas safe).
struct Geometry310 {
  static constexpr std::string_view kName = "3.10";
  static constexpr unsigned kAlignmentShift = 4;
  static constexpr std::size_t kSmallRequestThreshold = 512;
  static constexpr unsigned kPoolBits = 14;
  static constexpr unsigned kArenaBits = 20;
};

// CPython 3.6 (the Gilectomy's base): 8-byte classes, 4 KiB pools (one
// system page), 256 KiB arenas. Its blocks are only 8-aligned.
struct Geometry36 {
  static constexpr std::string_view kName = "3.6";
  static constexpr unsigned kAlignmentShift = 3;
  static constexpr std::size_t kSmallRequestThreshold = 512;
  static constexpr unsigned kPoolBits = 12;
  static constexpr unsigned kArenaBits = 18;
};

// Statistics: compiled out unless asked for ("remove all overhead from
// statistics" — CPython's PYMALLOC_DEBUG/stats are off in release builds).
// Turn on for one instantiation with the template flag, or for all by
// building with -DRCLAB_OBMALLOC_STATS.
#ifdef RCLAB_OBMALLOC_STATS
inline constexpr bool kStatsDefault = true;
#else
inline constexpr bool kStatsDefault = false;
#endif

// A free block's first word links it to the next free block of its pool.
// may_alias: the same memory was an object of any type a moment ago.
struct [[gnu::may_alias]] FreeBlock {
  FreeBlock* next;
};

struct PoolHeader;
// The list links, as a base so that usedpools[c] can be a bare link pair
// (CPython overlays usedpools[] with fake pool headers; a base class gets
// the same effect without the pointer arithmetic).
struct PoolLink {
  PoolLink* nextpool;
  PoolLink* prevpool;
};

struct PoolHeader : PoolLink {
  FreeBlock* freeblock;          // first free block; null iff the pool is full
  std::uint32_t count;           // blocks allocated (ref.count)
  std::uint32_t arenaindex;      // index of the arena object
  std::uint32_t szidx;           // size class; kDummySizeIdx before first use
  std::uint32_t nextoffset;      // bytes to the next never-carved block
  std::uint32_t maxnextoffset;   // largest valid nextoffset
  const void* owner;             // the heap's owner tag (rclab addition)
};
inline constexpr std::uint32_t kDummySizeIdx = 0xffff;

template <class G>
struct Rules {
  static constexpr std::size_t kAlignment = std::size_t(1) << G::kAlignmentShift;
  static constexpr std::size_t kThreshold = G::kSmallRequestThreshold;
  static constexpr std::size_t kClasses = kThreshold >> G::kAlignmentShift;
  static constexpr std::size_t kPoolSize = std::size_t(1) << G::kPoolBits;
  static constexpr std::size_t kArenaSize = std::size_t(1) << G::kArenaBits;
  static constexpr std::size_t kMaxPoolsInArena = kArenaSize / kPoolSize;
  static constexpr std::size_t kPoolOverhead = (sizeof(PoolHeader) + kAlignment - 1) & ~(kAlignment - 1);

  static_assert(kAlignment >= sizeof(void*), "rule 1: a free block must hold a pointer");
  static_assert(kThreshold % kAlignment == 0 && kThreshold > 0 && kThreshold <= 512, "rule 2");
  static_assert(kPoolOverhead + 2 * kThreshold <= kPoolSize, "rule 3: two largest blocks per pool");
  static_assert(G::kArenaBits > G::kPoolBits && kMaxPoolsInArena >= 3, "rule 4: three pools per arena");
  static_assert(G::kArenaBits >= 12 && G::kArenaBits < 31, "rule 5");
  static_assert(kPoolSize <= UINT32_MAX, "pool offsets are 32-bit");

  static constexpr std::uint32_t index2size(std::uint32_t i) { return (i + 1) << G::kAlignmentShift; }
  static constexpr std::uint32_t size2index(std::size_t n) { return std::uint32_t((n - 1) >> G::kAlignmentShift); }
  static constexpr bool is_small(std::size_t n) { return n - 1 < kThreshold; }  // n == 0 wraps: large, as CPython
};

template <class G>
struct Stats {
  // Per size class, so that schemes locking per class never share a counter
  // across locks.
  std::uint64_t allocs[Rules<G>::kClasses] = {};
  std::uint64_t frees[Rules<G>::kClasses] = {};
  std::uint64_t reinits[Rules<G>::kClasses] = {};  // pools taken for class c that held another class
  // Arena stage.
  std::uint64_t pools_carved = 0;    // fresh pools cut from an arena
  std::uint64_t pools_reused = 0;    // empty pools taken from freepools
  std::uint64_t pools_emptied = 0;   // used -> empty (released to the arena)
  // Large blocks bypass every lock of the schemes: relaxed atomics.
  std::atomic<std::uint64_t> large_allocs{0};
  std::atomic<std::uint64_t> large_frees{0};
};
struct NoStats {};

template <class G = Geometry310, bool kStats = kStatsDefault>
class Heap {
 public:
  using R = Rules<G>;
  using Map = ArenaMap<G::kArenaBits>;
  static constexpr bool kStatsOn = kStats;

  // `map`: share one arena map between heaps (per_thread); null: own one.
  // `owner`: stored in every pool this heap carves (per_thread routes frees
  // by it); any non-null tag, defaults to the heap itself.
  explicit Heap(Map* map = nullptr, const void* owner = nullptr)
      : own_map_(map == nullptr ? std::make_unique<Map>() : nullptr),
        map_(map == nullptr ? own_map_.get() : map),
        owner_(owner == nullptr ? this : owner) {
    for (auto& u : usedpools_) u.nextpool = u.prevpool = &u;
  }
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;
  // Unmaps every arena. Blocks still allocated die with it.
  ~Heap() {
    for (auto& a : arenas_)
      if (a.address != 0) unmap_arena(a);
  }

  // ---- whole operations (single-threaded use) ----------------------------

  // PyObject_Malloc. Never returns null (the model has no MemoryError).
  void* malloc(std::size_t n) {
    if (R::is_small(n)) [[likely]]
      return alloc_small(R::size2index(n));
    return large_malloc(n);
  }
  // The allocator contract's free(p, n): debug builds check that the size
  // and the address agree on where the block came from (a wrong answer from
  // the arena map would send a block to the wrong allocator).
  void free_sized(void* p, [[maybe_unused]] std::size_t n) {
#ifndef NDEBUG
    if (p != nullptr && address_in_range(p) != R::is_small(n))
      fatal("obmalloc: the arena map and the block's size disagree on where it came from");
#endif
    free(p);
  }
  // PyObject_Free: routes by address.
  void free(void* p) {
    if (p == nullptr) return;
    if (address_in_range(p)) [[likely]]
      free_small(p);
    else
      large_free(p);
  }

  void* alloc_small(std::uint32_t idx) {
    if (void* bp = alloc_from_used(idx)) [[likely]]
      return bp;
    return init_pool(take_pool(), idx);
  }
  void free_small(void* p) {
    PoolHeader* pool = pool_of(p);
    if (free_to_pool(pool, p)) release_pool(pool);
  }

  void* large_malloc(std::size_t n) {
    if constexpr (kStats) stats_.large_allocs.fetch_add(1, std::memory_order_relaxed);
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) fatal("obmalloc: out of memory (large block)");
    return p;
  }
  void large_free(void* p) {
    if constexpr (kStats) stats_.large_frees.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
  }

  // ---- the two stages, for schemes that lock them separately -------------
  //
  // Class stage: usedpools[idx] and the blocks and headers of pools in the
  // used and full states of class idx. Arena stage: the arena objects,
  // usable_arenas, nfp2lasta, freepools and narenas. An empty pool belongs
  // to the arena stage; a pool moves between the stages only inside
  // take_pool (arena -> the caller, who then calls init_pool) and
  // free_to_pool returning true (the caller then calls release_pool).

  // Class stage. pymalloc_alloc's fast path: a block from the first used
  // pool of class idx, or null when there is none.
  void* alloc_from_used(std::uint32_t idx) {
    PoolLink* head = &usedpools_[idx];
    if (head->nextpool == head) return nullptr;
    auto* pool = static_cast<PoolHeader*>(head->nextpool);
    ++pool->count;
    FreeBlock* bp = pool->freeblock;
    assert(bp != nullptr);  // a used pool always has a free block
    if ((pool->freeblock = bp->next) == nullptr) [[unlikely]]
      pool_extend(pool, idx);
    if constexpr (kStats) ++stats_.allocs[idx];
    return bp;
  }

  // Arena stage. allocate_from_new_pool's first half: a pool from the
  // fullest usable arena (a cached empty pool first, else a fresh one carved
  // off), mapping a new arena when none is usable.
  PoolHeader* take_pool() {
    if (usable_arenas_ == nullptr) {
      usable_arenas_ = new_arena();
      usable_arenas_->nextarena = usable_arenas_->prevarena = nullptr;
      assert(nfp2lasta_[usable_arenas_->nfreepools] == nullptr);
      nfp2lasta_[usable_arenas_->nfreepools] = usable_arenas_;
    }
    ArenaObject* ao = usable_arenas_;
    assert(ao->address != 0 && ao->nfreepools > 0);
    // The first arena already has the fewest free pools; taking one keeps
    // the list sorted. Only nfp2lasta needs fixing, and the arena leaves
    // the list when it runs out.
    if (nfp2lasta_[ao->nfreepools] == ao) nfp2lasta_[ao->nfreepools] = nullptr;
    if (ao->nfreepools > 1) {
      assert(nfp2lasta_[ao->nfreepools - 1] == nullptr);
      nfp2lasta_[ao->nfreepools - 1] = ao;
    }
    PoolHeader* pool = ao->freepools;
    if (pool != nullptr) {
      ao->freepools = static_cast<PoolHeader*>(pool->nextpool);
      if constexpr (kStats) ++stats_.pools_reused;
    } else {
      assert(ao->pool_address + R::kPoolSize <= reinterpret_cast<std::byte*>(ao->address) + R::kArenaSize);
      pool = reinterpret_cast<PoolHeader*>(ao->pool_address);
      pool->arenaindex = std::uint32_t(ao - arenas_.data());
      pool->szidx = kDummySizeIdx;
      pool->owner = owner_;
      ao->pool_address += R::kPoolSize;
      if constexpr (kStats) ++stats_.pools_carved;
    }
    if (--ao->nfreepools == 0) {
      assert(ao->freepools == nullptr);
      usable_arenas_ = ao->nextarena;  // wholly allocated: leaves the list
      if (usable_arenas_ != nullptr) usable_arenas_->prevarena = nullptr;
    }
    return pool;
  }

  // Class stage. allocate_from_new_pool's second half: link the pool at the
  // front of usedpools[idx] and hand out its first free block.
  void* init_pool(PoolHeader* pool, std::uint32_t idx) {
    PoolLink* head = &usedpools_[idx];
    pool->nextpool = head->nextpool;
    pool->prevpool = head;
    head->nextpool->prevpool = pool;
    head->nextpool = pool;
    pool->count = 1;
    if constexpr (kStats) ++stats_.allocs[idx];
    if (pool->szidx == idx) {
      // It last held this class: header and free list are still good.
      // An empty pool has every carved block free, and init carved two,
      // so the list still has one after this: the pool stays used.
      FreeBlock* bp = pool->freeblock;
      assert(bp != nullptr && bp->next != nullptr);
      pool->freeblock = bp->next;
      return bp;
    }
    if constexpr (kStats)
      if (pool->szidx != kDummySizeIdx) ++stats_.reinits[idx];
    // First block out, second block the whole free list, the rest uncarved.
    pool->szidx = idx;
    const std::uint32_t size = R::index2size(idx);
    auto* base = reinterpret_cast<std::byte*>(pool);
    auto* bp = base + R::kPoolOverhead;
    pool->nextoffset = std::uint32_t(R::kPoolOverhead + 2 * size);
    pool->maxnextoffset = std::uint32_t(R::kPoolSize - size);
    pool->freeblock = reinterpret_cast<FreeBlock*>(bp + size);
    pool->freeblock->next = nullptr;
    return bp;
  }

  // Class stage. pymalloc_free's first half: put p on its pool's free list.
  // Returns true when the pool became empty; it has then been unlinked from
  // usedpools and belongs to nobody until release_pool.
  bool free_to_pool(PoolHeader* pool, void* p) {
    assert(pool->count > 0);  // else it was empty: a double free
    FreeBlock* lastfree = pool->freeblock;
    auto* b = static_cast<FreeBlock*>(p);
    b->next = lastfree;
    pool->freeblock = b;
    --pool->count;
    if constexpr (kStats) ++stats_.frees[pool->szidx];
    if (lastfree == nullptr) [[unlikely]] {
      // Was full, so in no list: front-link into usedpools (full -> used).
      PoolLink* head = &usedpools_[pool->szidx];
      pool->nextpool = head->nextpool;
      pool->prevpool = head;
      head->nextpool->prevpool = pool;
      head->nextpool = pool;
      return false;
    }
    if (pool->count != 0) [[likely]]
      return false;
    // used -> empty.
    pool->nextpool->prevpool = pool->prevpool;
    pool->prevpool->nextpool = pool->nextpool;
    return true;
  }

  // Arena stage. insert_to_freepool: the empty pool goes to the front of its
  // arena's freepools, and the arena moves to keep usable_arenas sorted, or
  // is unmapped when all its pools are free (and it is not the last usable).
  void release_pool(PoolHeader* pool) {
    ArenaObject* ao = &arenas_[pool->arenaindex];
    if constexpr (kStats) ++stats_.pools_emptied;
    pool->nextpool = ao->freepools;  // singly linked: prevpool unused here
    ao->freepools = pool;
    std::uint32_t nf = ao->nfreepools;
    // If ao is the rightmost arena with nf free pools, that title passes to
    // its left neighbour (if it has nf too) or lapses. nf == 0: ao is not in
    // the list and nothing holds the title.
    ArenaObject* lastnf = nfp2lasta_[nf];
    assert((nf == 0 && lastnf == nullptr) || (nf > 0 && lastnf != nullptr && lastnf->nfreepools == nf));
    if (lastnf == ao) {
      ArenaObject* p = ao->prevarena;
      nfp2lasta_[nf] = (p != nullptr && p->nfreepools == nf) ? p : nullptr;
    }
    ao->nfreepools = ++nf;

    // Case 1: every pool free, and another usable arena to its right (so
    // this is not the last one): unmap it.
    if (nf == ao->ntotalpools && ao->nextarena != nullptr) {
      unlink_usable(ao);
      unmap_arena(*ao);
      ao->nextarena = unused_arena_objects_;
      unused_arena_objects_ = ao;
      return;
    }
    // Case 2: it was full, so not in the list: it has the fewest free pools
    // of all, and goes to the front.
    if (nf == 1) {
      ao->nextarena = usable_arenas_;
      ao->prevarena = nullptr;
      if (usable_arenas_ != nullptr) usable_arenas_->prevarena = ao;
      usable_arenas_ = ao;
      if (nfp2lasta_[1] == nullptr) nfp2lasta_[1] = ao;
      return;
    }
    if (nfp2lasta_[nf] == nullptr) nfp2lasta_[nf] = ao;
    // Case 4: it was the rightmost with nf - 1, so everything to its right
    // has at least nf: still sorted.
    if (ao == lastnf) return;
    // Case 3: slide it right, to just after the last arena with nf - 1.
    assert(ao->nextarena != nullptr && lastnf != nullptr);
    if (ao->prevarena != nullptr)
      ao->prevarena->nextarena = ao->nextarena;
    else
      usable_arenas_ = ao->nextarena;
    ao->nextarena->prevarena = ao->prevarena;
    ao->prevarena = lastnf;
    ao->nextarena = lastnf->nextarena;
    if (ao->nextarena != nullptr) ao->nextarena->prevarena = ao;
    lastnf->nextarena = ao;
  }

  // Arena stage. Unmaps every wholly free arena, the kept last one too.
  // Returns how many.
  std::size_t trim() {
    std::size_t n = 0;
    for (ArenaObject* ao = usable_arenas_; ao != nullptr;) {
      ArenaObject* next = ao->nextarena;
      if (ao->nfreepools == ao->ntotalpools) {
        if (nfp2lasta_[ao->nfreepools] == ao) {
          ArenaObject* p = ao->prevarena;
          nfp2lasta_[ao->nfreepools] = (p != nullptr && p->nfreepools == ao->nfreepools) ? p : nullptr;
        }
        unlink_usable(ao);
        unmap_arena(*ao);
        ao->nextarena = unused_arena_objects_;
        unused_arena_objects_ = ao;
        ++n;
      }
      ao = next;
    }
    return n;
  }

  // ---- queries ------------------------------------------------------------

  static PoolHeader* pool_of(const void* p) {
    return reinterpret_cast<PoolHeader*>(reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t(R::kPoolSize - 1));
  }
  // Constant time, safe from any thread (see arena_map.h).
  bool address_in_range(const void* p) const { return map_->contains(p); }
  const void* owner() const { return owner_; }
  Map& map() { return *map_; }

  // Arenas mapped now; safe to read from any thread (relaxed).
  std::size_t arenas() const { return narenas_currently_allocated_.load(std::memory_order_relaxed); }
  std::size_t arenas_allocated_ever() const { return ntimes_arena_allocated_; }
  std::size_t arenas_highwater() const { return narenas_highwater_; }
  const auto& stats() const { return stats_; }

  // Debug invariant checker: walks every list and every carved pool and
  // returns what is wrong ("" when nothing). O(heap); call only while no
  // thread is inside this heap.
  std::string check_invariants() const;

 private:
  struct ArenaObject {
    std::uintptr_t address = 0;        // 0: no arena mapped (on the unused list)
    std::byte* pool_address = nullptr;  // next pool to carve
    std::uint32_t nfreepools = 0;       // cached + uncarved pools
    std::uint32_t ntotalpools = 0;
    PoolHeader* freepools = nullptr;    // cached empty pools, singly linked
    ArenaObject* nextarena = nullptr;   // usable_arenas, or the unused list
    ArenaObject* prevarena = nullptr;   // usable_arenas only
  };
  static constexpr std::size_t kInitialArenaObjects = 16;

  // The free list ran dry: carve the next block, or the pool is full and
  // leaves usedpools (used -> full).
  void pool_extend(PoolHeader* pool, std::uint32_t idx) {
    if (pool->nextoffset <= pool->maxnextoffset) [[likely]] {
      pool->freeblock = reinterpret_cast<FreeBlock*>(reinterpret_cast<std::byte*>(pool) + pool->nextoffset);
      pool->nextoffset += R::index2size(idx);
      pool->freeblock->next = nullptr;
      return;
    }
    pool->nextpool->prevpool = pool->prevpool;
    pool->prevpool->nextpool = pool->nextpool;
  }

  ArenaObject* new_arena() {
    if (unused_arena_objects_ == nullptr) {
      // Growing moves the arena objects: legal only because nothing points
      // into them now (no usable arena, no unused one).
      assert(usable_arenas_ == nullptr);
      for ([[maybe_unused]] auto* p : nfp2lasta_) assert(p == nullptr);
      const std::size_t old = arenas_.size();
      const std::size_t grown = old == 0 ? kInitialArenaObjects : 2 * old;
      if (grown > UINT32_MAX) fatal("obmalloc: too many arenas");
      arenas_.resize(grown);
      for (std::size_t i = old; i < grown; ++i) {
        arenas_[i].address = 0;
        arenas_[i].nextarena = i + 1 < grown ? &arenas_[i + 1] : nullptr;
      }
      unused_arena_objects_ = &arenas_[old];
    }
    ArenaObject* ao = unused_arena_objects_;
    void* mem = map_arena();
    unused_arena_objects_ = ao->nextarena;
    ao->address = reinterpret_cast<std::uintptr_t>(mem);
    map_->mark(ao->address, true);
    const std::size_t now = narenas_currently_allocated_.load(std::memory_order_relaxed) + 1;
    narenas_currently_allocated_.store(now, std::memory_order_relaxed);
    ++ntimes_arena_allocated_;
    narenas_highwater_ = std::max(narenas_highwater_, now);
    ao->freepools = nullptr;
    // The first pool starts at the first pool-aligned address; a misaligned
    // arena loses one pool to that.
    ao->pool_address = static_cast<std::byte*>(mem);
    ao->nfreepools = std::uint32_t(R::kMaxPoolsInArena);
    if (const std::size_t excess = ao->address & (R::kPoolSize - 1); excess != 0) {
      --ao->nfreepools;
      ao->pool_address += R::kPoolSize - excess;
    }
    ao->ntotalpools = ao->nfreepools;
    return ao;
  }

  // An arena's memory, pool-aligned: map one pool more than needed and
  // unmap the slack at both ends. (CPython maps exactly ARENA_SIZE and loses
  // a pool when the address is not pool-aligned; here every arena has all
  // its pools, so every wholly free arena has the same, largest, nfreepools
  // and sorts last — which makes "keep one wholly free arena" keep exactly
  // one.) Pools of one page or less are aligned by mmap already.
  static void* map_arena() {
    constexpr std::size_t kPage = 4096;
    constexpr std::size_t kSlack = R::kPoolSize > kPage ? R::kPoolSize : 0;
    void* raw = ::mmap(nullptr, R::kArenaSize + kSlack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) fatal("obmalloc: out of memory (arena)");
    if constexpr (kSlack == 0) {
      return raw;
    } else {
      const auto r = reinterpret_cast<std::uintptr_t>(raw);
      const std::uintptr_t a = (r + R::kPoolSize - 1) & ~std::uintptr_t(R::kPoolSize - 1);
      const std::size_t head = a - r, tail = kSlack - head;
      if (head != 0) ::munmap(raw, head);
      if (tail != 0) ::munmap(reinterpret_cast<void*>(a + R::kArenaSize), tail);
      return reinterpret_cast<void*>(a);
    }
  }

  void unlink_usable(ArenaObject* ao) {
    if (ao->prevarena == nullptr)
      usable_arenas_ = ao->nextarena;
    else
      ao->prevarena->nextarena = ao->nextarena;
    if (ao->nextarena != nullptr) ao->nextarena->prevarena = ao->prevarena;
  }

  void unmap_arena(ArenaObject& a) {
    map_->mark(a.address, false);
    ::munmap(reinterpret_cast<void*>(a.address), R::kArenaSize);
    a.address = 0;
    narenas_currently_allocated_.store(narenas_currently_allocated_.load(std::memory_order_relaxed) - 1,
                                       std::memory_order_relaxed);
  }

  PoolLink usedpools_[R::kClasses];
  std::vector<ArenaObject> arenas_;
  ArenaObject* unused_arena_objects_ = nullptr;
  ArenaObject* usable_arenas_ = nullptr;
  ArenaObject* nfp2lasta_[R::kMaxPoolsInArena + 1] = {};
  std::atomic<std::size_t> narenas_currently_allocated_{0};
  std::size_t ntimes_arena_allocated_ = 0;
  std::size_t narenas_highwater_ = 0;
  std::unique_ptr<Map> own_map_;
  Map* map_;
  const void* owner_;
  [[no_unique_address]] std::conditional_t<kStats, Stats<G>, NoStats> stats_;
};

template <class G, bool kStats>
std::string Heap<G, kStats>::check_invariants() const {
  std::string err;
  auto bad = [&](const std::string& what) {
    if (err.size() < 4000) err += what + "\n";
  };
  // Every pool reachable from a list, and which list.
  std::unordered_set<const PoolHeader*> in_used, in_free;

  for (std::uint32_t c = 0; c < R::kClasses; ++c) {
    const PoolLink* head = &usedpools_[c];
    std::size_t steps = 0;
    for (const PoolLink* l = head->nextpool; l != head; l = l->nextpool) {
      if (++steps > (std::size_t(1) << 30)) {
        bad("usedpools[" + std::to_string(c) + "] does not close");
        break;
      }
      if (l->nextpool->prevpool != l) bad("usedpools[" + std::to_string(c) + "]: broken back link");
      const auto* pool = static_cast<const PoolHeader*>(l);
      if (!in_used.insert(pool).second) bad("pool in usedpools twice");
      if (pool->szidx != c) bad("pool in usedpools[" + std::to_string(c) + "] has class " + std::to_string(pool->szidx));
      if (pool->count == 0) bad("empty pool in usedpools");
      if (pool->freeblock == nullptr) bad("full pool in usedpools");
    }
  }

  std::size_t mapped = 0;
  for (std::size_t i = 0; i < arenas_.size(); ++i) {
    const ArenaObject& a = arenas_[i];
    if (a.address == 0) continue;
    ++mapped;
    const auto* first = reinterpret_cast<const std::byte*>((a.address + R::kPoolSize - 1) & ~(R::kPoolSize - 1));
    const std::size_t carved = std::size_t(a.pool_address - first) / R::kPoolSize;
    if (carved > a.ntotalpools) bad("arena carved past its end");
    std::size_t cached = 0;
    for (const PoolHeader* p = a.freepools; p != nullptr; p = static_cast<const PoolHeader*>(p->nextpool)) {
      if (++cached > a.ntotalpools) {
        bad("arena freepools does not end");
        break;
      }
      in_free.insert(p);
      if (p->arenaindex != i) bad("cached pool names the wrong arena");
      if (p->count != 0) bad("cached pool has allocated blocks");
    }
    if (a.nfreepools != cached + (a.ntotalpools - carved))
      bad("arena " + std::to_string(i) + ": nfreepools " + std::to_string(a.nfreepools) + " != cached " +
          std::to_string(cached) + " + uncarved " + std::to_string(a.ntotalpools - carved));
    if (!map_->contains(reinterpret_cast<const void*>(a.address)) ||
        !map_->contains(reinterpret_cast<const void*>(a.address + R::kArenaSize - 1)))
      bad("arena not in the arena map");

    // Every carved pool: its state must match the list it is in, and its
    // count must equal carved blocks minus free-list length.
    for (std::size_t k = 0; k < carved; ++k) {
      const auto* pool = reinterpret_cast<const PoolHeader*>(first + k * R::kPoolSize);
      if (pool->arenaindex != i) bad("pool names the wrong arena");
      if (pool->owner != owner_) bad("pool carved by another heap");
      if (pool->szidx == kDummySizeIdx) {
        bad("carved pool never initialised");
        continue;
      }
      if (pool->szidx >= R::kClasses) {
        bad("pool with a bad size class");
        continue;
      }
      const std::uint32_t size = R::index2size(pool->szidx);
      const std::size_t cap_carved = (pool->nextoffset - R::kPoolOverhead) / size;
      std::size_t nfree = 0;
      for (const FreeBlock* b = pool->freeblock; b != nullptr; b = b->next) {
        const auto off = std::size_t(reinterpret_cast<const std::byte*>(b) - reinterpret_cast<const std::byte*>(pool));
        if (off < R::kPoolOverhead || off >= pool->nextoffset || (off - R::kPoolOverhead) % size != 0) {
          bad("free block outside its pool's carved blocks");
          break;
        }
        if (++nfree > cap_carved) {
          bad("free list longer than the pool (a cycle: double free?)");
          break;
        }
      }
      if (pool->count + nfree != cap_carved)
        bad("pool count " + std::to_string(pool->count) + " + free " + std::to_string(nfree) + " != carved " +
            std::to_string(cap_carved));
      const bool full = pool->freeblock == nullptr;
      if (pool->count == 0 && !in_free.count(pool)) bad("empty pool not in its arena's freepools");
      if (pool->count != 0 && in_free.count(pool)) bad("pool with blocks in freepools");
      if (pool->count != 0 && !full && !in_used.count(pool)) bad("used pool not in usedpools");
      if (full && in_used.count(pool)) bad("full pool in usedpools");
    }
  }
  if (mapped != arenas()) bad("narenas " + std::to_string(arenas()) + " != mapped arenas " + std::to_string(mapped));

  // usable_arenas: exactly the mapped arenas with a free pool, sorted, and
  // nfp2lasta[n] the last of those with n.
  std::size_t usable = 0, with_free = 0;
  for (const auto& a : arenas_)
    if (a.address != 0 && a.nfreepools > 0) ++with_free;
  const ArenaObject* prev = nullptr;
  for (const ArenaObject* a = usable_arenas_; a != nullptr; prev = a, a = a->nextarena) {
    if (++usable > arenas_.size()) {
      bad("usable_arenas does not end");
      break;
    }
    if (a->prevarena != prev) bad("usable_arenas: broken back link");
    if (a->address == 0 || a->nfreepools == 0) bad("unmapped or full arena in usable_arenas");
    if (prev != nullptr && prev->nfreepools > a->nfreepools) bad("usable_arenas not sorted by nfreepools");
    const bool last_of_n = a->nextarena == nullptr || a->nextarena->nfreepools != a->nfreepools;
    if (last_of_n && nfp2lasta_[a->nfreepools] != a) bad("nfp2lasta misses the last arena with its count");
  }
  if (usable != with_free) bad("usable_arenas holds " + std::to_string(usable) + " of " + std::to_string(with_free) +
                               " arenas with free pools");
  for (std::size_t n = 0; n <= R::kMaxPoolsInArena; ++n) {
    const ArenaObject* a = nfp2lasta_[n];
    if (a != nullptr && (a->address == 0 || a->nfreepools != n)) bad("nfp2lasta[" + std::to_string(n) + "] is stale");
  }
  std::size_t unused = 0;
  for (const ArenaObject* a = unused_arena_objects_; a != nullptr; a = a->nextarena)
    if (++unused > arenas_.size() || a->address != 0) {
      bad("unused arena list broken");
      break;
    }
  if (unused + mapped != arenas_.size()) bad("arena objects lost from both lists");
  return err;
}

}  // namespace rclab::obmalloc::pymalloc

namespace rclab::obmalloc {

// One pymalloc heap as an allocator, with no lock of its own: the backend
// that GlobalLock wraps, and (renamed) the `unlocked` scheme. kNeedsGil:
// two threads in one heap corrupt it.
template <class G = pymalloc::Geometry310, bool kStats = pymalloc::kStatsDefault>
struct Pymalloc {
  using Heap = pymalloc::Heap<G, kStats>;
  static constexpr std::string_view kName = "pymalloc";
  static constexpr bool kNeedsGil = true;
  static constexpr std::size_t kAlignment = pymalloc::Rules<G>::kAlignment;

  struct Shared {
    Heap heap;
    std::size_t arenas() const { return heap.arenas(); }
    std::string check_invariants() const { return heap.check_invariants(); }
  };
  struct Local {
    explicit Local(Shared& s) noexcept : heap(&s.heap) {}
    Heap* heap;
  };

  static void* alloc(Local& l, std::size_t n) { return l.heap->malloc(n); }
  static void free(Local& l, void* p, std::size_t n) { l.heap->free_sized(p, n); }
};

}  // namespace rclab::obmalloc
