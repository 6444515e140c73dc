// `isolated`: one runtime per thread, so there is nothing to lock. Each
// interpreter thread builds its own Runtime — its own None, small ints,
// dicts, function and code — and never sees another thread's objects: the
// shape of PEP 684's per-interpreter GIL with one interpreter per thread,
// and the physical limit of a workload whose threads share nothing.
//
// It "excludes" every other thread from this runtime's objects by
// construction, so plain counting and the unlocked allocator are safe with
// it (kExclusive). The driver (experiments/workload_run.h) must honour kIsolated:
// a runtime built with it is used by exactly one thread.
#pragma once

#include <string_view>

#include "runtime/gil.h"
#include "runtime/gil_none.h"

namespace rclab::runtime {

// No lock at all, as `none` — only the promise differs: nothing else touches
// this runtime's objects, so it excludes every other thread by construction.
struct IsolatedGil : NoGil {
  static constexpr std::string_view kName = "isolated";
  static constexpr bool kExclusive = true;
  static constexpr bool kIsolated = true;  // one runtime per thread
};

// True for a GIL policy that gives every thread a runtime of its own.
template <class G>
constexpr bool is_isolated() {
  if constexpr (requires { G::kIsolated; })
    return G::kIsolated;
  else
    return false;
}

}  // namespace rclab::runtime
