// "Is this address one of obmalloc's?" in constant time: CPython 3.10's
// radix tree over arena-sized chunks of the address space
// (Objects/obmalloc.c, WITH_PYMALLOC_RADIX_TREE).
//
// The key is the address shifted right by the arena bits. Three levels
// (top, mid, bottom) split the remaining 48 - kArenaBits bits as evenly as
// they can; the bottom level holds one `Coverage` per arena-sized chunk. An
// arena need not start on an arena boundary (mmap aligns to a page only), so
// it covers the upper part of one chunk and the lower part of the next:
//
//   chunk k   : [ .... other .... | arena ........ ]  tail_hi = offset of base
//   chunk k+1 : [ arena ......... | .... other ... ]  tail_lo = offset of base
//
// and an address with offset `tail` in its chunk is ours iff
// `tail < tail_lo || (tail_hi != 0 && tail >= tail_hi)`. An arena that does
// start on a boundary fills its chunk: tail_hi = -1 (every tail >= -1) and
// the next chunk is untouched. Two arenas can share a chunk, one ending and
// one starting in it: they use different fields.
//
// Threading: the map may be shared by several heaps (per_thread) and read
// by any thread while others mark arenas, so interior pointers are atomic
// and installed by compare-exchange (a loser frees its node) and coverage
// fields are relaxed atomics. A reader that holds a live block of an arena
// already happens-after that arena's marking (the block came to it through
// some synchronisation), so relaxed loads see the right value; a reader
// asking about an address that is not ours reads fields of other arenas
// only, whose changes cannot make its answer wrong. Nodes are freed only by
// the destructor (CPython never frees them).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/fatal.h"

namespace rclab::obmalloc::pymalloc {

template <unsigned kArenaBits>
class ArenaMap {
 public:
  // x86-64 and AArch64 user space (4-level paging) is below 2^47; 48 leaves
  // room. An address above it is never ours (lookup) or fatal (marking).
  static constexpr unsigned kAddressBits = 48;
  static_assert(kArenaBits >= 12 && kArenaBits < 31, "tails must fit in int32 and arenas hold whole pages");

  ArenaMap() = default;
  ArenaMap(const ArenaMap&) = delete;
  ArenaMap& operator=(const ArenaMap&) = delete;
  ~ArenaMap() {
    for (auto& t : top_) {
      Mid* mid = t.load(std::memory_order_relaxed);
      if (mid == nullptr) continue;
      for (auto& b : mid->bot) delete b.load(std::memory_order_relaxed);
      delete mid;
    }
  }

  // Marks [base, base + arena size) ours (used) or no longer ours. Callers
  // serialise marking of one arena; different arenas may be marked at once.
  void mark(std::uintptr_t base, bool used) {
    Coverage* hi = slot(base, /*create=*/true);
    const auto tail = std::int32_t(base & kArenaMask);
    if (tail == 0) {
      hi->tail_hi.store(used ? -1 : 0, std::memory_order_relaxed);
      return;
    }
    hi->tail_hi.store(used ? tail : 0, std::memory_order_relaxed);
    Coverage* lo = slot(base + kArenaSize, /*create=*/true);
    lo->tail_lo.store(used ? tail : 0, std::memory_order_relaxed);
  }

  // address_in_range: true iff p lies inside an arena marked used.
  bool contains(const void* p) const {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const Coverage* c = const_cast<ArenaMap*>(this)->slot(a, /*create=*/false);
    if (c == nullptr) return false;
    const auto tail = std::int32_t(a & kArenaMask);
    const std::int32_t hi = c->tail_hi.load(std::memory_order_relaxed);
    const std::int32_t lo = c->tail_lo.load(std::memory_order_relaxed);
    return tail < lo || (hi != 0 && tail >= hi);
  }

 private:
  static constexpr std::uintptr_t kArenaSize = std::uintptr_t(1) << kArenaBits;
  static constexpr std::uintptr_t kArenaMask = kArenaSize - 1;
  static constexpr unsigned kMapBits = kAddressBits - kArenaBits;
  static constexpr unsigned kInteriorBits = (kMapBits + 2) / 3;
  static constexpr unsigned kTopBits = kInteriorBits;
  static constexpr unsigned kMidBits = kInteriorBits;
  static constexpr unsigned kBotBits = kMapBits - 2 * kInteriorBits;

  struct Coverage {
    std::atomic<std::int32_t> tail_hi{0};
    std::atomic<std::int32_t> tail_lo{0};
  };
  struct Bot {
    Coverage arenas[std::size_t(1) << kBotBits];
  };
  struct Mid {
    std::atomic<Bot*> bot[std::size_t(1) << kMidBits]{};
  };

  template <class Node>
  static Node* get_or_create(std::atomic<Node*>& ref, bool create) {
    Node* n = ref.load(std::memory_order_acquire);
    if (n != nullptr || !create) return n;
    Node* fresh = new Node{};
    if (ref.compare_exchange_strong(n, fresh, std::memory_order_acq_rel, std::memory_order_acquire)) return fresh;
    delete fresh;  // another heap installed one first: use theirs
    return n;
  }

  Coverage* slot(std::uintptr_t a, bool create) {
    if ((a >> kAddressBits) != 0) {
      if (create) fatal("obmalloc: arena above the 48-bit address space the arena map covers");
      return nullptr;
    }
    const std::uintptr_t key = a >> kArenaBits;
    Mid* mid = get_or_create(top_[key >> (kMidBits + kBotBits)], create);
    if (mid == nullptr) return nullptr;
    Bot* bot = get_or_create(mid->bot[(key >> kBotBits) & ((std::uintptr_t(1) << kMidBits) - 1)], create);
    if (bot == nullptr) return nullptr;
    return &bot->arenas[key & ((std::uintptr_t(1) << kBotBits) - 1)];
  }

  std::atomic<Mid*> top_[std::size_t(1) << kTopBits]{};
};

}  // namespace rclab::obmalloc::pymalloc
