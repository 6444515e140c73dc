// Allocation and reference counting: the object operations everything else
// is built from, and the refcount policy's hooks (safepoints, parking,
// quiescence). dealloc() is declared here and defined in runtime/dealloc.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <type_traits>

#include "common/fatal.h"
#include "freelists/objects.h"
#include "refcount/policy.h"
#include "runtime/counters.h"
#include "runtime/object.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// Allocation and reference counting. Every path that creates, references or
// frees an object goes through these, so the counters are complete.

template <class Cfg>
inline void* alloc_block(ThreadState<Cfg>& ts, std::size_t size) {
  ++ts.counters.blocks_allocated;
  return Cfg::Alloc::alloc(ts.alloc, size);
}

template <class Cfg>
inline void free_block(ThreadState<Cfg>& ts, void* p, std::size_t size) {
  ++ts.counters.blocks_freed;
  Cfg::Alloc::free(ts.alloc, p, size);
}

// The object freelists (freelists/objects.h, the configuration's
// Freelists): a block of `kind` kept by an earlier deallocation, or nullptr
// (the caller then allocates one); and keeping a dead object's block, false
// when that kind's list is full (the caller then frees it). A kept block is
// raw memory until pop hands it to init_object, which makes the popping
// thread its owner. Under `none` both fold away.
template <class Cfg>
[[gnu::always_inline]] inline void* pop_object_block(ThreadState<Cfg>& ts, std::size_t kind) {
  void* p = Cfg::Freelists::pop(ts.object_freelists, kind);
  if (p != nullptr) ++ts.counters.from_freelist;
  return p;
}

template <class Cfg>
[[gnu::always_inline]] inline bool keep_object_block(ThreadState<Cfg>& ts, std::size_t kind, void* p) {
  if (!Cfg::Freelists::push(ts.object_freelists, kind, p)) return false;
  ++ts.counters.to_freelist;
  return true;
}

// _Py_NewReference: a fresh object with one reference, owned by this thread.
// Under a policy that makes every object made before the workers run
// immortal (kImmortalizeShared), objects a workload's module makes at
// set-up are immortalized here (frames excepted: they stay private).
// --- 3.14t's young count (runtime/deferred_gc.h) ------------------------------
// Here, not in runtime/deferred_gc_ops.h, because every object's creation
// and release runs through it.
namespace detail {
// Adds what this thread allocated and freed to the young count; true when
// a collection should be scheduled (gc_should_collect's first two gates).
template <class Cfg>
bool flush_alloc_count(ThreadState<Cfg>& ts) {
  auto& s = ts.rt.gc_shared;
  const std::int64_t n = ts.gc.alloc_count;
  ts.gc.alloc_count = 0;
  s.net_total.fetch_add(n, std::memory_order_relaxed);
  const std::int64_t young = s.young.fetch_add(n, std::memory_order_relaxed) + n;
  return n > 0 && young > DeferredGc::kThreshold && young >= s.long_lived.load(std::memory_order_relaxed) / 4;
}
}  // namespace detail

// record_allocation / record_deallocation, for GC-tracked types: a
// thread-local count, added to the shared one each 512.
template <class Cfg>
[[gnu::always_inline]] inline void gc_alloc(ThreadState<Cfg>& ts, Type type) {
  if constexpr (kHasDeferredGc<Cfg>) {
    if (!is_gc_type(type)) return;
    if (++ts.gc.alloc_count >= DeferredGc::kLocalBatch) [[unlikely]]
      if (detail::flush_alloc_count(ts)) ts.rt.breaker.set(EvalBreaker::kGcScheduled);  // _Py_ScheduleGC
  } else {
    (void)ts, (void)type;
  }
}
template <class Cfg>
[[gnu::always_inline]] inline void gc_free(ThreadState<Cfg>& ts, Type type) {
  if constexpr (kHasDeferredGc<Cfg>) {
    if (!is_gc_type(type)) return;
    if (--ts.gc.alloc_count <= -DeferredGc::kLocalBatch) [[unlikely]]
      detail::flush_alloc_count(ts);
  } else {
    (void)ts, (void)type;
  }
}

