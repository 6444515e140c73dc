// `global`: one mutex around every allocation and free of an underlying
// allocator — Gilectomy's April 2016 answer to a GIL-less obmalloc ("one
// lock around obmalloc"). Every object allocation in every thread serialises
// on this one lock, and its cache line bounces between cores.
//
// The underlying allocator is a parameter: glibc's malloc until the pymalloc
// clone lands, then obmalloc itself. kBackendName says which, so a record
// never hides what actually sat under the lock.
#pragma once

#include <cstddef>
#include <mutex>
#include <string_view>

#include "common/cacheline.h"
#include "common/lock_trace.h"
#include "obmalloc/allocator.h"

namespace rclab::obmalloc {

template <Allocator Backend>
struct GlobalLock {
  static constexpr std::string_view kName = "global";
  static constexpr std::string_view kBackendName = Backend::kName;
  static constexpr bool kNeedsGil = false;

  struct Shared {
    CachePadded<std::mutex> lock;
    typename Backend::Shared backend;
  };
  struct Local {
    explicit Local(Shared& s) : shared(&s), backend(s.backend) {}
    Shared* shared;
    typename Backend::Local backend;
    LockTrace* trace = nullptr;  // set only when tracing (rclab trace)
  };

  static void* alloc(Local& l, std::size_t n) {
    TracedLock g(l.shared->lock.value, l.trace, LockId::kAlloc);
    return Backend::alloc(l.backend, n);
  }
  static void free(Local& l, void* p, std::size_t n) {
    TracedLock g(l.shared->lock.value, l.trace, LockId::kAlloc);
    Backend::free(l.backend, p, n);
  }
};

}  // namespace rclab::obmalloc
