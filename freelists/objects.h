// The object-freelist concept: where CPython 3.13 keeps deallocated tuples,
// lists, dicts and dict keys for the next allocation of the same kind
// (Include/internal/pycore_freelist.h, WITH_FREELISTS), so that a loop that
// makes and drops a container each iteration (the `churn` workload) does
// not reach the allocator. 3.13's default build keeps one set for the
// interpreter, used under its GIL (`_Py_object_freelists_GET()` is
// `&interp->object_state.freelists`); 3.13t keeps one set per thread
// (`&tstate->freelists`). This is the `freelists` axis of a configuration
// (runtime/config.h); frames have their own (freelists/freelist.h,
// freelists/framestack.h).
//
// The kinds are those of 3.13.15 that rclab's objects map to, with 3.13's
// sizes (PyTuple_MAXSAVESIZE, PyTuple_MAXFREELIST, PyList_MAXFREELIST,
// PyDict_MAXFREELIST):
//
//   tuples by length 1..20   2000 each   tupleobject.c maybe_freelist_push/pop;
//                                        the empty tuple is a singleton, never kept
//   lists                    80          list_dealloc keeps the object and frees
//                                        its item array (free_list_items): only
//                                        the object is kept, PyList_New makes a new array
//   dicts                    80          dict_dealloc / new_dict
//   dict keys                80          free_keys_object / new_keys_object keep
//                                        only keys of PyDict_MINSIZE (8) slots, all-str
//                                        ("unicode"): rclab's keys object of 8 slots
//                                        (its keys are always strs). A table retired
//                                        through QSBR is freed, not kept (3.13t's
//                                        _PyMem_FreeDelayed bypasses the freelist too).
//   floats                   100         _PyFloat_ExactDealloc / PyFloat_FromDouble
//
// Not here, since rclab does not allocate them as objects: slices,
// contexts, async generators' values and object-stack chunks.
//
// A block on a freelist is raw memory, not an object (freelist.h's rules on
// links): it is dead as far as reference counting is concerned, its first
// word links it to the next block of its kind (CPython links tuples through
// ob_item[0] and keeps the others in arrays; where the link lives changes
// nothing rclab measures), and whoever pops it initialises it as a new
// object (_Py_NewReference): under biased counting the popping thread
// becomes its owner, as in 3.13t, whichever thread freed it.
//
// Contract (Shared/Local as for every policy; a kind is one of the indices
// below):
//   pop(local, kind)        a cached block of that kind, or nullptr;
//   push(local, kind, p)    caches p, or false when that kind's list is full
//                           (the caller then frees p to the allocator);
//   drain(local, release, ctx)  hands every block cached for this thread to
//                           release(ctx, kind, p): when its thread state
//                           detaches (3.13t's _PyObject_ClearFreeLists at
//                           thread exit);
//   drain_shared(shared, release, ctx)  the same for blocks cached for all
//                           threads: once, at runtime shutdown;
//   capacity(kind)          how many blocks of that kind it keeps at most;
//   kShared                 one set for every thread (in Shared), not one per
//                           thread (in each Local);
//   kName, kNeedsGil        as for every policy (kNeedsGil: only correct while
//                           a GIL serialises every pop and push).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "freelists/freelist.h"

namespace rclab::freelists {

namespace objects {

// The kinds, as indices: tuples of length n at n - 1, then the others.
inline constexpr std::size_t kTupleMaxSaveSize = 20;  // PyTuple_MAXSAVESIZE
inline constexpr std::size_t kList = kTupleMaxSaveSize;
inline constexpr std::size_t kDict = kList + 1;
inline constexpr std::size_t kDictKeys = kDict + 1;
inline constexpr std::size_t kFloat = kDictKeys + 1;
inline constexpr std::size_t kKinds = kFloat + 1;
inline constexpr std::uint64_t kDictKeysSlots = 8;  // PyDict_MINSIZE: the only keys size kept

// Whether a tuple of n items has a freelist, and its kind.
constexpr bool tuple_kept(std::int64_t n) { return n >= 1 && n <= std::int64_t(kTupleMaxSaveSize); }
constexpr std::size_t tuple_kind(std::int64_t n) { return std::size_t(n - 1); }

// What release(ctx, kind, p) is: ctx is the caller's (a thread state).
using Release = void (*)(void* ctx, std::size_t kind, void* p);

// 3.13.15's caps (WITH_FREELISTS).
struct Sizes313 {
  static constexpr std::size_t of(std::size_t kind) {
    return kind < kList      ? 2000  // PyTuple_MAXFREELIST, per length
           : kind == kFloat ? 100   // PyFloat_MAXFREELIST
                            : 80;   // PyList_MAXFREELIST, PyDict_MAXFREELIST (dicts and keys)
  }
};

// One LIFO stack per kind, linked through each block's first word, capped
// by Caps::of(kind). Plain fields: whoever holds it serialises its callers
// (its own thread, or the GIL).
template <class Caps>
struct Stacks {
  void* head[kKinds] = {};
  std::uint32_t count[kKinds] = {};

  void* pop(std::size_t kind) {
    void* p = head[kind];
    if (p != nullptr) {
      head[kind] = load_link(p);
      --count[kind];
    }
    return p;
  }
  bool push(std::size_t kind, void* p) {
    if (count[kind] >= Caps::of(kind)) return false;
    store_link(p, head[kind]);
    head[kind] = p;
    ++count[kind];
    return true;
  }
  void drain(Release release, void* ctx) {
    for (std::size_t k = 0; k < kKinds; ++k)
      while (void* p = pop(k)) release(ctx, k, p);
  }
};

}  // namespace objects

template <class F>
concept ObjectFreelists =
    std::constructible_from<typename F::Local, typename F::Shared&> &&
    requires(typename F::Shared& shared, typename F::Local& local, std::size_t kind, void* p,
             objects::Release release, void* ctx) {
      { F::kName } -> std::convertible_to<std::string_view>;
      { F::kNeedsGil } -> std::convertible_to<bool>;
      { F::kShared } -> std::convertible_to<bool>;
      { F::capacity(kind) } -> std::convertible_to<std::size_t>;
      { F::pop(local, kind) } -> std::same_as<void*>;
      { F::push(local, kind, p) } -> std::same_as<bool>;
      { F::drain(local, release, ctx) } -> std::same_as<void>;
      { F::drain_shared(shared, release, ctx) } -> std::same_as<void>;
    };

}  // namespace rclab::freelists
