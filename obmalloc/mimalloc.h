// `mimalloc`: Microsoft's allocator (Daan Leijen et al.), which nogil and
// CPython 3.13t use in place of pymalloc: thread-local heaps of pages with
// a local free list, and a per-page atomic list for frees from other threads.
// Called through mi_malloc/mi_free, so these calls are mimalloc's whatever
// else serves malloc.
//
// Debian's libmimalloc also exports malloc and free: linking it replaces
// the allocator of the whole process, which rules out ASan/TSan. Only
// binaries of their own link it, in builds without sanitizers
// (tests/alloc_backend_test_mimalloc, bench/alloc_bench_mimalloc);
// `serving_allocator()` (which.h) says at run time what a process got.
#pragma once

#include <mimalloc.h>

#include <cstddef>
#include <string_view>

#include "common/fatal.h"
#include "obmalloc/round.h"

namespace rclab::obmalloc {

struct Mimalloc {
  static constexpr std::string_view kName = "mimalloc";
  static constexpr bool kNeedsGil = false;

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void* alloc(Local&, std::size_t n) {
    void* p = mi_malloc(round16(n));
    if (p == nullptr) fatal("mimalloc: out of memory");
    return p;
  }
  static void free(Local&, void* p, std::size_t) { mi_free(p); }
};

}  // namespace rclab::obmalloc
