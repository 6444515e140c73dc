// `per_interp`: one set of object freelists for the interpreter, as CPython
// 3.13's default build keeps them (`interp->object_state.freelists`,
// _Py_object_freelists_GET() without Py_GIL_DISABLED). Nothing locks them:
// the GIL serialises every pop and push, so the policy is kNeedsGil and a
// configuration pairing it with a GIL that excludes nothing is refused
// (runtime/config.h). An object freed by one thread is reused by whichever
// thread allocates next.
//
// Threading: every Local reaches the one Stacks in Shared; callers hold the
// GIL. A thread's end leaves the blocks to the others (drain does nothing);
// drain_shared returns them at shutdown, when no thread can pop any more.
// 3.13 also empties them at each full collection (_PyGC_ClearAllFreeLists);
// rclab has no cycle collector, so they are emptied at shutdown only.
#pragma once

#include <cstddef>
#include <string_view>

#include "freelists/objects.h"

namespace rclab::freelists::objects {

template <class Caps = Sizes313>
struct PerInterp {
  static constexpr std::string_view kName = "per_interp";
  static constexpr bool kNeedsGil = true;
  static constexpr bool kShared = true;
  static constexpr std::size_t capacity(std::size_t kind) { return Caps::of(kind); }

  struct Shared {
    Stacks<Caps> stacks;  // guarded by the GIL
  };
  struct Local {
    explicit Local(Shared& s) noexcept : shared(&s) {}
    Shared* shared;
  };

  static void* pop(Local& l, std::size_t kind) { return l.shared->stacks.pop(kind); }
  static bool push(Local& l, std::size_t kind, void* p) { return l.shared->stacks.push(kind, p); }
  static void drain(Local&, Release, void*) {}  // the interpreter's: they stay for the other threads
  static void drain_shared(Shared& s, Release release, void* ctx) { s.stacks.drain(release, ctx); }
};

}  // namespace rclab::freelists::objects
