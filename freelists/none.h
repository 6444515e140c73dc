// `none`: no freelist. Every frame is allocated from and freed to the
// allocator — the baseline that shows what a freelist saves, and what a
// configuration does when its allocator already caches per thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "freelists/freelist.h"

namespace rclab::freelists {

struct None {
  static constexpr std::string_view kName = "none";
  static constexpr bool kNeedsGil = false;
  static constexpr std::size_t kCapacity = 0;

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void* pop(Local&) { return nullptr; }
  static bool push(Local&, void*) { return false; }  // the caller frees the block
  static void drain(Local&, void (*)(void*, void*), void*) {}
  static void drain_shared(Shared&, void (*)(void*, void*), void*) {}
};

}  // namespace rclab::freelists
