// The GIL policy concept.
//
// Contract:
//   Shared(breaker, settings) one lock per runtime; it may raise requests on
//                             the runtime's eval breaker, and reads its own
//                             declared settings (kSettings, common/settings.h).
//   take(shared, local)       block until this thread holds the GIL.
//   drop(shared, local)       release it.
//   yield(shared, local)      called by the eval loop when the breaker carries
//                             a drop request: release, let a waiter in, retake.
//   kExclusive                true when holding it excludes every other
//                             interpreter thread (so `plain` counting and the
//                             unlocked allocator are safe under it).
//   tick(shared, local)       called once per counted instruction (where the
//                             loop polls the eval breaker); a tick-driven GIL
//                             releases and re-takes here, the others do nothing.
//   stats(shared)             switches, drop requests, tick releases so far.
//   kIsolated (optional)      true when every thread gets a runtime of its own
//                             (gil_isolated.h); the driver must then build one
//                             Runtime per worker (experiments/workload_run.h).
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string_view>

#include "common/eval_breaker.h"
#include "common/settings.h"

namespace rclab::runtime {

struct GilStats {
  std::uint64_t switches = 0;        // times the GIL changed holder
  std::uint64_t drop_requests = 0;   // interval: times a waiter timed out and asked the holder to drop
  std::uint64_t tick_releases = 0;   // ticks: check-interval releases (each a chance to switch)
};

template <class G>
concept GilPolicy =
    std::constructible_from<typename G::Shared, EvalBreaker&, const Settings&> &&
    std::constructible_from<typename G::Local, typename G::Shared&> &&
    requires(typename G::Shared& s, const typename G::Shared& cs, typename G::Local& l) {
      { G::kName } -> std::convertible_to<std::string_view>;
      { G::kExclusive } -> std::convertible_to<bool>;
      { G::take(s, l) } -> std::same_as<void>;
      { G::drop(s, l) } -> std::same_as<void>;
      { G::yield(s, l) } -> std::same_as<void>;
      { G::tick(s, l) } -> std::same_as<void>;
      { G::stats(cs) } -> std::same_as<GilStats>;
    };

}  // namespace rclab::runtime
