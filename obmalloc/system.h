// `system`: the process's malloc/free (glibc's ptmalloc unless something
// preloaded replaced it). Thread-safe by itself, so it needs no GIL; glibc
// serves each thread from its own arena, so it is also the baseline every
// other allocator is read against.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <string_view>

#include "common/fatal.h"

namespace rclab::obmalloc {

struct System {
  static constexpr std::string_view kName = "system";
  static constexpr bool kNeedsGil = false;

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void* alloc(Local&, std::size_t n) {
    void* p = std::malloc(n);
    if (p == nullptr) fatal("system allocator: out of memory");
    return p;
  }
  static void free(Local&, void* p, std::size_t) { std::free(p); }
};

}  // namespace rclab::obmalloc
