// Interpreter generations: which CPython's bytecode, frames and calls a
// configuration runs. A policy kind of its own (the `interp` axis): the
// object model, allocators, refcount policies, GILs and dict locks are
// shared, and each generation is a sibling folder of the interpreter that
// uses them (runtime/py36/, runtime/py313/).
//
//   py36   CPython 3.6: frames are objects from a freelist, calls recurse on
//          the C stack, bound methods, no specialisation, no immortals.
//   py313  CPython 3.13's default build: frames in a per-thread data stack,
//          LOAD_ATTR's method form, PUSH_NULL/CALL, the specialising adaptive
//          interpreter (kSpecializes), PEP 683's immortal objects.
//
// A generation tag is light: what it is and what it needs, with no
// interpreter. Its interpreter is GenerationOps<Gen, Cfg> (declared here,
// defined in the generation's own generation.h), which the driver calls to
// check, load and run a workload.
//
// Contract:
//   kName                "py36", "py313", "py313-unspecialized": the axis value
//   kBytecode            the name of the folder of compiled workloads it runs
//                        (workloads/compiled/NAME/): the CPython whose
//                        compiler made them. 3.13t's interpreter runs 3.13's
//                        bytecode, so both Py313s read "py313".
//   kNeedsGil            specialisation rewrites bytecode every thread shares:
//                        refused without an exclusive GIL (runtime/config.h)
//   frames_fit<F>        whether F (the frames axis) is the kind of frame
//                        store this generation uses: a freelist of frame
//                        objects (py36) or a frame stack (py313)
//   Local<RC>            per-thread state of the generation's interpreter
//                        (ThreadState::gen), e.g. 3.13's current frame
//   Shared               its per-runtime state (Runtime::gen), e.g. 3.13's
//                        version counters
//   kMortalBuiltins      builtin functions and method descriptors are mortal
//                        objects (3.13: `len` is counted; 3.6's are made
//                        immortal only by an immortal refcount policy)
//   kImmortalsUncounted  C code that hands out None, True, False or a small
//                        int takes no reference (3.12+: Py_RETURN_NONE is
//                        `return Py_None`, get_small_int increfs nothing);
//                        3.6 increfs them. Such a generation needs a refcount
//                        policy with immortal objects (PEP 683 is part of it).
//   kDefersStackRefs     its interpreter moves every reference between the
//                        heap and its stack through to_stack/from_stack
//                        (runtime/object_ops.h), so a policy that leaves
//                        deferred objects' stack references uncounted
//                        (refcount/deferred.h, nogil's and 3.14t's) is
//                        correct on it. py313's is not written that way yet
//                        (3.14's _PyStackRef steals and borrows would be the
//                        model): such a configuration is refused.
//   kDict                which CPython's compact dict its dicts are
//                        (runtime/dict.h): 3.6's (entries with their hash,
//                        every read through the keys' dk_lookup, GROWTH_RATE
//                        used*2 + size/2) or 3.13's (unicode entries without
//                        a hash, readers dispatching on dk_kind, _Py_dict_lookup
//                        and unicodekeys_lookup_unicode, GROWTH_RATE used*3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "freelists/framestack.h"
#include "freelists/freelist.h"

namespace rclab::runtime {

enum class DictFlavor : std::uint8_t { k36, k313 };

// The version counters 3.13's interpreter state keeps for the specialiser
// (dict_state.next_keys_version, types.next_version_tag,
// func_state.next_version): one per runtime, touched only under the GIL.
struct Versions313 {
  std::uint32_t next_keys = 2;
  std::uint32_t next_type = 1;
  std::uint32_t next_func = 1;
};

// One entry of 3.13's type attribute cache (Objects/typeobject.c,
// struct type_cache_entry): the attribute `name` of the type whose
// tp_version_tag is `version` is `value` (borrowed, or null: absent).
// `sequence` is 3.13t's seqlock: odd while a writer fills the entry.
// Every field is read and written through std::atomic_ref
// (runtime/py313/interp.h: type_lookup_ref).
struct TypeCacheEntry {
  std::uint32_t version = 0;  // 0: nothing cached (no type has version 0)
  std::uint32_t sequence = 0;
  const void* name = nullptr;
  void* value = nullptr;
};
inline constexpr std::size_t kTypeCacheSize = std::size_t(1) << 12;  // MCACHE_SIZE_EXP

struct Py36 {
  static constexpr std::string_view kName = "py36";
  static constexpr std::string_view kBytecode = "py36";
  struct Shared {};
  static constexpr bool kNeedsGil = false;
  static constexpr bool kMortalBuiltins = false;
  static constexpr bool kImmortalsUncounted = false;
  static constexpr bool kDefersStackRefs = true;
  static constexpr bool kScansStacks = false;
  static constexpr DictFlavor kDict = DictFlavor::k36;
  template <class F>
  static constexpr bool frames_fit = freelists::Freelist<F>;
  template <class RC>
  struct Local {};  // 3.6's per-thread fields live in ThreadState itself
};

// 3.13's default build. kSpecializes = false is 3.13t's interpreter (gh-116013:
// the free-threaded build runs without the specialiser), on the same frames.
template <bool kSpecialize = true>
struct Py313 {
  static constexpr std::string_view kName = kSpecialize ? "py313" : "py313-unspecialized";
  static constexpr std::string_view kBytecode = "py313";
  static constexpr bool kSpecializes = kSpecialize;
  struct Shared {
    Versions313 versions;
    // interp->eval_frame (PEP 523): a replacement frame evaluator, which
    // the generic CALL tests before it inlines a Python call. Always null.
    void* eval_frame = nullptr;
    // interp->types.type_cache: one per runtime, shared by every thread;
    // misses fill it under type_lock (3.13t's TYPE_LOCK), which also
    // guards a class's version tag and its shared keys' insertions.
    std::vector<TypeCacheEntry> type_cache = std::vector<TypeCacheEntry>(kTypeCacheSize);
    std::mutex type_lock;
  };
  static constexpr bool kNeedsGil = kSpecialize;
  static constexpr bool kMortalBuiltins = true;
  static constexpr bool kImmortalsUncounted = true;
  static constexpr bool kDefersStackRefs = true;
  static constexpr bool kScansStacks = true;
  static constexpr DictFlavor kDict = DictFlavor::k313;
  template <class F>
  static constexpr bool frames_fit = freelists::FrameStack<F>;
  template <class RC>
  struct Local {
    void* current_frame = nullptr;  // the _PyInterpreterFrame executing (tstate->current_frame)
    // Py_DEFAULT_RECURSION_LIMIT and Py_C_RECURSION_LIMIT (3.13, Linux release).
    int py_recursion_remaining = 1000;
    int c_recursion_remaining = 10000;
  };
};

template <class G>
concept Generation = requires {
  { G::kName } -> std::convertible_to<std::string_view>;
  { G::kBytecode } -> std::convertible_to<std::string_view>;
  { G::kNeedsGil } -> std::convertible_to<bool>;
  { G::kMortalBuiltins } -> std::convertible_to<bool>;
  { G::kImmortalsUncounted } -> std::convertible_to<bool>;
  { G::kDefersStackRefs } -> std::convertible_to<bool>;
  { G::kScansStacks } -> std::convertible_to<bool>;
  { G::kDict } -> std::convertible_to<DictFlavor>;
};

// The generation's interpreter for one configuration: check_module,
// load_and_run_module, call (runtime/py36/generation.h,
// runtime/py313/generation.h).
template <class Gen, class Cfg>
struct GenerationOps;

}  // namespace rclab::runtime