// A thread leaves and re-enters the interpreter around a blocking wait: a
// stop-the-world then does not wait for it (runtime/stop_the_world.h).
template <class Cfg>
inline void stw_detach(ThreadState<Cfg>& ts) {
  if constexpr (kHasDeferredGc<Cfg>) ts.rt.gc_shared.stw.detach(ts.gc.stw);
  else (void)ts;
}
template <class Cfg>
inline void stw_attach(ThreadState<Cfg>& ts) {
  if constexpr (kHasDeferredGc<Cfg>) ts.rt.gc_shared.stw.attach(ts.gc.stw);
  else (void)ts;
}

template <class Cfg>
inline void init_object(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Type type) {
  Cfg::RC::init(o->rc, ts.rc);
  o->type = type;
  o->flags = 0;
  ++ts.counters.objects_created;
  gc_alloc(ts, type);
  if constexpr (requires { Cfg::RC::kImmortalizeShared; }) {
    if (ts.rt.immortalize_new && type != Type::kFrame) ts.rt.immortalize(ts, o);
  }
}

// Debug builds poison every deallocated object (its type tag becomes kFreed)
// and check the tag on every incref and decref, so touching a freed object
// whose memory is still ours (a frame on a freelist) fails at once, even
// without AddressSanitizer. Release builds compile both to nothing.
template <class RC>
inline void poison(Object<RC>* o) {
#ifndef NDEBUG
  o->type = Type::kFreed;
#else
  (void)o;
#endif
}

template <class RC>
inline void check_alive(const Object<RC>* o, const char* what) {
#ifndef NDEBUG
  if (o->type == Type::kFreed) [[unlikely]]
    fatal(what);
#else
  (void)o;
  (void)what;
#endif
}

// Whether the thread's tallies count the operations that met an immortal
// object (Tally::immortal_increfs, immortal_decrefs). A configuration says
// so with kCountImmortal (tests/py313_test.cpp's counting configurations);
// every registered one leaves it out, since the test and the add would
// cost a measured run about 8% of its instructions on py313's fib. A build
// with RCLAB_COUNT_IMMORTAL defined counts them in every configuration, so
// that a run's mortal counts (increfs - immortal_increfs) can be checked
// against a --enable-pystats CPython's (tools/dev/pystats_per_iteration.py);
// its timings are not the registered configurations'.
template <class Cfg>
constexpr bool counts_immortal() {
#ifdef RCLAB_COUNT_IMMORTAL
  return refcount::CanImmortalize<typename Cfg::RC>;
#else
  if constexpr (requires { Cfg::kCountImmortal; })
    return Cfg::kCountImmortal && refcount::CanImmortalize<typename Cfg::RC>;
  else
    return false;
#endif
}

// Forced inline: GCC's size heuristics once moved decref
// out of line for policies with a longer fast path (an immortal test), which
// cost `limit` 160 instructions per fib call.
template <class Cfg>
[[gnu::always_inline]] inline void incref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  check_alive(o, "use after free: incref of a deallocated object");
  ++t.increfs;
  if constexpr (counts_immortal<Cfg>()) t.immortal_increfs += Cfg::RC::is_immortal(o->rc);
  Cfg::RC::incref(o->rc, ts.rc);
}

template <class Cfg>
void dealloc(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o);

template <class Cfg>
[[gnu::always_inline]] inline void decref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  check_alive(o, "use after free: decref of a deallocated object");
  ++t.decrefs;
  if constexpr (counts_immortal<Cfg>()) t.immortal_decrefs += Cfg::RC::is_immortal(o->rc);
  if (Cfg::RC::decref(o->rc, ts.rc)) [[unlikely]]
    dealloc(ts, o);  // counts its own decrefs into ts.counters
}

