// `shared_immortal` (the configuration `limit` until it became an honest
// floor): every object shared between threads is immortal (never counted);
// every other object is counted with plain, non-atomic increments — and
// there is no GIL. It is not a floor: every incref and decref pays the
// immortality test that `gil` does not; `limit` is now gil's work with one
// runtime per thread (runtime/gil_isolated.h).
//
// That is only correct because fib's private objects (frames, large ints)
// never leave the thread that made them. Nothing enforces that in general,
// so debug builds check it: each mortal object records its creating thread,
// and every incref and decref of it from another thread stops the process
// ("shared_immortal: object crossed threads"). Release builds carry no owner field.
//
// The runtime makes every object it creates before the workers start
// immortal (kImmortalizeShared), not just PEP 683's leaves, and frees them at
// shutdown (runtime/runtime.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/fatal.h"

namespace rclab::refcount {

struct SharedImmortal {
  static constexpr std::string_view kName = "shared_immortal";
  static constexpr bool kNeedsGil = false;
  static constexpr bool kImmortalizeShared = true;  // every object made before the workers run
  static constexpr bool kPrivateOnly = true;        // mortal objects must stay on their thread
  static constexpr std::int64_t kImmortalCount = std::int64_t(1) << 62;

  struct Header {
    std::int64_t refcnt;
#ifndef NDEBUG
    std::uint32_t owner;  // the creating thread's Local::id
#endif
  };
  struct Shared {
    std::atomic<std::uint32_t> next_id{1};
  };
  struct Local {
    explicit Local(Shared& s) noexcept : id(s.next_id.fetch_add(1, std::memory_order_relaxed)) {}
    std::uint32_t id;
  };

  static void init(Header& h, Local& l) {
    h.refcnt = 1;
#ifndef NDEBUG
    h.owner = l.id;
#else
    (void)l;
#endif
  }

  [[gnu::always_inline]] static void incref(Header& h, Local& l) {
    if (is_immortal(h)) return;
    check_owner(h, l);
    ++h.refcnt;
  }

  [[gnu::always_inline]] static bool decref(Header& h, Local& l) {
    if (is_immortal(h)) return false;
    check_owner(h, l);
    return --h.refcnt == 0;
  }

  static std::int64_t count(const Header& h) { return h.refcnt; }
  static void make_immortal(Header& h) { h.refcnt = kImmortalCount; }
  // Immortal counts are written once, before any other thread exists, and
  // only read afterwards: these plain reads from many threads do not race.
  static bool is_immortal(const Header& h) { return h.refcnt >= kImmortalCount; }

 private:
  static void check_owner(const Header& h, const Local& l) {
#ifndef NDEBUG
    if (h.owner != l.id) [[unlikely]]
      fatal("shared_immortal: object crossed threads (a mortal object touched by a thread that did not create it)");
#else
    (void)h;
    (void)l;
#endif
  }
};

}  // namespace rclab::refcount
