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
//          Three modes: in place under the GIL (py313), none (3.13t's,
//          py313-unspecialized) and on thread-local bytecode (3.14t's,
//          py313-tlbc: kThreadLocalBytecode).
//
// A generation tag is light: what it is and what it needs, with no
// interpreter. Its interpreter is GenerationOps<Gen, Cfg> (declared here,
// defined in the generation's own generation.h), which the driver calls to
// check, load and run a workload.
//
// Contract:
//   kName                "py36", "py313", "py313-unspecialized", "py313-tlbc":
//                        the axis value
//   kBytecode            the name of the folder of compiled workloads it runs
//                        (workloads/compiled/NAME/): the CPython whose
//                        compiler made them. 3.13t's interpreter runs 3.13's
//                        bytecode, so every Py313 reads "py313".
//   kNeedsGil            specialisation rewrites bytecode every thread shares:
//                        refused without an exclusive GIL (runtime/config.h)
//   kThreadLocalBytecode each thread specialises its own copy of a code
//                        object's bytecode (3.14t's TLBC, runtime/py313/
//                        tlbc.h), with free-threading-safe specialised forms:
//                        no GIL needed, but 3.13t's object locks (config.h)
//   frames_fit<F>        whether F (the frames axis) is the kind of frame
//                        store this generation uses: a freelist of frame
//                        objects (py36) or a frame stack (py313)
//   Local<RC>            per-thread state of the generation's interpreter
//                        (ThreadState::gen), e.g. 3.13's current frame
//   Shared               its per-runtime state (Runtime::gen), e.g. 3.13's
//                        version counters
//   thread_start(l, s)   a thread state is made (on its thread) / ends
//   thread_end(l, s)     (ThreadState::detach, idempotent): 3.14t's TLBC
//                        index is reserved and given back here
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
//   kCApi                which CPython's C functions the builtins follow
//                        where they differ (306 or 313): list.pop(i)
//                        deletes through list_ass_slice in 3.6 and
//                        memmoves in 3.13; list * n increfs once per slot
//                        in 3.6 and adds n in one _Py_RefcntAdd in 3.13
//   kDict                which CPython's compact dict its dicts are
//                        (runtime/dict.h): 3.6's (entries with their hash,
//                        every read through the keys' dk_lookup, GROWTH_RATE
//                        used*2 + size/2) or 3.13's (unicode entries without
//                        a hash, readers dispatching on dk_kind, _Py_dict_lookup
//                        and unicodekeys_lookup_unicode, GROWTH_RATE used*3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/index_pool.h"
#include "dictlock/pymutex.h"
#include "freelists/framestack.h"
#include "freelists/freelist.h"

namespace rclab::runtime {

enum class DictFlavor : std::uint8_t { k36, k313 };

// The version counters 3.13's interpreter state keeps for the specialiser
// (dict_state.next_keys_version, types.next_version_tag,
// func_state.next_version): one per runtime, touched under the GIL, or
// under the type lock (a class's version tag: the type cache's misses,
// runtime/py313/interp.h), or, by py313-tlbc's specialiser, with atomic
// read-modify-writes (runtime/py313/specialize.h: next_version_ft; a
// class's version under the type lock too).
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
  static constexpr bool kThreadLocalBytecode = false;
  static constexpr bool kMortalBuiltins = false;
  static constexpr bool kImmortalsUncounted = false;
  static constexpr bool kDefersStackRefs = true;
  static constexpr bool kScansStacks = false;
  static constexpr int kCApi = 306;
  static constexpr DictFlavor kDict = DictFlavor::k36;
  template <class F>
  static constexpr bool frames_fit = freelists::Freelist<F>;
  template <class RC>
  struct Local {};  // 3.6's per-thread fields live in ThreadState itself
  template <class RC>
  static void thread_start(Local<RC>&, Shared&) {}
  template <class RC>
  static void thread_end(Local<RC>&, Shared&) {}
};

// What 3.14t's thread-local bytecode adds to the runtime and to each thread
// (runtime/py313/tlbc.h); nothing for the other modes, so their Shared and
// Local keep their layout.
template <bool kThreadLocal>
struct TlbcShared {};
template <>
struct TlbcShared<true> {
  IndexPool indices;  // interp->tlbc_indices: the per-thread indices, smallest free first
};
template <bool kThreadLocal>
struct TlbcLocal {};
template <>
struct TlbcLocal<true> {
  // _PyThreadStateImpl.tlbc_index: which entry of every code object's
  // co_tlbc this thread runs; -1 once the thread has ended.
  std::int32_t tlbc_index = -1;
};

