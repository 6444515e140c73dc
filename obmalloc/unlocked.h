// `unlocked`: one pymalloc heap and no lock at all — CPython's own obmalloc,
// which is correct only because the GIL lets one thread at a time in.
// kNeedsGil, so a configuration without a GIL that excludes cannot use it
// (runtime/config.h refuses it at compile time).
#pragma once

#include <string_view>

#include "obmalloc/pymalloc.h"

namespace rclab::obmalloc {

template <class G = pymalloc::Geometry310, bool kStats = pymalloc::kStatsDefault>
struct Unlocked : Pymalloc<G, kStats> {
  static constexpr std::string_view kName = "unlocked";
  static constexpr std::string_view kBackendName = "pymalloc";
};

}  // namespace rclab::obmalloc
