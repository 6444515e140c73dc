// `per_thread`: each thread keeps its own LIFO stack of blocks, capped.
//
// Gilectomy moved CPython's frame freelist into the thread state (100 frames
// per thread) so that the call path needed no lock. The stack is intrusive:
// a cached block's first word links to the next one, so caching costs no
// memory beyond the blocks themselves. Only the owning thread touches its
// Local; there is nothing to synchronise.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#include "freelists/freelist.h"

namespace rclab::freelists {

template <std::size_t Cap = 100>
struct PerThread {
  static constexpr std::string_view kName = "per_thread";
  static constexpr bool kNeedsGil = false;
  static constexpr std::size_t kCapacity = Cap;

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;
    void* head = nullptr;
    std::size_t count = 0;
  };

  static void* pop(Local& l) {
    void* p = l.head;
    if (p != nullptr) {
      l.head = load_link(p);
      --l.count;
    }
    return p;
  }

  static bool push(Local& l, void* p) {
    if (l.count == kCapacity) return false;
    store_link(p, l.head);
    l.head = p;
    ++l.count;
    return true;
  }

  static void drain(Local& l, void (*release)(void*, void*), void* ctx) {
    while (void* p = pop(l)) release(ctx, p);
  }
  static void drain_shared(Shared&, void (*)(void*, void*), void*) {}  // nothing is shared
};

}  // namespace rclab::freelists