// Stack references (refcount/deferred.h): references held by a frame's
// value stack, locals and code/globals/builtins fields. Under a deferring
// policy a stack reference to a deferred object is not counted — push and
// pop alike, so they always match. Every other policy counts them as usual.
template <class Cfg>
[[gnu::always_inline]] inline void incref_stack(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  if constexpr (refcount::defers_stack_refs<typename Cfg::RC>()) {
    if (o->flags & kDeferredFlag) {
      check_alive(o, "use after free: incref of a deallocated object");
      ++t.increfs;
      ++t.deferred;
      return;
    }
  }
  incref(ts, o, t);
}

template <class Cfg>
[[gnu::always_inline]] inline void decref_stack(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  if constexpr (refcount::defers_stack_refs<typename Cfg::RC>()) {
    if (o->flags & kDeferredFlag) {
      check_alive(o, "use after free: decref of a deallocated object");
      ++t.decrefs;
      ++t.deferred;
      return;
    }
  }
  decref(ts, o, t);
}

namespace detail {
// Fields that unlocked readers load (dicts' tables and entries, lists'
// sizes, arrays and slots): acquire loads and release stores when the
// container's lock lets readers in unlocked, plain accesses otherwise (the
// same code as before container locks existed).
template <bool kShared, class T>
[[gnu::always_inline]] inline T load(const T& x) {
  if constexpr (kShared)
    return std::atomic_ref<T>(const_cast<T&>(x)).load(std::memory_order_acquire);
  else
    return x;
}
template <bool kShared, class T>
[[gnu::always_inline]] inline void store(T& x, T v) {
  if constexpr (kShared)
    std::atomic_ref<T>(x).store(v, std::memory_order_release);
  else
    x = v;
}
}  // namespace detail

// --- References taken without the container's lock (3.13t's readers) ----
//
// A reader that loaded `v` from `*slot` while another thread may be storing
// there takes its stack reference with try_incref_compare
// (_Py_TryIncrefCompare): the fast try (immortal, or owned by this thread:
// no atomic, no re-check), else the shared try, after which the slot is
// loaded again and the reference dropped if it moved. False: no reference
// taken; the caller falls back to its locked path, which takes it with
// incref_with_lock (_Py_NewRefWithLock). For a counting policy without
// these tries (atomic, ...) the incref always succeeds, and the re-check
// still runs: rclab's readers only ever meet live objects (runtime/dict.h's
// invariant), so an unconditional incref is safe there.
template <class Cfg>
[[gnu::always_inline]] inline bool owned_by_this_thread(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  if constexpr (requires { Cfg::RC::owned_by(o->rc, ts.rc); })
    return Cfg::RC::owned_by(o->rc, ts.rc);
  else
    return false;  // no owner: every container is someone else's
}

// _PyObject_IsUniquelyReferenced (3.14t): the caller's reference is the only
// one, so no other thread can reach the object. Under an owner-biased policy
// the object must be this thread's with a count of 1 (3.14t: ob_tid is this
// thread's, ob_ref_local 1, ob_ref_shared 0); under one without owners a
// count of 1 says the same.
template <class Cfg>
[[gnu::always_inline]] inline bool uniquely_referenced(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  if constexpr (requires { Cfg::RC::owned_by(o->rc, ts.rc); })
    return Cfg::RC::owned_by(o->rc, ts.rc) && Cfg::RC::count(o->rc) == 1;
  else
    return Cfg::RC::count(o->rc) == 1;
}

template <class Cfg>
[[gnu::always_inline]] inline bool try_incref_compare(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* const* slot,
                                                      Object<typename Cfg::RC>* v, Tally& t) {
  using RC = typename Cfg::RC;
  if constexpr (refcount::defers_stack_refs<RC>()) {
    if (v->flags & kDeferredFlag) {  // a stack reference to it is uncounted
      ++t.increfs;
      ++t.deferred;
      return true;
    }
  }
  check_alive(v, "use after free: try-incref of a deallocated object");
  if constexpr (requires { RC::try_incref_fast(v->rc, ts.rc); RC::try_incref_shared(v->rc); }) {
    if (RC::try_incref_fast(v->rc, ts.rc)) [[likely]] {
      ++t.increfs;
      if constexpr (counts_immortal<Cfg>()) t.immortal_increfs += RC::is_immortal(v->rc);
      return true;
    }
    if (!RC::try_incref_shared(v->rc)) return false;
    ++t.increfs;
  } else {
    incref(ts, v, t);
  }
  if (detail::load<true>(*slot) != v) {
    decref(ts, v, t);
    return false;
  }
  return true;
}

