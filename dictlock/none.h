// `none`: no dict lock. CPython with its GIL: the GIL serialises every dict
// operation, so a read is the bare lookup and a write the bare update — the
// same code as a dict with no policy at all. kNeedsGil, so it is refused
// beside a GIL that excludes nothing.
#pragma once

#include <string_view>

#include "dictlock/policy.h"

namespace rclab::dictlock {

struct None {
  static constexpr std::string_view kName = "none";
  static constexpr bool kNeedsGil = true;
  static constexpr bool kUnlockedReaders = false;
  static constexpr bool kRecursive = false;

  struct State {};  // empty: the dict's block does not grow

  template <class Lookup, class Keep>
  [[gnu::always_inline]] static auto read(State&, Lookup&& lookup, Keep&& keep) {
    auto r = lookup();
    keep(r);
    return r;
  }
  template <class Update>
  [[gnu::always_inline]] static void write(State&, Update&& update) {
    update();
  }
  static void lock(State&) {}
  static void unlock(State&) {}
  static bool has_waiters(const State&) { return false; }
};

static_assert(Policy<None>);

}  // namespace rclab::dictlock
