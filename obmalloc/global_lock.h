// `global`: one mutex around every allocation and free of an underlying
// allocator — Gilectomy's April 2016 answer to a GIL-less obmalloc ("one
// lock around obmalloc"). Every object allocation in every thread serialises
// on this one lock, and its cache line bounces between cores.
//
// The underlying allocator is a parameter: glibc's malloc (`System`) or a
// pymalloc heap (`Pymalloc`, which alone would need a GIL: the lock is what
// makes it safe). kBackendName says which, so a record never hides what
// actually sat under the lock.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
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

  static constexpr std::size_t kAlignment = [] {
    if constexpr (requires { Backend::kAlignment; })
      return std::size_t(Backend::kAlignment);
    else
      return std::size_t(16);
  }();

  struct Shared {
    CachePadded<std::mutex> lock;
    typename Backend::Shared backend;

    // The backend's arena count and invariant checker, under the lock.
    std::size_t arenas()
      requires requires(typename Backend::Shared& b) { b.arenas(); }
    {
      std::lock_guard g(lock.value);
      return backend.arenas();
    }
    std::string check_invariants()
      requires requires(typename Backend::Shared& b) { b.check_invariants(); }
    {
      std::lock_guard g(lock.value);
      return backend.check_invariants();
    }
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
