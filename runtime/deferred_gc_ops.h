// The operations of 3.14t's collector and per-thread counts
// (runtime/deferred_gc.h says what they model and how they differ from
// 3.14t). Each is a no-op, or the plain count operation, for a
// configuration without `ft314` (and `ptrc`).
//
// Lock order (deadlock freedom): a collector stops the world before it
// takes DeferredGc::Shared::lock, and an attached thread holds that lock
// only for a few instructions that never wait; a thread that ends detaches
// from the stop first and takes the lock detached.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/fatal.h"
#include "refcount/ft314.h"
#include "runtime/deferred_gc.h"
#include "runtime/generation.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

template <class Cfg>
void dealloc(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o);

// --- registration ------------------------------------------------------------

// A thread state's start: it joins the stop-the-world and the collector's
// list of threads to scan, attached.
template <class Cfg>
void gc_thread_start(ThreadState<Cfg>& ts) {
  if constexpr (kHasDeferredGc<Cfg>) {
    auto& s = ts.rt.gc_shared;
    s.stw.add(ts.gc.stw);  // waits out a stop in force
    std::lock_guard g(s.lock);
    s.threads.push_back(&ts);
    ts.gc.registered = true;
  }
}

namespace detail {
// _PyObject_MergePerThreadRefcounts for one thread, under Shared::lock.
template <class Cfg>
void merge_refcounts_locked(ThreadState<Cfg>& ts) {
  auto& s = ts.rt.gc_shared;
  auto& counts = ts.gc.refcounts;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    auto* o = static_cast<Object<typename Cfg::RC>*>(s.ids[i]);
    if (o == nullptr) fatal("ptrc: a thread counts an object whose unique id was released");
    Cfg::RC::add_count(o->rc, counts[i]);
    counts[i] = 0;
    ++s.merged;
  }
}
}  // namespace detail

// A thread state's end (its detach): its counts merged for good (later
// increments go to the objects), its allocation count flushed, and it leaves
// the stop-the-world. Idempotent.
template <class Cfg>
void gc_thread_end(ThreadState<Cfg>& ts) {
  if constexpr (kHasDeferredGc<Cfg>) {
    if (!ts.gc.registered) return;
    auto& s = ts.rt.gc_shared;
    s.stw.detach(ts.gc.stw);  // a collection does not wait for this thread any more
    {
      std::lock_guard g(s.lock);  // and cannot run while it merges
      detail::merge_refcounts_locked(ts);
      ts.gc.finalized = true;
      std::erase(s.threads, &ts);
      ts.gc.registered = false;
    }
    detail::flush_alloc_count(ts);
    s.stw.remove(ts.gc.stw);
  }
}

// --- deferring, ids and per-thread counts --------------------------------------

// _PyObject_SetDeferredRefcount at creation, by the creating thread, before
// another thread can see the object; with `ptrc` and `with_id`,
// _PyObject_AssignUniqueId too. Without `ft314` only the deferred bit is
// set: it marks what nogil-3.9 and 3.13t defer (refcount/deferred.h,
// refcount/ft313.h).
template <class Cfg>
void gc_defer(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, bool with_id) {
  o->flags |= kDeferredFlag;
  if constexpr (kHasDeferredGc<Cfg>) {
    using RC = typename Cfg::RC;
    RC::add_count(o->rc, refcount::deferred_bias<RC>());
    auto& s = ts.rt.gc_shared;
    std::lock_guard g(s.lock);
    s.deferred.push_back(o);
    if constexpr (kHasPerThreadRefcounts<Cfg>) {
      if (!with_id) return;
      std::uint32_t* field = unique_id_field(o);
      if (field == nullptr) fatal("ptrc: a unique id for an object that cannot hold one");
      std::uint32_t index;
      if (!s.free_ids.empty()) {  // the pool hands out its lowest free id
        auto lowest = std::min_element(s.free_ids.begin(), s.free_ids.end());
        index = *lowest;
        s.free_ids.erase(lowest);
        s.ids[index] = o;
      } else {
        index = std::uint32_t(s.ids.size());
        s.ids.push_back(o);
      }
      *field = index + 1;
    }
  } else {
    (void)ts, (void)with_id;
  }
}

// This thread's count of an object with a unique id, or null when it has
// none (or the thread has ended): the array grows to the pool's size on
// first need (resize_local_refcounts).
template <class Cfg>
[[gnu::always_inline]] inline std::int64_t* per_thread_slot(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  const std::uint32_t* field = unique_id_field(o);
  const std::uint32_t id = field != nullptr ? *field : 0;
  if (id == 0 || ts.gc.finalized) return nullptr;
  auto& counts = ts.gc.refcounts;
  if (id > counts.size()) [[unlikely]] {
    std::lock_guard g(ts.rt.gc_shared.lock);
    counts.resize(ts.rt.gc_shared.ids.size(), 0);
  }
  return &counts[id - 1];
}

// _Py_INCREF_TYPE, _Py_INCREF_CODE, _Py_INCREF_DICT: into this thread's
// array when the object has an id, else a plain incref; and the decrements,
// which may take a thread's count below zero (the sum over threads is what
// counts).
template <class Cfg>
[[gnu::always_inline]] inline void thread_incref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  if constexpr (kHasPerThreadRefcounts<Cfg>) {
    if (std::int64_t* c = per_thread_slot(ts, o)) [[likely]] {
      ++*c;
      ++t.increfs;
      ++t.per_thread;
      return;
    }
  }
  incref(ts, o, t);
}
template <class Cfg>
[[gnu::always_inline]] inline void thread_decref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  if constexpr (kHasPerThreadRefcounts<Cfg>) {
    if (std::int64_t* c = per_thread_slot(ts, o)) [[likely]] {
      --*c;
      ++t.decrefs;
      ++t.per_thread;
      return;
    }
  }
  decref(ts, o, t);
}

