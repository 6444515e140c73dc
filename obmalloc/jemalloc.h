// `jemalloc`: Jason Evans' allocator through its own sized API (mallocx,
// sdallocx), so these calls are jemalloc's whatever else serves malloc.
//
// Debian's libjemalloc is built without a symbol prefix: linking it makes it
// the malloc of the whole process, and it cannot share a process with
// ASan/TSan (which bring their own malloc). Only binaries of their own link
// it, in builds without sanitizers (tests/alloc_backend_test_jemalloc,
// bench/alloc_bench_jemalloc); `serving_allocator()` (which.h) says at run
// time which allocator a process really got.
#pragma once

#include <jemalloc/jemalloc.h>

#include <cstddef>
#include <string_view>

#include "common/fatal.h"
#include "obmalloc/round.h"

namespace rclab::obmalloc {

struct Jemalloc {
  static constexpr std::string_view kName = "jemalloc";
  static constexpr bool kNeedsGil = false;

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void* alloc(Local&, std::size_t n) {
    void* p = mallocx(round16(n), 0);
    if (p == nullptr) fatal("jemalloc: out of memory");
    return p;
  }
  // Sized deallocation skips jemalloc's size lookup, as the contract allows.
  static void free(Local&, void* p, std::size_t n) { sdallocx(p, round16(n), 0); }
};

}  // namespace rclab::obmalloc
