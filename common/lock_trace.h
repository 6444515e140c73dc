// In-memory lock-event tracing, after David Beazley's GIL instrumentation
// ("Inside the Python GIL", 2009): every lock event goes into a big per-thread array —
// no I/O, no allocation, no lock while the run goes on — and the arrays are
// written out after it.
//
// Off by default: a lock's thread-local state holds a LockTrace* that is
// null unless a trace was asked for, so the cost when off is one
// well-predicted branch at each lock operation (never on the per-instruction
// path). When a buffer is full, further events are counted in `dropped` and
// reported, never silently lost.
//
// Threading: one LockTrace per thread, written only by that thread; read
// after the threads are joined.
//
// Building with -DRCLAB_NO_LOCK_TRACE compiles every recording site out
// (kLockTraceCompiled = false), so "compiled in but off" can be measured
// against "not there at all".
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace rclab {

#ifdef RCLAB_NO_LOCK_TRACE
inline constexpr bool kLockTraceCompiled = false;
#else
inline constexpr bool kLockTraceCompiled = true;
#endif

enum class LockEvent : std::uint8_t {
  kEntry,        // a thread asks for the lock
  kBusy,         // it is held: the thread waits
  kRetry,        // woken, still held: waits again
  kAcquire,      // the thread holds the lock
  kRelease,      // the thread lets it go
  kDropRequest,  // (interval GIL) a waiter asked the holder to drop
  kReleased,     // (GIL) drop_gil returns: after a forced switch's wait for the
                 // next holder, so later than kRelease (per4m ends holding here)
};

enum class LockId : std::uint8_t { kGil, kAlloc, kFreelist };

const char* to_string(LockEvent e);
const char* to_string(LockId l);

struct LockTraceEntry {
  std::int64_t t_ns;     // CLOCK_MONOTONIC
  std::int32_t ticker;   // ticks GIL: _Py_Ticker; interval GIL: 0
  std::uint32_t count;   // ticks GIL: releases so far; interval GIL: switch number
  LockId lock;
  LockEvent event;
};

class LockTrace {
 public:
  explicit LockTrace(std::size_t capacity) { events_.reserve(capacity); }

  void record(LockId lock, LockEvent event, std::int32_t ticker = 0, std::uint32_t count = 0) {
    if (events_.size() == events_.capacity()) [[unlikely]] {
      ++dropped_;
      return;
    }
    events_.push_back({monotonic_ns(), ticker, count, lock, event});
  }

  const std::vector<LockTraceEntry>& events() const { return events_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::vector<LockTraceEntry> events_;
  std::uint64_t dropped_ = 0;
};

// A lock_guard for the locks that are not the GIL (allocator, freelist):
// with a trace, records ENTRY, BUSY when the lock was taken (try_lock
// failed), ACQUIRE and RELEASE; without one, just locks.
class TracedLock {
 public:
  TracedLock(std::mutex& m, LockTrace* trace, LockId id) : m_(m), trace_(kLockTraceCompiled ? trace : nullptr), id_(id) {
    if (trace_ == nullptr) [[likely]] {
      m_.lock();
      return;
    }
    trace_->record(id_, LockEvent::kEntry);
    if (!m_.try_lock()) {
      trace_->record(id_, LockEvent::kBusy);
      m_.lock();
    }
    trace_->record(id_, LockEvent::kAcquire);
  }
  ~TracedLock() {
    if (trace_ != nullptr) [[unlikely]]
      trace_->record(id_, LockEvent::kRelease);
    m_.unlock();
  }
  TracedLock(const TracedLock&) = delete;
  TracedLock& operator=(const TracedLock&) = delete;

 private:
  std::mutex& m_;
  LockTrace* trace_;
  LockId id_;
};

}  // namespace rclab