template <class Cfg>
[[gnu::always_inline]] inline void incref_with_lock(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v, Tally& t) {
  using RC = typename Cfg::RC;
  if constexpr (refcount::defers_stack_refs<RC>()) {
    if (v->flags & kDeferredFlag) {
      ++t.increfs;
      ++t.deferred;
      return;
    }
  }
  if constexpr (requires { RC::incref_with_lock(v->rc, ts.rc); }) {
    check_alive(v, "use after free: incref of a deallocated object");
    ++t.increfs;
    if constexpr (counts_immortal<Cfg>()) t.immortal_increfs += RC::is_immortal(v->rc);
    RC::incref_with_lock(v->rc, ts.rc);
  } else {
    incref(ts, v, t);
  }
}

// A counted reference that goes onto the value stack (a C function's
// result), and a stack reference that moves into the heap (BUILD_TUPLE's
// items). Under a deferring policy a deferred object's stack references are
// uncounted, so the count follows the move: one uncounted decrement or
// increment, not a 3.6 operation, so not tallied. Deferred objects are the
// module's functions, code objects and namespaces, which the module keeps
// alive, so the decrement never frees. Every other policy: nothing.
template <class Cfg>
[[gnu::always_inline]] inline void to_stack(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  if constexpr (refcount::defers_stack_refs<typename Cfg::RC>()) {
    if (o->flags & kDeferredFlag) [[unlikely]]
      if (Cfg::RC::decref(o->rc, ts.rc)) fatal("to_stack: a deferred object lost its last reference");
  }
  (void)ts, (void)o;
}
template <class Cfg>
[[gnu::always_inline]] inline void from_stack(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  if constexpr (refcount::defers_stack_refs<typename Cfg::RC>()) {
    if (o->flags & kDeferredFlag) [[unlikely]]
      Cfg::RC::incref(o->rc, ts.rc);
  }
  (void)ts, (void)o;
}

// Policies with safepoints (biased counting's merge queue): the owner
// merges what other threads queued to it, and frees what that leaves at
// zero. Polled where the eval loop polls its breaker, and at shutdown.
template <class Cfg>
inline void rc_free_header(ThreadState<Cfg>& ts, typename Cfg::RC::Header& h) {
  static_assert(std::is_standard_layout_v<Object<typename Cfg::RC>>, "the header is the object's first member");
  dealloc(ts, reinterpret_cast<Object<typename Cfg::RC>*>(&h));
}

template <class Cfg>
[[gnu::noinline]] void rc_safepoint(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasSafepoint<typename Cfg::RC>)
    Cfg::RC::safepoint(ts.rc, [&](typename Cfg::RC::Header& h) { rc_free_header(ts, h); });
}

template <class Cfg>
[[gnu::always_inline]] inline void poll_rc_safepoint(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasSafepoint<typename Cfg::RC>) {
    if (Cfg::RC::has_pending(ts.rc)) [[unlikely]]
      rc_safepoint(ts);
  }
}

