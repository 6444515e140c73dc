// `cached`: a per-thread, per-size-class cache of free blocks in front of any
// allocator — Gilectomy's April 2017 step ("per-thread per-class
// freelists"), which took obmalloc's lock off the common path without
// changing obmalloc itself.
//
// Each thread keeps, for each 16-byte size class up to kMaxSize, a LIFO stack
// of up to kPerClass free blocks, linked through their first word. alloc()
// pops from the thread's own stack and reaches the backend only when it is
// empty; free() pushes onto the freeing thread's stack and reaches the
// backend only when it is full. Requests are rounded up to their class, and
// a block always goes back to the backend with its class's size, so a block
// cached from a 20-byte request can serve a 30-byte one. Sizes above
// kMaxSize go straight to the backend.
//
// A block freed by another thread lands in that thread's cache, not its
// allocator's: the backend sees it again only when that cache overflows or
// its thread ends, as a cross-thread free — which the allocator contract
// already allows. When a thread's Local is destroyed, its cache goes back to
// the backend, so no block outlives the thread's cache.
//
// Threading: a Local is used only by its own thread; Shared is the backend's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "obmalloc/allocator.h"

namespace rclab::obmalloc {

template <Allocator Backend, std::size_t kPerClass = 64>
struct BlockCache {
  static constexpr std::string_view kName = "cached";
  static constexpr std::string_view kBackendName = Backend::kName;
  static constexpr bool kNeedsGil = Backend::kNeedsGil;

  static constexpr std::size_t kGranule = 16;   // the contract's alignment, and obmalloc's class step
  static constexpr std::size_t kMaxSize = 512;  // obmalloc's SMALL_REQUEST_THRESHOLD
  static constexpr std::size_t kClasses = kMaxSize / kGranule;

  struct Shared {
    typename Backend::Shared backend;
    // The backend's introspection, where it has any (the conformance suite
    // checks arenas and invariants through these).
    std::size_t arenas()
      requires requires(typename Backend::Shared& b) { b.arenas(); }
    {
      return backend.arenas();
    }
    std::string check_invariants()
      requires requires(typename Backend::Shared& b) { b.check_invariants(); }
    {
      return backend.check_invariants();
    }
  };

  struct Local {
    explicit Local(Shared& s) : backend(s.backend) {}
    ~Local() {
      for (std::size_t c = 0; c < kClasses; ++c)
        while (void* p = pop(*this, c)) Backend::free(backend, p, class_size(c));
    }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;

    typename Backend::Local backend;
    std::array<void*, kClasses> head{};
    std::array<std::uint32_t, kClasses> count{};
  };

  static void* alloc(Local& l, std::size_t n) {
    if (n == 0 || n > kMaxSize) return Backend::alloc(l.backend, n);
    const std::size_t c = (n - 1) / kGranule;
    if (void* p = pop(l, c)) return p;
    return Backend::alloc(l.backend, class_size(c));
  }

  static void free(Local& l, void* p, std::size_t n) {
    if (n == 0 || n > kMaxSize) {
      Backend::free(l.backend, p, n);
      return;
    }
    const std::size_t c = (n - 1) / kGranule;
    if (l.count[c] == kPerClass) {
      Backend::free(l.backend, p, class_size(c));
      return;
    }
    void* next = l.head[c];
    std::memcpy(p, &next, sizeof next);
    l.head[c] = p;
    ++l.count[c];
  }

 private:
  static constexpr std::size_t class_size(std::size_t c) { return (c + 1) * kGranule; }

  static void* pop(Local& l, std::size_t c) {
    void* p = l.head[c];
    if (p != nullptr) {
      std::memcpy(&l.head[c], p, sizeof p);
      --l.count[c];
    }
    return p;
  }
};

}  // namespace rclab::obmalloc
