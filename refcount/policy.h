// The reference-count policy concept.
//
// A policy decides three things: the header every object starts with, what
// incref and decref do to it, and what per-thread state that needs. The
// interpreter is a template over the policy, so these calls inline into the
// eval loop: no virtual call, no function pointer on the incref/decref path.
//
// Contract:
//   Header               embedded first in every object; the policy owns it.
//   Shared / Local       one per runtime / one per thread, as for allocators.
//   init(h, local)       a new object: count 1, created by local's thread.
//   incref(h, local)     add a reference.
//   decref(h, local)     drop a reference; true when that was the last one
//                        and the caller must deallocate the object now.
//                        Returns true at most once per object.
//   count(h)             the current count; exact only when no other thread
//                        is changing it (tests call it after joining).
//   kNeedsGil            true when the policy is only correct while a GIL
//                        serialises every incref and decref. A configuration
//                        pairing such a policy with a non-exclusive GIL is
//                        refused at compile time (runtime/config.h).
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>
#include <vector>

namespace rclab::refcount {

// One named figure a policy reports about its slow paths (queued merges,
// page-pool lock acquisitions...); the run record lists them.
struct PolicyStat {
  std::string_view name;
  std::uint64_t value;
};

template <class P>
concept Policy =
    std::constructible_from<typename P::Local, typename P::Shared&> &&
    requires(typename P::Header& h, const typename P::Header& ch, typename P::Local& local) {
      { P::kName } -> std::convertible_to<std::string_view>;
      { P::kNeedsGil } -> std::convertible_to<bool>;
      { P::init(h, local) } -> std::same_as<void>;
      { P::incref(h, local) } -> std::same_as<void>;
      { P::decref(h, local) } -> std::same_as<bool>;
      { P::count(ch) } -> std::convertible_to<std::int64_t>;
    };

// Policies that can make an object immortal (PEP 683): its count is never
// changed again and it is never freed by decref.
template <class P>
concept CanImmortalize = Policy<P> && requires(typename P::Header& h, const typename P::Header& ch) {
  { P::make_immortal(h) } -> std::same_as<void>;
  { P::is_immortal(ch) } -> std::same_as<bool>;
};

// Immortal objects whose header holds a resource of the policy (remote's
// count cell). The runtime frees immortal objects itself at shutdown, never
// through decref, so it calls release_immortal(h, local) on each first, on
// the thread that frees them.
template <class P>
concept ReleasesImmortals = CanImmortalize<P> && requires(typename P::Header& h, typename P::Local& l) {
  { P::release_immortal(h, l) } -> std::same_as<void>;
};

// Policies whose owner threads must act at safepoints (biased counting's
// merge queue). The runtime polls has_pending() where the eval loop polls
// its eval breaker, calls safepoint() when it is set, and detach() once when
// the thread ends, before its Local is destroyed; after detach() the thread
// touches no reference count. Both run on the Local's own thread and call
// free(header) for each object whose count they took to zero.
template <class P>
concept HasSafepoint = Policy<P> && requires(typename P::Local& l, const typename P::Local& cl,
                                             void (*free)(typename P::Header&)) {
  { P::has_pending(cl) } -> std::same_as<bool>;
  { P::safepoint(l, free) } -> std::same_as<void>;
  { P::detach(l, free) } -> std::same_as<void>;
};

// Policies whose threads must say when they block (buffered counting): a
// parked thread touches no count, so epochs can go on without it. The
// runtime parks a thread around its blocking waits (barriers, joins).
template <class P>
concept HasParking = Policy<P> && requires(typename P::Local& l) {
  { P::park(l) } -> std::same_as<void>;
  { P::unpark(l) } -> std::same_as<void>;
};

// Policies with a helper thread that applies counts and frees objects
// (buffered counting's commit thread). The runtime runs commit_loop() on a
// thread of its own with its own thread state, passing the deallocator;
// quiesce(local) waits until every logged operation has been applied (then
// counts are exact); stop() ends the loop once every other thread has
// detached.
template <class P>
concept HasCommitThread = HasSafepoint<P> && HasParking<P> &&
    requires(typename P::Shared& s, typename P::Local& l, void (*free)(typename P::Header&)) {
      { P::commit_loop(s, l, free) } -> std::same_as<void>;
      { P::wait_started(s) } -> std::same_as<void>;
      { P::quiesce(l) } -> std::same_as<void>;
      { P::stop(s) } -> std::same_as<void>;
    };

// Policies that report slow-path statistics.
template <class P>
concept HasStats = Policy<P> && requires(const typename P::Shared& s) {
  { P::stats(s) } -> std::convertible_to<std::vector<PolicyStat>>;
};

// Modifiers that defer the interpreter stack's references (PEP 703).
template <class P>
constexpr bool defers_stack_refs() {
  if constexpr (requires { P::kDefersStackRefs; })
    return P::kDefersStackRefs;
  else
    return false;
}

// Flags a modifier sets for the runtime to read (each false unless a policy
// in the chain says otherwise; modifiers inherit their base's):
//   kImmortalizeConstants      code constants immortal (3.13t and 3.14t:
//                              Objects/codeobject.c's intern_constants)
//   kImmortalizeAtThreadStart  3.13t's deferred objects immortal at the first
//                              thread start (refcount/ft313.h)
//   kCollectsDeferred          3.14t's deferral: deferred objects carry a
//                              bias and only the collector frees them
//                              (refcount/ft314.h, runtime/deferred_gc.h)
//   kPerThreadRefcounts        3.14t's per-thread counts of types, code and
//                              module dicts (refcount/ptrc.h)
#define RCLAB_POLICY_FLAG(flag)                      \
  template <class P>                                 \
  inline constexpr bool flag = [] {                  \
    if constexpr (requires { P::flag; })             \
      return bool(P::flag);                          \
    else                                             \
      return false;                                  \
  }();
RCLAB_POLICY_FLAG(kImmortalizeConstants)
RCLAB_POLICY_FLAG(kImmortalizeAtThreadStart)
RCLAB_POLICY_FLAG(kCollectsDeferred)
RCLAB_POLICY_FLAG(kPerThreadRefcounts)
#undef RCLAB_POLICY_FLAG

// Policies that can add to a count from any thread without a zero test
// (the deferred bias, merged per-thread counts).
template <class P>
concept AddsCounts = Policy<P> && requires(typename P::Header& h, std::int64_t d) {
  { P::add_count(h, d) } -> std::same_as<void>;
};

// A policy whose mortal objects must never be counted from another thread
// than their creator's (shared_immortal): a workload that hands objects
// between threads (its CROSSES_THREADS) is refused under it.
template <class P>
inline constexpr bool kPrivateOnly = [] {
  if constexpr (requires { P::kPrivateOnly; })
    return bool(P::kPrivateOnly);
  else
    return false;
}();

}  // namespace rclab::refcount
