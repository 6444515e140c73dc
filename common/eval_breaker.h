// The eval breaker: one word of request bits that the interpreter loop polls.
//
// CPython folds "please drop the GIL", pending calls and async exceptions into
// one `eval_breaker` word so the hot loop pays a single relaxed load per check
// (ceval.c). rclab keeps the same shape so that every policy that needs the
// running threads to act at a safepoint can use one check. Today only the
// GIL's drop request, a stop-the-world request and a scheduled collection
// live here: buffered counting's epochs and biased counting's merge queue
// are polled beside it through their policy's own has_pending()
// (runtime/object_ops.h: poll_rc_safepoint).
//
// Threading: any thread may set or clear a bit; the loop reads it relaxed.
// A request is a hint, not a synchronisation: whoever acts on it takes the
// real lock (e.g. the GIL mutex) that orders the data.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/cacheline.h"

namespace rclab {

class alignas(kCacheLine) EvalBreaker {
 public:
  enum Bit : std::uint32_t {
    kGilDropRequest = 1u << 0,
    kStopTheWorld = 1u << 1,  // suspend at this check (runtime/stop_the_world.h)
    kGcScheduled = 1u << 2,   // a thread found the collector's threshold crossed (runtime/deferred_gc.h)
  };

  // The bits below kEventsMask are events (the bits above them would be
  // sys.monitoring's global version, always 0 here): RESUME compares the
  // word without its events against a code's instrumentation version.
  static constexpr std::uint32_t kEventsMask = 0xff;  // _PY_EVAL_EVENTS_MASK
  std::uint32_t word() const { return bits_.load(std::memory_order_relaxed); }
  bool any() const { return bits_.load(std::memory_order_relaxed) != 0; }
  bool test(Bit b) const { return (bits_.load(std::memory_order_relaxed) & b) != 0; }
  void set(Bit b) { bits_.fetch_or(b, std::memory_order_relaxed); }
  void clear(Bit b) { bits_.fetch_and(~std::uint32_t(b), std::memory_order_relaxed); }

 private:
  std::atomic<std::uint32_t> bits_{0};
};

}  // namespace rclab
