// `global`: one freelist for all threads, guarded by one mutex — CPython's
// frame freelist (a global `free_list`, at most PyFrame_MAXFREELIST = 200
// frames) made safe without a GIL the way Gilectomy first did it, by locking
// around it. Every call's frame then passes through one lock twice.
#pragma once

#include <cstddef>
#include <cstring>
#include <mutex>
#include <string_view>

#include "freelists/freelist.h"

#include "common/cacheline.h"
#include "common/lock_trace.h"

namespace rclab::freelists {

template <std::size_t Cap = 200>
struct Global {
  static constexpr std::string_view kName = "global";
  static constexpr bool kNeedsGil = false;
  static constexpr std::size_t kCapacity = Cap;

  struct alignas(kCacheLine) Shared {
    std::mutex lock;  // guards head and count
    void* head = nullptr;
    std::size_t count = 0;
  };
  struct Local {
    explicit Local(Shared& s) noexcept : shared(&s) {}
    Shared* shared;
    LockTrace* trace = nullptr;  // set only when tracing (rclab trace)
  };

  static void* pop(Local& l) {
    Shared& s = *l.shared;
    TracedLock g(s.lock, l.trace, LockId::kFreelist);
    void* p = s.head;
    if (p != nullptr) {
      s.head = load_link(p);
      --s.count;
    }
    return p;
  }

  static bool push(Local& l, void* p) {
    Shared& s = *l.shared;
    TracedLock g(s.lock, l.trace, LockId::kFreelist);
    if (s.count == kCapacity) return false;
    store_link(p, s.head);
    s.head = p;
    ++s.count;
    return true;
  }

  // A thread leaving takes nothing with it: its frames stay for the others.
  static void drain(Local&, void (*)(void*, void*), void*) {}

  static void drain_shared(Shared& s, void (*release)(void*, void*), void* ctx) {
    std::lock_guard g(s.lock);
    while (void* p = s.head) {
      s.head = load_link(p);
      --s.count;
      release(ctx, p);
    }
  }
};

}  // namespace rclab::freelists
