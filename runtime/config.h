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

// Whether a dict lock gives dicts and lists 3.13t's object locks: readers
// with try-incref and re-check (kTryIncrefReads), lists locked too
// (kLocksContainers), a per-object PyMutex a specialised form may try-lock.
template <class L>
constexpr bool reads_by_try_incref() {
  if constexpr (requires { L::kTryIncrefReads; L::kLocksContainers; })
    return L::kTryIncrefReads && L::kLocksContainers;
  else
    return false;
}

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
  else if constexpr (refcount::kCollectsDeferred<typename C::RC> && !C::Gen::kScansStacks)
    return "its deferred objects are freed only by 3.14t's collector, which scans every thread's frames, and its "
           "interpreter generation's frames cannot be scanned (runtime/generation.h: kScansStacks)";
  else if constexpr (C::DictLock::kNeedsGil && !C::Gil::kExclusive)
    return "its dicts have no lock and need a GIL, but its GIL excludes nothing: a lookup could read a "
           "table a writer is resizing";
  else if constexpr (C::Gen::kThreadLocalBytecode && !reads_by_try_incref<typename C::DictLock>())
    return "its interpreter's free-threaded specialised forms (3.14t's, on thread-local bytecode) read dicts and "
           "lists with 3.13t's try-incref protocol and try-lock a list's PyMutex: they need the ft313 object locks";
  else
    return {};
}

template <class C>
concept SafeConfig = unsafe_reason<C>().empty();

// Whether a configuration is free-threaded CPython 3.13's build: 3.13t's
// object locks (dictlock `ft313`, kTryIncrefReads). Where GCC inlined
// differently in the two real builds (nm and callgrind of scripts/peers.sh's
// 3.13.15 and 3.13.15t: _PyFrame_ClearLocals, insert_combined_dict,
// find_empty_slot), the model follows the build it models.
template <class C>
constexpr bool free_threaded_build() {
  if constexpr (requires { C::DictLock::kTryIncrefReads; })
    return C::DictLock::kTryIncrefReads;
  else
    return false;
}

}  // namespace rclab::runtime
