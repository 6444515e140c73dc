// `per_thread`: every thread allocates from a pymalloc heap of its own — its
// own usedpools, pools and arenas — with no lock and no atomic
// read-modify-write on the local path. This is the Gilectomy's "next:
// per-thread obmalloc (usedpools)" (PyCon 2017, slide 36), with mimalloc's
// answer to the question it leaves: what happens when a block is freed by a
// thread that does not own it.
//
// Ownership. Every pool records the heap that carved it (pool->owner), and
// arenas never change heap, so a block's owner is read from its pool header
// in O(1). A free routes on it:
//   free_local  the block is the caller's: pymalloc's ordinary free.
//   free_mt     it is another heap's: push it on that heap's `remote` list, a
//               lock-free stack (one compare-exchange; the block's first word
//               is the link). The owner takes the whole list with one
//               exchange — it never pops single nodes, so there is no ABA —
//               and frees the blocks locally. It does so on its allocation
//               slow path (the class has no used pool left, before it takes a
//               new pool), so a heap that keeps allocating keeps reclaiming,
//               and the check costs nothing on the fast path.
// The remote list is per heap rather than per pool (mimalloc keeps one per
// page): one list to look at, at the price of one contended line per heap
// when many threads free into it.
//
// Thread exit. A heap outlives its thread: Shared keeps every heap until it
// is destroyed itself, so pool->owner never dangles. When a Local dies, its
// heap is abandoned: marked kAbandoned, drained, trimmed (every wholly free
// arena unmapped) and put on Shared's abandoned list, where the next Local
// adopts it whole (pools, arenas, pending remote frees). Blocks of an
// abandoned heap freed by other threads still go to its remote list; the
// freeing thread then claims the heap (kAbandoned -> kBusy) and drains and
// trims it itself, so an exited thread's memory is returned without waiting
// for an adopter. The claim is a compare-exchange, so an adopter and
// claimers exclude each other; an adopter waits out a claimer.
//
// Why no remote free is stranded: a pusher does push(remote) then
// load(state); a drainer does store(state = kAbandoned) then load(remote),
// all sequentially consistent. In their single total order one of the two
// loads comes second and sees the other's write: either the pusher sees
// kAbandoned and claims (or someone else holding kBusy will see its push
// when it re-checks), or the drainer sees the push and drains again.
//
// Locks: Shared::lock only at thread start (adopt or create a heap) and
// exit (abandon) — never on alloc or free. As in every scheme, Shared must
// outlive every Local built from it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/cacheline.h"
#include "common/fatal.h"
#include "obmalloc/pymalloc.h"

namespace rclab::obmalloc {

template <class G = pymalloc::Geometry310, bool kStats = pymalloc::kStatsDefault>
struct PerThread {
  using Heap = pymalloc::Heap<G, kStats>;
  using R = pymalloc::Rules<G>;
  using FreeBlock = pymalloc::FreeBlock;
  static constexpr std::string_view kName = "per_thread";
  static constexpr std::string_view kBackendName = "pymalloc";
  static constexpr bool kNeedsGil = false;
  static constexpr std::size_t kAlignment = R::kAlignment;

  enum class State : int {
    kOwned,      // a Local uses it; only that Local touches `heap`
    kAbandoned,  // no owner: whoever claims it may touch `heap`
    kBusy,       // claimed by a thread draining its remote frees
  };

  // A heap and its inbox. The inbox and state sit on their own line: other
  // threads write them, and the owner's hot heap fields must not bounce.
  struct OwnedHeap {
    explicit OwnedHeap(typename Heap::Map& map) : heap(&map, this) {}
    Heap heap;
    alignas(kCacheLine) std::atomic<FreeBlock*> remote{nullptr};
    std::atomic<State> state{State::kOwned};
    std::atomic<std::uint64_t> remote_frees{0};  // pushes ever made; counted in stats builds only
  };

  struct Shared {
    typename Heap::Map map;  // first: destroyed after every heap unmaps its arenas
    std::mutex lock;         // guards heaps and abandoned
    std::vector<std::unique_ptr<OwnedHeap>> heaps;
    std::vector<OwnedHeap*> abandoned;

    std::size_t arenas() {
      std::lock_guard g(lock);
      std::size_t n = 0;
      for (auto& h : heaps) n += h->heap.arenas();
      return n;
    }
    std::size_t heap_count() {
      std::lock_guard g(lock);
      return heaps.size();
    }
    std::uint64_t remote_frees() {
      std::lock_guard g(lock);
      std::uint64_t n = 0;
      for (auto& h : heaps) n += h->remote_frees.load(std::memory_order_relaxed);
      return n;
    }
    // Only while no thread allocates or frees.
    std::string check_invariants() {
      std::lock_guard g(lock);
      std::string err;
      for (std::size_t i = 0; i < heaps.size(); ++i) {
        const std::string e = heaps[i]->heap.check_invariants();
        if (!e.empty()) err += "heap " + std::to_string(i) + ": " + e;
      }
      return err;
    }
  };

