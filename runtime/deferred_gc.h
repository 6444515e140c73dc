// 3.14t's collector of deferred objects and its per-thread reference counts
// (refcount/ft314.h, refcount/ptrc.h): predictions, since no 3.14t can be
// built on this machine kind. Configurations without `ft314` carry the
// empty NoDeferredGc and pay nothing.
//
// Deferred objects (3.14t's _PyObject_SetDeferredRefcount): at creation the
// object gets the deferred bit, the policy's bias on its count (so no
// decref frees it) and a place in the runtime's registry; with `ptrc`,
// heap types, code objects and module dicts also get a unique id
// (Python/uniqueid.c's pool: the lowest free id, the table grown on need).
//
// When a collection runs (Python/gc_free_threading.c, 3.14):
//   - every thread counts the GC-tracked objects it allocates and frees
//     (gc_alloc, gc_free) and adds its count to the shared young count each
//     512 (LOCAL_ALLOC_COUNT_THRESHOLD); a thread that finds the young count
//     over 2000 (young.threshold) and over a quarter of the objects that
//     survived the last collection sets kGcScheduled on the eval breaker;
//   - the first thread to see the bit at its eval-breaker check collects.
//     3.14.0's third gate, process memory grown by 10% since the last
//     collection (gh-132917), is not modelled: CPython reverted it on main
//     in 2026 (gh-148937), and which 3.14.x carries it is not settled.
// A collection (gc_collect): the world stopped (runtime/stop_the_world.h);
// every thread's per-thread counts merged into the objects; every thread's
// frames scanned for stack references to deferred objects
// (GenerationOps::visit_stack_refs); then every deferred object whose count
// is its bias alone (no heap reference) and which no frame holds is freed,
// repeated until a pass frees nothing (freeing a function drops its code's
// last reference). A frame whose stack top is not saved (a thread blocked
// inside a call) makes the collection free no deferred object at all, as
// 3.14t does when it meets a frame with a NULL stack pointer (GH-129236).
// Only deferred objects are collected: rclab has no cycle collector (no
// committed workload makes cyclic garbage: docs/design.md §12b).
//
// Where it differs from 3.14t: the registry is a list (3.14t walks
// mimalloc's GC heaps, which holds every GC object); the scan counts stack
// references to deferred objects only (3.14t's marks from every root); it
// visits each frame's function too (3.14t does not visit f_funcobj).
//
// Per-thread counts (ptrc): thread_incref/thread_decref add to this thread's
// array when the object has an id, else they count as incref/decref do.
// The arrays are merged at every collection and when the thread ends
// (_PyObject_MergePerThreadRefcounts, _PyObject_FinalizePerThreadRefcounts).
//
// Threading contract: registry, id pool and thread list under Shared::lock;
// a thread's Local by its own thread, except that a collection (world
// stopped: every other thread suspended, and the hand-over ordered by the
// stop's mutex) reads and clears every thread's counts.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/eval_breaker.h"
#include "common/fatal.h"
#include "refcount/ft314.h"
#include "refcount/policy.h"
#include "runtime/object.h"
#include "runtime/stop_the_world.h"

namespace rclab::runtime {

template <class Cfg>
inline constexpr bool kHasDeferredGc = refcount::kCollectsDeferred<typename Cfg::RC>;
template <class Cfg>
inline constexpr bool kHasPerThreadRefcounts = refcount::kPerThreadRefcounts<typename Cfg::RC>;

struct NoDeferredGc {
  struct Shared {
    explicit Shared(EvalBreaker&) {}
  };
  struct Local {};
};

struct DeferredGc {
  static constexpr std::int64_t kThreshold = 2000;  // young.threshold
  static constexpr std::int64_t kLocalBatch = 512;  // LOCAL_ALLOC_COUNT_THRESHOLD

  struct Shared {
    explicit Shared(EvalBreaker& b) : stw(b) {}
    StopTheWorld stw;
    std::mutex lock;              // guards everything below but the atomics
    std::vector<void*> deferred;  // every deferred object alive (Object<RC>*)
    std::vector<void*> threads;   // every registered thread state (ThreadState<Cfg>*)
    std::vector<void*> ids;       // unique id i+1 -> its object, or null when free
    std::vector<std::uint32_t> free_ids;
    std::atomic<std::int64_t> young{0};      // net GC allocations flushed since the last collection
    std::atomic<std::int64_t> net_total{0};  // net GC allocations flushed since the start
    std::atomic<std::int64_t> long_lived{0};  // net_total at the end of the last collection
    std::atomic<bool> collecting{false};
    // Statistics (policy_stats): collections run, deferred objects freed,
    // collections that could free none because a frame's stack was not
    // saved, per-thread counts merged.
    std::uint64_t collections = 0, freed = 0, skipped = 0, merged = 0;
  };
  struct Local {
    StopTheWorld::Thread stw;
    std::int64_t alloc_count = 0;          // GC allocations minus frees not yet flushed
    std::vector<std::int64_t> refcounts;   // ptrc: this thread's counts, by unique id - 1
    bool finalized = false;                // merged for good: counts go to the objects
    bool registered = false;
  };
};

template <class Cfg>
using DeferredGcOf = std::conditional_t<kHasDeferredGc<Cfg>, DeferredGc, NoDeferredGc>;

// The GC-tracked types (CPython's Py_TPFLAGS_HAVE_GC among rclab's: the
// free-threaded build tracks code objects too; ints, strs, ranges and their
// iterators are untracked).
inline bool is_gc_type(Type t) {
  switch (t) {
    case Type::kTuple: case Type::kDict: case Type::kCode: case Type::kFunction: case Type::kList:
    case Type::kListIter: case Type::kTupleIter: case Type::kCell: case Type::kClass: case Type::kInstance:
    case Type::kMethod: case Type::kBuiltin: case Type::kQueue: case Type::kLocal:
    case Type::kMethodCaller: case Type::kGenerator: case Type::kException: case Type::kTraceback:
    case Type::kFrameObject: case Type::kStaticMethod: case Type::kTupleSub:
      return true;
    default:
      return false;
  }
}

// The unique id field of an object that can have one (0: none).
template <class RC>
std::uint32_t* unique_id_field(Object<RC>* o) {
  switch (o->type) {
    case Type::kClass: return &as<Class>(o)->unique_id;
    case Type::kCode: return &as<Code>(o)->unique_id;
    case Type::kDict: return &as<Dict>(o)->unique_id;
    default: return nullptr;
  }
}

}  // namespace rclab::runtime
