// `per_thread`: a set of object freelists per thread, as free-threaded
// CPython 3.13 (3.13t) keeps them in the thread state
// (`((_PyThreadStateImpl *)tstate)->freelists`, _Py_object_freelists_GET()
// under Py_GIL_DISABLED). No lock and no atomic: only the owning thread
// touches its Local.
//
// What 3.13t does with them, and rclab does too: a deallocation pushes on
// the freelist of the thread doing the deallocation, not of the one that
// allocated the object (an object another thread frees feeds that
// thread's next allocations); a pop is initialised as a new object by the
// popping thread, which owns it under biased counting; a thread's end
// frees every cached block (PyThreadState_Clear ->
// _PyObject_ClearFreeLists(freelists, 1)): drain, from ThreadState::detach.
// 3.13t also empties every thread's freelists at each collection
// (_PyGC_ClearAllFreeLists, the world stopped); rclab has no cycle
// collector, so a thread's lists are emptied only when it ends.
#pragma once

#include <cstddef>
#include <string_view>

#include "freelists/objects.h"

namespace rclab::freelists::objects {

template <class Caps = Sizes313>
struct PerThread {
  static constexpr std::string_view kName = "per_thread";
  static constexpr bool kNeedsGil = false;
  static constexpr bool kShared = false;
  static constexpr std::size_t capacity(std::size_t kind) { return Caps::of(kind); }

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;
    Stacks<Caps> stacks;
  };

  static void* pop(Local& l, std::size_t kind) { return l.stacks.pop(kind); }
  static bool push(Local& l, std::size_t kind, void* p) { return l.stacks.push(kind, p); }
  static void drain(Local& l, Release release, void* ctx) { l.stacks.drain(release, ctx); }
  static void drain_shared(Shared&, Release, void*) {}  // nothing is shared
};

}  // namespace rclab::freelists::objects