// --- a collection ------------------------------------------------------------------

namespace detail {
// Frees the unreachable deferred objects. The world is stopped (or `ts` is
// the only thread left) and Shared::lock is not held.
template <class Cfg>
void collect_stopped(ThreadState<Cfg>& ts) {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  auto& s = ts.rt.gc_shared;
  constexpr std::int64_t kBias = refcount::deferred_bias<RC>();
  std::unordered_map<O*, std::int64_t> on_stacks;
  bool stacks_known = true;
  std::vector<O*> candidates;
  {
    std::lock_guard g(s.lock);
    ++s.collections;
    for (void* p : s.threads) {
      auto& other = *static_cast<ThreadState<Cfg>*>(p);
      merge_refcounts_locked(other);
      stacks_known = GenerationOps<typename Cfg::Gen, Cfg>::visit_stack_refs(other, [&](O* o) {
                       if (o->flags & kDeferredFlag) ++on_stacks[o];
                     }) && stacks_known;
    }
    if (!stacks_known) {
      ++s.skipped;  // 3.14t's skip_deferred_objects
      return;
    }
    candidates.reserve(s.deferred.size());
    for (void* p : s.deferred) candidates.push_back(static_cast<O*>(p));
  }
  // Until a pass frees nothing: a freed function drops its code's (and its
  // globals') last heap reference, and the next pass finds them.
  for (bool freed_any = true; freed_any;) {
    freed_any = false;
    std::vector<O*> dead, alive;
    for (O* o : candidates) {
      const std::int64_t heap = RC::count(o->rc) - kBias;
      if (heap < 0) fatal("ft314: a deferred object's count fell below its bias");
      if (heap == 0 && on_stacks.find(o) == on_stacks.end())
        dead.push_back(o);
      else
        alive.push_back(o);
    }
    if (dead.empty()) break;
    {
      std::lock_guard g(s.lock);
      for (O* o : dead) {
        std::erase(s.deferred, static_cast<void*>(o));
        if (std::uint32_t* id = unique_id_field(o); id != nullptr && *id != 0) {
          s.ids[*id - 1] = nullptr;  // _PyObject_ReleaseUniqueId
          s.free_ids.push_back(*id - 1);
          *id = 0;
        }
        ++s.freed;
      }
    }
    // disable_deferred_refcounting, then the deallocation: the bias goes
    // with the object.
    for (O* o : dead) dealloc(ts, o);
    {
      std::lock_guard g(s.lock);  // what the frees dropped through per-thread counts
      merge_refcounts_locked(ts);
    }
    candidates = std::move(alive);
    freed_any = true;
  }
}
}  // namespace detail

// _Py_RunGC at an eval-breaker check that found kGcScheduled: one thread
// collects, the world stopped; the others go on once it is done.
template <class Cfg>
[[gnu::noinline]] void gc_collect(ThreadState<Cfg>& ts) {
  if constexpr (kHasDeferredGc<Cfg>) {
    auto& s = ts.rt.gc_shared;
    ts.rt.breaker.clear(EvalBreaker::kGcScheduled);
    if (s.collecting.exchange(true, std::memory_order_acquire)) return;
    s.stw.stop(ts.gc.stw);
    detail::collect_stopped(ts);
    s.young.store(0, std::memory_order_relaxed);
    s.long_lived.store(s.net_total.load(std::memory_order_relaxed), std::memory_order_relaxed);
    s.stw.start(ts.gc.stw);
    s.collecting.store(false, std::memory_order_release);
  } else {
    (void)ts;
  }
}

// At an eval-breaker check: suspended for another thread's stop, or
// collecting. The caller has saved its frame's stack top.
template <class Cfg>
inline void gc_handle_pending(ThreadState<Cfg>& ts) {
  if constexpr (kHasDeferredGc<Cfg>) {
    if (ts.rt.breaker.test(EvalBreaker::kStopTheWorld)) ts.rt.gc_shared.stw.park_if_requested(ts.gc.stw);
    if (ts.rt.breaker.test(EvalBreaker::kGcScheduled)) gc_collect(ts);
  } else {
    (void)ts;
  }
}

// At shutdown, every worker gone: a collection on the runtime's thread.
template <class Cfg>
void gc_collect_at_shutdown(ThreadState<Cfg>& ts) {
  if constexpr (kHasDeferredGc<Cfg>) {
    auto& s = ts.rt.gc_shared;
    s.stw.stop(ts.gc.stw);
    detail::collect_stopped(ts);
    s.stw.start(ts.gc.stw);
  } else {
    (void)ts;
  }
}

// What a deferred object's count says of its heap references (its bias
// left out); the plain count for every other object.
template <class Cfg>
std::int64_t heap_count(Object<typename Cfg::RC>* o) {
  using RC = typename Cfg::RC;
  const std::int64_t c = RC::count(o->rc);
  if constexpr (kHasDeferredGc<Cfg>) {
    if (o->flags & kDeferredFlag) return c - refcount::deferred_bias<RC>();
  }
  return c;
}

}  // namespace rclab::runtime
