// `two_stage`: one pymalloc heap behind two kinds of lock, after the
// Gilectomy's 2016-17 allocator: a "fast" lock per size class, held for the
// common case of taking a block from (or returning one to) a pool of that
// class, and one "heavy" arena lock, taken only when a pool must be found
// (the class has no used pool) or given back (a pool became empty).
// Threads allocating different classes do not meet at all; threads on one
// class meet on its fast lock only.
//
// What each lock guards (see pymalloc.h, "the two stages"):
//   class_lock[c]  usedpools[c], and the header and free list of every pool
//                  of class c that is used or full;
//   arena_lock     arena objects, usable_arenas, nfp2lasta, every arena's
//                  freepools, the arena count; mapping and unmapping arenas.
// An empty pool is in the arena stage; a pool crosses between the stages
// only while no block of it is allocated, so no class lock and the arena
// lock ever guard one pool at once. Unlocked reads, each safe for its own
// reason: the arena map (atomic, arena_map.h); a live block's pool->szidx,
// which cannot change while the block is allocated (the pool cannot become
// empty and change class), and whose last write happened-before the block
// reached this thread.
//
// Lock order: a class lock, then the arena lock. alloc holds class_lock[c]
// while it takes the arena lock to get a new pool (so two threads cannot
// both carve a pool for the same class). free never nests: it drops the
// class lock before taking the arena lock to release an emptied pool (the
// pool is then unreachable by anyone, in no list and with no blocks).
// Deadlock freedom: a thread holds at most one class lock, and never takes
// a class lock while holding the arena lock, so every wait is either for a
// class lock while holding nothing, or for the arena lock while holding at
// most one class lock — the arena lock's holder waits for nothing, so no
// cycle of waits can form. check_invariants (quiet heaps only) takes the
// class locks one at a time and then the arena lock: the same order.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "common/cacheline.h"
#include "common/lock_trace.h"
#include "obmalloc/pymalloc.h"

namespace rclab::obmalloc {

template <class G = pymalloc::Geometry310, bool kStats = pymalloc::kStatsDefault>
struct TwoStage {
  using Heap = pymalloc::Heap<G, kStats>;
  using R = pymalloc::Rules<G>;
  static constexpr std::string_view kName = "two_stage";
  static constexpr std::string_view kBackendName = "pymalloc";
  static constexpr bool kNeedsGil = false;
  static constexpr std::size_t kAlignment = R::kAlignment;

  struct Shared {
    Heap heap;
    CachePadded<std::mutex> class_lock[R::kClasses];
    CachePadded<std::mutex> arena_lock;

    std::size_t arenas() const { return heap.arenas(); }  // an atomic read
    // Only while no thread allocates or frees (the check walks every list).
    // Passing through each class lock makes every earlier critical section
    // visible to this thread; holding all of them at once would gain nothing
    // in a quiet heap (and 3.6's 64 classes exceed the 64 locks TSan's
    // deadlock detector can track per thread).
    std::string check_invariants() {
      for (auto& c : class_lock) {
        c.value.lock();
        c.value.unlock();
      }
      std::lock_guard a(arena_lock.value);
      return heap.check_invariants();
    }
  };
  struct Local {
    explicit Local(Shared& s) noexcept : shared(&s) {}
    Shared* shared;
    LockTrace* trace = nullptr;  // set only when tracing (rclab trace): both locks are LockId::kAlloc
  };

  static void* alloc(Local& l, std::size_t n) {
    Shared& s = *l.shared;
    if (!R::is_small(n)) [[unlikely]]
      return s.heap.large_malloc(n);
    const std::uint32_t idx = R::size2index(n);
    TracedLock fast(s.class_lock[idx].value, l.trace, LockId::kAlloc);
    if (void* p = s.heap.alloc_from_used(idx)) [[likely]]
      return p;
    pymalloc::PoolHeader* pool;
    {
      TracedLock heavy(s.arena_lock.value, l.trace, LockId::kAlloc);
      pool = s.heap.take_pool();
    }
    return s.heap.init_pool(pool, idx);
  }

  static void free(Local& l, void* p, [[maybe_unused]] std::size_t n) {
    Shared& s = *l.shared;
    const bool ours = s.heap.address_in_range(p);
#ifndef NDEBUG
    if (ours != R::is_small(n)) fatal("two_stage: the arena map and the block's size disagree");
#endif
    if (!ours) [[unlikely]] {
      s.heap.large_free(p);
      return;
    }
    pymalloc::PoolHeader* pool = Heap::pool_of(p);
    bool emptied;
    {
      TracedLock fast(s.class_lock[pool->szidx].value, l.trace, LockId::kAlloc);
      emptied = s.heap.free_to_pool(pool, p);
    }
    if (emptied) [[unlikely]] {
      TracedLock heavy(s.arena_lock.value, l.trace, LockId::kAlloc);
      s.heap.release_pool(pool);
    }
  }
};

}  // namespace rclab::obmalloc
