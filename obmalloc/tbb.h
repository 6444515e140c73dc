// `tbb`: Intel oneTBB's scalable allocator (libtbbmalloc: per-thread heaps
// of size-segregated slabs, remote frees returned to the owning thread's
// slab lists). It exports only scalable_malloc/scalable_free, not malloc, so
// it lives beside glibc in one process (the tbbmalloc_proxy library, which
// would replace malloc, is not linked).
//
// ThreadSanitizer cannot see tbbmalloc's internal synchronisation (the
// library is not instrumented), so it would take one thread's reuse of a
// block another thread freed for a race. TSan builds therefore publish
// every free and acquire at every allocation on one token — the
// happens-before edge the allocator really provides, stated where TSan can
// see it. Other builds compile this out.
#pragma once

#include <tbb/scalable_allocator.h>

#include <cstddef>
#include <string_view>

#include "common/fatal.h"
#include "obmalloc/round.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace rclab::obmalloc {

struct Tbb {
  static constexpr std::string_view kName = "tbb";
  static constexpr bool kNeedsGil = false;

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void* alloc(Local&, std::size_t n) {
    void* p = scalable_malloc(round16(n));
    if (p == nullptr) fatal("tbb: out of memory");
#if defined(__SANITIZE_THREAD__)
    __tsan_acquire(&tsan_token);
#endif
    return p;
  }
  static void free(Local&, void* p, std::size_t) {
#if defined(__SANITIZE_THREAD__)
    __tsan_release(&tsan_token);
#endif
    scalable_free(p);
  }

#if defined(__SANITIZE_THREAD__)
  static inline char tsan_token;
#endif
};

}  // namespace rclab::obmalloc