  struct Local {
    explicit Local(Shared& s) : shared(&s), mine(adopt_or_create(s)) {}
    ~Local() { abandon(*shared, *mine); }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;
    Shared* shared;
    OwnedHeap* mine;
  };

  static void* alloc(Local& l, std::size_t n) {
    Heap& h = l.mine->heap;
    if (!R::is_small(n)) [[unlikely]]
      return h.large_malloc(n);
    const std::uint32_t idx = R::size2index(n);
    if (void* p = h.alloc_from_used(idx)) [[likely]]
      return p;
    // Slow path: take back what other threads freed before taking a new pool.
    if (l.mine->remote.load(std::memory_order_relaxed) != nullptr) {
      drain(*l.mine);
      if (void* p = h.alloc_from_used(idx)) return p;
    }
    return h.init_pool(h.take_pool(), idx);
  }

  static void free(Local& l, void* p, [[maybe_unused]] std::size_t n) {
    const bool ours = l.shared->map.contains(p);
#ifndef NDEBUG
    if (ours != R::is_small(n)) fatal("per_thread: the arena map and the block's size disagree");
#endif
    if (!ours) [[unlikely]] {
      l.mine->heap.large_free(p);
      return;
    }
    pymalloc::PoolHeader* pool = Heap::pool_of(p);
    auto* owner = static_cast<OwnedHeap*>(const_cast<void*>(pool->owner));
    if (owner == l.mine) [[likely]]
      free_local(*l.mine, pool, p);
    else
      free_mt(*owner, p);
  }

  // The owner (or a claimer holding kBusy) frees into its own heap.
  static void free_local(OwnedHeap& o, pymalloc::PoolHeader* pool, void* p) {
    if (o.heap.free_to_pool(pool, p)) o.heap.release_pool(pool);
  }

  // Any thread frees a block of heap `o` it does not own.
  static void free_mt(OwnedHeap& o, void* p) {
    auto* b = static_cast<FreeBlock*>(p);
    FreeBlock* head = o.remote.load(std::memory_order_relaxed);
    do {
      b->next = head;
    } while (!o.remote.compare_exchange_weak(head, b, std::memory_order_seq_cst, std::memory_order_relaxed));
    if constexpr (kStats) o.remote_frees.fetch_add(1, std::memory_order_relaxed);
    if (o.state.load(std::memory_order_seq_cst) == State::kAbandoned) [[unlikely]]
      reclaim_abandoned(o);
  }

 private:
  // Takes every pending remote free and frees it locally. Caller owns `o`
  // (kOwned by its Local, or kBusy by itself).
  static void drain(OwnedHeap& o) {
    FreeBlock* b = o.remote.exchange(nullptr, std::memory_order_seq_cst);
    while (b != nullptr) {
      FreeBlock* next = b->next;  // read before free_local reuses the word
      free_local(o, Heap::pool_of(b), b);
      b = next;
    }
  }

  // Drains and trims an abandoned heap if nobody else is; see the header
  // comment for why the loop leaves nothing behind.
  static void reclaim_abandoned(OwnedHeap& o) {
    for (;;) {
      State expected = State::kAbandoned;
      if (!o.state.compare_exchange_strong(expected, State::kBusy, std::memory_order_seq_cst)) return;
      drain(o);
      o.heap.trim();
      o.state.store(State::kAbandoned, std::memory_order_seq_cst);
      if (o.remote.load(std::memory_order_seq_cst) == nullptr) return;
    }
  }

  static OwnedHeap* adopt_or_create(Shared& s) {
    OwnedHeap* h = nullptr;
    {
      std::lock_guard g(s.lock);
      if (!s.abandoned.empty()) {
        h = s.abandoned.back();
        s.abandoned.pop_back();
      } else {
        s.heaps.push_back(std::make_unique<OwnedHeap>(s.map));
        return s.heaps.back().get();
      }
    }
    // Off the list, so no other adopter; a claimer may hold it briefly.
    for (;;) {
      State expected = State::kAbandoned;
      if (h->state.compare_exchange_weak(expected, State::kOwned, std::memory_order_seq_cst)) return h;
      std::this_thread::yield();
    }
  }

  static void abandon(Shared& s, OwnedHeap& o) {
    o.state.store(State::kAbandoned, std::memory_order_seq_cst);
    reclaim_abandoned(o);  // drain, trim; or a claimer already is
    std::lock_guard g(s.lock);
    s.abandoned.push_back(&o);
  }
};

}  // namespace rclab::obmalloc
