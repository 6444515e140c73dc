// PyThreadState and PyThreadState_GET(). ThreadState's constructor reads the
// Runtime's shared policy state, and its detach() is defined with
// deallocation (runtime/dealloc.h): both are templates, so Runtime need only
// be complete where they are instantiated (runtime/runtime.h includes all).
#pragma once

#include <cstdint>

#include "common/cacheline.h"
#include "runtime/config.h"
#include "runtime/counters.h"
#include "runtime/deferred_gc.h"
#include "runtime/object.h"
#include "runtime/qsbr.h"

namespace rclab::runtime {

template <SafeConfig Cfg>
class Runtime;

// PyThreadState: everything the interpreter needs per thread, passed down
// explicitly (the "no TLS" shape of Gilectomy's May 2017 fix). Cache-line
// aligned so that neighbouring thread states never share a line.
template <SafeConfig Cfg>
struct alignas(kCacheLine) ThreadState {
  using RC = typename Cfg::RC;

  explicit ThreadState(Runtime<Cfg>& r)
      : rt(r), rc(r.rc_shared), alloc(r.alloc_shared), frames(r.frames_shared),
        object_freelists(r.object_freelists_shared), gil(r.gil_shared), qsbr(r.qsbr_shared) {
    gc_thread_start(*this);  // 3.14t's collector scans this thread (runtime/deferred_gc_ops.h)
    Cfg::Gen::thread_start(gen, r.gen);  // 3.14t's TLBC index (runtime/generation.h); nothing elsewhere
  }
  ~ThreadState() { detach(); }
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;

  // Returns cached blocks to the allocator, then gives up the allocator's
  // per-thread state (mi_heaps' heap). Call on the owning thread (under the
  // GIL when the configuration has one) before the thread ends; the
  // counters stay readable afterwards, and the thread may still free, never
  // allocate. Idempotent.
  void detach();

  Runtime<Cfg>& rt;
  typename RC::Local rc;
  typename Cfg::Alloc::Local alloc;
  typename Cfg::Frames::Local frames;
  // Tuples, lists, dicts and dict tables kept for reuse
  // (freelists/objects.h): this thread's own under `per_thread`, a handle on
  // the interpreter's under `per_interp`; under `none` an empty member that
  // takes no byte, so the other fields keep their places.
  [[no_unique_address]] typename Cfg::Freelists::Local object_freelists;
  typename Cfg::Gil::Local gil;
  // QSBR (runtime/qsbr.h): attached from here until detach(); reports a
  // quiescent state at each eval-breaker check.
  typename QsbrOf<Cfg>::Local qsbr;
  // 3.14t's collector (runtime/deferred_gc.h): this thread's stop-the-world
  // state, its unflushed allocation count and its per-thread counts.
  typename DeferredGcOf<Cfg>::Local gc;
  // The generation's own per-thread state (runtime/generation.h): 3.13's
  // current interpreter frame and recursion budgets; nothing for 3.6, whose
  // fields follow.
  typename Cfg::Gen::template Local<RC> gen;
  Frame<RC>* frame = nullptr;  // py36: the frame being evaluated (tstate->frame)
  int depth = 0;               // recursion depth (tstate->recursion_depth)
  // The rest of PyThreadState that 3.6's call path reads on every call.
  // Nothing here sets them (rclab has no tracing, no exceptions, no
  // trashcan chain); they are read where 3.6 reads them.
  char overflowed = 0;          // set when the recursion limit was hit
  char tracing = 0;
  int use_tracing = 0;          // a tracer or profiler is installed
  void* c_tracefunc = nullptr;
  int trash_delete_nesting = 0;
  void* trash_delete_later = nullptr;
  void* curexc_type = nullptr;  // the pending exception (PyErr_Occurred)
  void* exc_type = nullptr;     // the exception being handled (a generator's frame saves and restores it)
  // The cyclic GC's youngest generation (generation0's list head), one per
  // thread: 3.6 has one per interpreter under its GIL, which a runtime
  // without a GIL could not share. Frames are the only tracked objects here
  // and never leave their thread, so the per-thread list sees the same
  // operations 3.6's does.
  GcHead gc_generation0{&gc_generation0, &gc_generation0, 0};
  // 3.13t's tstate->dict_global_version: the dict version tags this thread
  // hands out, in batches of 256 from the runtime's counter, under a dict
  // lock that runs without a GIL (runtime/dict.h: dict_next_version).
  std::uint64_t dict_global_version = 0;
  // threading.local's per-thread state (runtime/thread_local.h), made at
  // the thread's first access and dropped by detach(): 3.6's tstate->dict,
  // 3.13's tstate->threading_local_key.
  Dict<RC>* dict = nullptr;
  Str<RC>* threading_local_key = nullptr;
  Counters counters;
};

// PyThreadState_GET(): the thread state through the configuration's lookup
// policy. With a looking-up policy the caller then works through the state
// it got back, so the lookup cannot be optimised away.
template <class Cfg>
inline ThreadState<Cfg>& tstate_get(ThreadState<Cfg>& passed) {
  if constexpr (Cfg::TState::kLooksUp) {
    ThreadState<Cfg>& ts = Cfg::TState::get(passed);
    ++ts.counters.tstate_lookups;
    return ts;
  } else {
    return passed;
  }
}

}  // namespace rclab::runtime
