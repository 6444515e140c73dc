// `none`: no GIL. take/drop/yield compile to nothing, so a configuration
// without a GIL pays nothing for the GIL interface. It excludes nothing, so
// any policy with kNeedsGil is refused next to it.
#pragma once

#include <string_view>

#include "runtime/gil.h"

namespace rclab::runtime {

struct NoGil {
  static constexpr std::string_view kName = "none";
  static constexpr bool kExclusive = false;

  struct Shared {
    Shared(EvalBreaker&, const Settings&) noexcept {}
  };
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void take(Shared&, Local&) {}
  static void drop(Shared&, Local&) {}
  static void yield(Shared&, Local&) {}
  static void tick(Shared&, Local&) {}
  static GilStats stats(const Shared&) { return {}; }
};

}  // namespace rclab::runtime