// QSBR (runtime/qsbr.h, common/qsbr.h): what a dict writer retired — a
// counted reference (size 0) or a table block — reclaimed once every
// attached thread has passed a quiescent state after it was unlinked.
template <class Cfg>
inline void qsbr_reclaim(ThreadState<Cfg>& ts, const Qsbr::Item& it) {
  if (it.size == 0)
    decref(ts, static_cast<Object<typename Cfg::RC>*>(it.ptr));
  else
    free_block(ts, it.ptr, it.size);
}
template <class Cfg>
[[gnu::noinline]] void qsbr_process(ThreadState<Cfg>& ts) {
  Qsbr::process(ts.qsbr, [&](const Qsbr::Item& it) { qsbr_reclaim(ts, it); });
}
// CHECK_EVAL_BREAKER's QSBR_QUIESCENT_STATE: between two of these a thread
// may hold pointers it loaded unlocked; here it holds none. A relaxed-cost
// load of the shared write sequence and a store to the thread's own line;
// processing, when retiring asked for it, out of line.
template <class Cfg>
[[gnu::always_inline]] inline void poll_quiescent(ThreadState<Cfg>& ts) {
  if constexpr (kUsesQsbr<Cfg>) {
    Qsbr::quiescent(ts.qsbr);
    if (Qsbr::has_pending(ts.qsbr)) [[unlikely]]
      qsbr_process(ts);
  }
}
// Shutdown, with every other thread gone: everything retired is reclaimed.
template <class Cfg>
void qsbr_drain(ThreadState<Cfg>& ts) {
  if constexpr (kUsesQsbr<Cfg>) Qsbr::drain(ts.qsbr, [&](const Qsbr::Item& it) { qsbr_reclaim(ts, it); });
}
// A thread that never reads a dict (buffered counting's commit thread).
template <class Cfg>
void qsbr_park(ThreadState<Cfg>& ts) {
  if constexpr (kUsesQsbr<Cfg>) Qsbr::park(ts.qsbr);
}

// A GIL drop request honoured: the thread hands the GIL over and waits for
// it detached, as 3.13t's _PyThreadState_Detach/Attach around take_gil do,
// so QSBR does not wait for a thread that waits for the GIL (it is at a
// quiescent point: an eval-breaker check).
template <class Cfg>
inline void gil_yield(ThreadState<Cfg>& ts) {
  if constexpr (kUsesQsbr<Cfg>) Qsbr::park(ts.qsbr);
  stw_detach(ts);
  Cfg::Gil::yield(ts.rt.gil_shared, ts.gil);
  stw_attach(ts);
  if constexpr (kUsesQsbr<Cfg>) Qsbr::unpark(ts.qsbr);
}

// Around a thread's blocking waits (barriers, joins, a contended dict
// lock): a policy whose helper thread must not wait for it (buffered
// counting) is told, and QSBR does not wait for a blocked thread, which
// holds no unlocked pointer while it waits; no-ops otherwise.
template <class Cfg>
inline void park(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasParking<typename Cfg::RC>) Cfg::RC::park(ts.rc);
  if constexpr (kUsesQsbr<Cfg>) Qsbr::park(ts.qsbr);
  stw_detach(ts);
}
template <class Cfg>
inline void unpark(ThreadState<Cfg>& ts) {
  stw_attach(ts);
  if constexpr (kUsesQsbr<Cfg>) Qsbr::unpark(ts.qsbr);
  if constexpr (refcount::HasParking<typename Cfg::RC>) Cfg::RC::unpark(ts.rc);
}
// Waits until every count is exact (a policy with a commit thread applies
// everything logged so far); a no-op for policies whose counts are always
// exact.
template <class Cfg>
inline void quiesce(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasCommitThread<typename Cfg::RC>) Cfg::RC::quiesce(ts.rc);
}

template <class Cfg>
inline void incref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  incref(ts, o, ts.counters.rc);
}

template <class Cfg>
inline void decref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  decref(ts, o, ts.counters.rc);
}

template <class Cfg>
inline void xdecref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  if (o != nullptr) decref(ts, o);
}

// A reference to an immortal singleton or small int handed out by C code:
// 3.6 increfs it (Py_INCREF(Py_None); return Py_None), 3.12+ takes none
// (Py_RETURN_NONE is `return Py_None`: PEP 683 made the count unnecessary).
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* new_ref_to_immortal(ThreadState<Cfg>& ts,
                                                                             Object<typename Cfg::RC>* o, Tally& t) {
  if constexpr (!Cfg::Gen::kImmortalsUncounted) incref(ts, o, t);
  return o;
}

}  // namespace rclab::runtime
