// `immortal`: a modifier (PEP 683). Objects marked immortal — None, True,
// False, the small ints, the interned strings — keep a marker count that
// incref and decref test and leave alone, so the shared singletons that every
// fib call touches are only read: their cache lines stop bouncing between
// cores. Every other object is counted by the base policy, unchanged.
//
// The marker is a count no real object reaches (2^62); a test on the count's
// own word decides, so no extra header field is needed. A policy whose
// header has no single count word (`biased`) says where its marker goes with
// store_immortal_marker/has_immortal_marker (biased: a local count of
// UINT32_MAX, as nogil). The test costs a load
// and a well-predicted branch on every operation, which is the trade PEP 683
// measured (a few percent single-threaded) for the multi-threaded win.
//
// Immortal objects are never freed by decref. The runtime that made them
// immortal frees them itself at shutdown, after every mortal object is gone
// (runtime/runtime.h); only leaf objects (no references of their own) are
// made immortal, so nothing else's count depends on them being freed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "refcount/policy.h"

namespace rclab::refcount {

namespace detail {
inline constexpr std::int64_t kImmortalCount = std::int64_t(1) << 62;

template <class Header>
std::int64_t peek(const Header& h) {
  if constexpr (requires { h.refcnt.load(std::memory_order_relaxed); })
    return h.refcnt.load(std::memory_order_relaxed);
  else
    return h.refcnt;
}
}  // namespace detail

// Derives from Base so that everything the modifier does not change (the
// header, Shared/Local, count(), a policy's safepoint hooks and statistics)
// is Base's own.
template <Policy Base>
struct Immortal : Base {
  using Inner = Base;  // the registry names the chain "<base>+immortal"
  static constexpr std::string_view kModifier = "immortal";
  static constexpr std::int64_t kImmortalCount = detail::kImmortalCount;

  using Header = typename Base::Header;
  using Local = typename Base::Local;

  // Forced inline for the reason given in biased.h.
  [[gnu::always_inline]] static void incref(Header& h, Local& l) {
    if constexpr (requires { Base::incref_unless_immortal(h, l); }) {
      Base::incref_unless_immortal(h, l);  // the base fuses the test with its own load
    } else {
      if (is_immortal(h)) return;
      Base::incref(h, l);
    }
  }

  [[gnu::always_inline]] static bool decref(Header& h, Local& l) {
    if constexpr (requires { Base::decref_unless_immortal(h, l); }) {
      return Base::decref_unless_immortal(h, l);
    } else {
      if (is_immortal(h)) return false;
      return Base::decref(h, l);
    }
  }

  // Called once, by the creating thread, before the object is shared.
  static void make_immortal(Header& h) {
    if constexpr (requires { Base::store_immortal_marker(h); })
      Base::store_immortal_marker(h);
    else if constexpr (requires { h.refcnt.store(0, std::memory_order_relaxed); })
      h.refcnt.store(kImmortalCount, std::memory_order_relaxed);
    else
      h.refcnt = kImmortalCount;
  }

  // Counts only ever grow towards the marker by increfs that real programs
  // never make (2^62 references); immortal objects never leave it.
  [[gnu::always_inline]] static bool is_immortal(const Header& h) {
    if constexpr (requires { Base::has_immortal_marker(h); })
      return Base::has_immortal_marker(h);
    else
      return detail::peek(h) >= kImmortalCount;
  }
};

}  // namespace rclab::refcount
