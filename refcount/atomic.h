// `atomic`: every incref and decref is a lock-prefixed read-modify-write
// (Gilectomy, June 2016: `__sync_fetch_and_add`). Correct without a GIL; the
// cost is that a count shared by threads on different cores bounces its cache
// line on every operation — the 18.9x CPU of Hastings' PyCon 2017 slide.
//
// Memory order. Increments are relaxed: taking a new reference needs an
// existing one, which already orders the object's contents for this thread.
// Decrements are acq_rel, so every write made through any reference happens
// before the deallocation that follows the last one (the shared_ptr
// argument), as libstdc++'s shared_ptr does. Boost and Rust's Arc use a
// release decrement plus an acquire fence on zero instead; ThreadSanitizer
// does not model fences, and on x86-64 both compile to the same `lock xadd`
// Gilectomy used.
#pragma once

#include <atomic>
#include <memory>
#include <cstdint>
#include <string_view>

namespace rclab::refcount {

struct Atomic {
  static constexpr std::string_view kName = "atomic";
  static constexpr bool kNeedsGil = false;

  struct Header {
    std::atomic<std::int64_t> refcnt;
  };
  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  // The header's memory comes raw from an allocator or a freelist: begin the
  // atomic's lifetime here. No other thread can see the object yet.
  static void init(Header& h, Local&) { std::construct_at(&h.refcnt, 1); }

  static void incref(Header& h, Local&) { h.refcnt.fetch_add(1, std::memory_order_relaxed); }

  static bool decref(Header& h, Local&) { return h.refcnt.fetch_sub(1, std::memory_order_acq_rel) == 1; }

  static std::int64_t count(const Header& h) { return h.refcnt.load(std::memory_order_relaxed); }

  // Adds `delta` (either sign) from any thread, with no zero test: only for
  // objects that carry a deferred bias (refcount/ft314.h), whose count this
  // cannot take to zero.
  static void add_count(Header& h, std::int64_t delta) { h.refcnt.fetch_add(delta, std::memory_order_relaxed); }
};

}  // namespace rclab::refcount
