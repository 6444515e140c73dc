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

namespace rclab::refcount {

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

}  // namespace rclab::refcount
