// `none`: no object freelists. Every tuple, list, dict and dict table comes
// from the configuration's allocator and goes back to it: what rclab did
// before object freelists were modelled, and the default, so that every
// configuration that does not name a freelist policy runs as it did.
// CPython built without WITH_FREELISTS does the same.
#pragma once

#include <cstddef>
#include <string_view>

#include "freelists/objects.h"

namespace rclab::freelists::objects {

struct None {
  static constexpr std::string_view kName = "none";
  static constexpr bool kNeedsGil = false;
  static constexpr bool kShared = false;
  static constexpr std::size_t capacity(std::size_t) { return 0; }

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void* pop(Local&, std::size_t) { return nullptr; }
  static bool push(Local&, std::size_t, void*) { return false; }  // the caller frees the block
  static void drain(Local&, Release, void*) {}
  static void drain_shared(Shared&, Release, void*) {}
};

}  // namespace rclab::freelists::objects
