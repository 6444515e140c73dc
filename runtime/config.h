// A configuration: one policy type per kind, fixed at compile time.
//
// The interpreter, the thread state and the runtime are templates over a
// Config, so every incref, decref and allocation inlines to the policy's own
// code. Run-time choice happens once, by name, in experiments/registry.cpp.
//
// Adding a policy kind: add a defaulted parameter here, so existing
// configurations keep compiling.
#pragma once

#include <string_view>

#include "dictlock/none.h"
#include "dictlock/policy.h"
#include "freelists/freelist.h"
#include "freelists/objects.h"
#include "freelists/objects_none.h"
#include "freelists/per_thread.h"
#include "obmalloc/allocator.h"
#include "obmalloc/system.h"
#include "refcount/policy.h"
#include "runtime/generation.h"
#include "runtime/gil.h"
#include "runtime/tstate.h"
#include "runtime/tstate_explicit.h"

namespace rclab::runtime {

template <refcount::Policy RC_, GilPolicy Gil_, obmalloc::Allocator Alloc_ = obmalloc::System,
          class Frames_ = freelists::PerThread<100>, ThreadStatePolicy TState_ = ExplicitTState,
          dictlock::Policy DictLock_ = dictlock::None, Generation Gen_ = Py36,
          freelists::ObjectFreelists Freelists_ = freelists::objects::None>
  requires Gen_::template frames_fit<Frames_>
struct Config {
  using RC = RC_;
  using Gil = Gil_;
  using Alloc = Alloc_;
  using Frames = Frames_;  // a freelist of frame objects (py36) or a frame stack (py313)
  using TState = TState_;
  using DictLock = DictLock_;
  using Gen = Gen_;
  using Freelists = Freelists_;  // tuples, lists, dicts and dict tables (freelists/objects.h)

  // The same configuration on another interpreter generation, with the
  // frames that generation keeps.
  template <Generation G, class F>
  using WithGeneration = Config<RC_, Gil_, Alloc_, F, TState_, DictLock_, G, Freelists_>;

  // The same configuration with another dict lock, so a configuration that
  // keeps the defaults before it need not spell them out:
  // Config<Atomic, NoGil, ObPerThread>::WithDictLock<dictlock::Optimistic>.
  template <dictlock::Policy L>
  using WithDictLock = Config<RC_, Gil_, Alloc_, Frames_, TState_, L, Gen_, Freelists_>;

  // The same configuration with other object freelists.
  template <freelists::ObjectFreelists F>
  using WithFreelists = Config<RC_, Gil_, Alloc_, Frames_, TState_, DictLock_, Gen_, F>;
};

// Why a configuration cannot run, or empty when it can. A policy that is only
// correct under a GIL (kNeedsGil) needs a GIL that excludes other threads
// (and object freelists that need one, no commit thread freeing beside it).
template <class C>
constexpr std::string_view unsafe_reason() {
  if constexpr (C::RC::kNeedsGil && !C::Gil::kExclusive)
    return "its reference counting is non-atomic and needs a GIL, but its GIL excludes nothing: "
           "counts would race (lost updates are leaks and use-after-frees)";
  else if constexpr (C::Alloc::kNeedsGil && !C::Gil::kExclusive)
    return "its allocator is unlocked and needs a GIL, but its GIL excludes nothing";
  else if constexpr (C::Frames::kNeedsGil && !C::Gil::kExclusive)
    return "its frame freelist is unlocked and needs a GIL, but its GIL excludes nothing";
  else if constexpr (C::Freelists::kNeedsGil && !C::Gil::kExclusive)
    return "its object freelists are one unlocked set for the interpreter and need a GIL, but its GIL excludes "
           "nothing: two threads could pop the same block";
  else if constexpr (C::Freelists::kNeedsGil && refcount::HasCommitThread<typename C::RC>)
    return "its object freelists need a GIL, but its counting frees objects on a commit thread that holds none";
  else if constexpr (C::Gen::kNeedsGil && !C::Gil::kExclusive)
    return "its interpreter specialises bytecode in place, which every thread shares, and needs a GIL, but its "
           "GIL excludes nothing (3.13t runs without the specialiser for this reason)";
  else if constexpr (refcount::defers_stack_refs<typename C::RC>() && !C::Gen::kDefersStackRefs)
    return "its counting leaves deferred objects' stack references uncounted, and its interpreter generation "
           "does not route heap-to-stack moves through to_stack/from_stack (runtime/generation.h): counts "
           "would drift";
  else if constexpr (C::DictLock::kNeedsGil && !C::Gil::kExclusive)
    return "its dicts have no lock and need a GIL, but its GIL excludes nothing: a lookup could read a "
           "table a writer is resizing";
  else
    return {};
}

template <class C>
concept SafeConfig = unsafe_reason<C>().empty();

}  // namespace rclab::runtime