// 3.13's default build. kSpecializes = false is 3.13t's interpreter (gh-116013:
// the free-threaded build runs without the specialiser), on the same frames.
// kThreadLocal = true is 3.14t's way to specialise without a GIL, on 3.13's
// interpreter: every thread specialises its own copy of each code object's
// bytecode (runtime/py313/tlbc.h) with the free-threaded build's specialised
// forms (runtime/py313/interp.h), so no rewrite races with another thread.
template <bool kSpecialize = true, bool kThreadLocal = false>
struct Py313 {
  static_assert(kSpecialize || !kThreadLocal, "thread-local bytecode exists to be specialised");
  static constexpr std::string_view kName = kThreadLocal ? "py313-tlbc"
                                            : kSpecialize ? "py313"
                                                          : "py313-unspecialized";
  static constexpr std::string_view kBytecode = "py313";
  static constexpr bool kSpecializes = kSpecialize;
  static constexpr bool kThreadLocalBytecode = kThreadLocal;
  struct Shared {
    Versions313 versions;
    // interp->eval_frame (PEP 523): a replacement frame evaluator, which
    // the generic CALL tests before it inlines a Python call. Always null.
    void* eval_frame = nullptr;
    // interp->types.type_cache: one per runtime, shared by every thread;
    // misses fill it under type_lock.
    std::vector<TypeCacheEntry> type_cache = std::vector<TypeCacheEntry>(kTypeCacheSize);
    // TYPE_LOCK (interp->types.mutex, a PyMutex in 3.13t and 3.14t): the
    // one type lock. It guards the type cache's fills, a class's version
    // tag, the insertions into a class's shared keys (3.13t takes the
    // keys' own dk_mutex for those) and, under py313-tlbc, the free-
    // threaded specialiser's assignment of the shared keys' version.
    dictlock::PyMutex type_lock;
    [[no_unique_address]] TlbcShared<kThreadLocal> tlbc;
  };
  static constexpr bool kNeedsGil = kSpecialize && !kThreadLocal;
  static constexpr bool kMortalBuiltins = true;
  static constexpr bool kImmortalsUncounted = true;
  static constexpr bool kDefersStackRefs = true;
  static constexpr bool kScansStacks = true;
  static constexpr int kCApi = 313;
  static constexpr DictFlavor kDict = DictFlavor::k313;
  template <class F>
  static constexpr bool frames_fit = freelists::FrameStack<F>;
  template <class RC>
  struct Local : TlbcLocal<kThreadLocal> {
    void* current_frame = nullptr;  // the _PyInterpreterFrame executing (tstate->current_frame)
    // Py_DEFAULT_RECURSION_LIMIT and Py_C_RECURSION_LIMIT (3.13, Linux release).
    int py_recursion_remaining = 1000;
    int c_recursion_remaining = 10000;
    // tstate->current_exception: the exception being raised (an owned
    // Exception, or null); and tstate->exc_info->exc_value: the one being
    // handled (owned; null or an Exception). A generator's own exc_state is
    // not modelled (runtime/py313/interp.h refuses a handler in a
    // generator), so exc_info is always the thread's base item.
    void* current_exception = nullptr;
    void* exc_value = nullptr;
  };
  // _Py_ReserveTLBCIndex (new_threadstate) and _Py_ClearTLBCIndex
  // (PyThreadState_Clear). The copies a thread made stay with their code
  // objects when it ends, as 3.14t's do: the next thread given the same
  // index runs them.
  template <class RC>
  static void thread_start(Local<RC>& l, Shared& s) {
    if constexpr (kThreadLocal) l.tlbc_index = s.tlbc.indices.alloc();
    (void)l, (void)s;
  }
  template <class RC>
  static void thread_end(Local<RC>& l, Shared& s) {
    if constexpr (kThreadLocal) {
      if (l.tlbc_index >= 0) s.tlbc.indices.free(std::exchange(l.tlbc_index, -1));
    }
    (void)l, (void)s;
  }
};

// py313-tlbc: 3.14t's specialisation on thread-local bytecode.
using Py313Tlbc = Py313<true, true>;

template <class G>
concept Generation = requires {
  { G::kName } -> std::convertible_to<std::string_view>;
  { G::kBytecode } -> std::convertible_to<std::string_view>;
  { G::kNeedsGil } -> std::convertible_to<bool>;
  { G::kThreadLocalBytecode } -> std::convertible_to<bool>;
  { G::kMortalBuiltins } -> std::convertible_to<bool>;
  { G::kImmortalsUncounted } -> std::convertible_to<bool>;
  { G::kDefersStackRefs } -> std::convertible_to<bool>;
  { G::kScansStacks } -> std::convertible_to<bool>;
  { G::kCApi } -> std::convertible_to<int>;
  { G::kDict } -> std::convertible_to<DictFlavor>;
};

// The generation's interpreter for one configuration: check_module,
// load_and_run_module, call (runtime/py36/generation.h,
// runtime/py313/generation.h).
template <class Gen, class Cfg>
struct GenerationOps;

}  // namespace rclab::runtime
