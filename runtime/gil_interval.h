// `interval`: the GIL of CPython 3.2 and later (Antoine Pitrou's "new GIL",
// Python/ceval_gil.c), modelled on its semantics:
//
//   * A thread that wants the GIL waits on a condition variable for at most
//     the switch interval (5 ms). If it times out and no switch happened in
//     the meantime, it sets the drop request on the eval breaker and keeps
//     waiting.
//   * The holder polls the eval breaker in its loop; on a drop request it
//     releases the GIL and immediately asks for it again (yield).
//   * Forced switching (FORCE_SWITCHING): a holder that released because of a
//     drop request waits until some other thread has actually taken the GIL,
//     so the releasing thread cannot win it straight back — the fix for the
//     convoy effect Beazley showed on the Python 2 GIL.
//
// Lock order: `mutex` before `switch_mutex` (take); drop holds them one after
// the other, never both. Every field that decides ownership is written under
// `mutex`; the atomics exist so the holder's fast checks need no lock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "common/lock_trace.h"
#include "runtime/gil.h"

namespace rclab::runtime {

struct IntervalGil {
  static constexpr std::string_view kName = "interval";
  static constexpr bool kExclusive = true;
  // CPython 3's sys.setswitchinterval default: 5 ms.
  static constexpr SettingSpec kSwitchInterval{"switch_interval_us", 5000, 1, 1'000'000, "us",
                                               "GIL switch interval (sys.setswitchinterval)", "the interval GIL"};
  static constexpr SettingSpec kSettings[] = {kSwitchInterval};

  struct Local;

  struct Shared {
    Shared(EvalBreaker& b, const Settings& s) : breaker(b), interval(s.get(kSwitchInterval)) {}

    EvalBreaker& breaker;
    const std::chrono::microseconds interval;

    std::mutex mutex;               // guards the hand-over; `cond` waits on it
    std::condition_variable cond;   // signalled when the GIL is released
    std::atomic<bool> locked{false};
    std::atomic<const Local*> last_holder{nullptr};
    std::atomic<std::uint64_t> switch_number{0};  // written under `mutex`
    std::atomic<std::uint64_t> drop_requests{0};

    std::mutex switch_mutex;            // FORCE_SWITCHING hand-shake
    std::condition_variable switch_cond;
  };

  struct Local {
    explicit Local(Shared&) noexcept {}
    LockTrace* trace = nullptr;  // set only when tracing (rclab trace)
  };

  static void take(Shared& g, Local& me);
  // Releases the GIL. A thread that is leaving (CPython's drop_gil(NULL) at
  // thread exit) does not wait for the hand-over.
  static void drop(Shared& g, Local& me) { release(g, me, /*force_switch=*/false); }
  // The eval breaker's response to a drop request: release with forced
  // switching, then queue for the GIL again.
  static void yield(Shared& g, Local& me) {
    release(g, me, /*force_switch=*/true);
    take(g, me);
  }
  static void tick(Shared&, Local&) {}  // switching is driven by time, not ticks
  static void release(Shared& g, Local& me, bool force_switch);
  static GilStats stats(const Shared& g) {
    return {g.switch_number.load(std::memory_order_relaxed), g.drop_requests.load(std::memory_order_relaxed), 0};
  }
};

}  // namespace rclab::runtime
