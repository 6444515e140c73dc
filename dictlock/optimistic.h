// `optimistic`: nogil's dict reads (colesbury/nogil 043f29ab2a,
// Objects/dictobject.c): writers take the dict's mutex (`assign`, lines
// 1078-1111, inside Py_BEGIN_CRITICAL_SECTION(&mp->ma_mutex)) and publish a
// new version tag; readers load the tag (`pydict_get`, line 744), look up
// without any lock, take their reference and re-check the tag
// (`value_for_entry`, lines 522-543); when it changed they drop what they
// got and look up again under the mutex (`value_for_key_retry` ->
// `value_for_key_locked`, lines 515-520 and 495-512).
//
// Two differences, each for rclab's sake:
// - The version is a sequence counter: odd while a writer is inside its
//   update, bumped before and after (nogil stores one fresh tag after the
//   update). A reader that finds it odd goes straight to the mutex, and one
//   that finds it unchanged and even has seen no write at all in between.
// - nogil makes the reference safe with _Py_TryIncref (which fails on a
//   freed object) and QSBR (which keeps freed memory mapped until every
//   reader has passed a quiescent state). rclab has QSBR (common/qsbr.h)
//   but not the try-incref: kUnlockedReaders obliges the dict never to
//   free what a reader may have loaded before every thread has passed a
//   quiescent state — runtime/dict.h retires replaced values (the dict's
//   reference to them) and outgrown keys objects to the writer's QSBR queue. So
//   keep() (the incref) after the re-check always counts a live object, and
//   nothing is ever dropped on a retry.
//
// Orders: the reader's loads of the version and of the table's fields are
// acquire, the writer's stores of the fields are release (runtime/dict.h).
// A reader that loads a field a writer stored therefore sees that writer's
// odd version (or later) on its second load and fails; a reader whose two
// loads agree on an even value loaded fields from writes all finished
// before its first. No fences, so ThreadSanitizer sees every edge; on x86
// all of these are plain moves.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "dictlock/futex_mutex.h"
#include "dictlock/policy.h"

namespace rclab::dictlock {

struct Optimistic {
  static constexpr std::string_view kName = "optimistic";
  static constexpr bool kNeedsGil = false;
  static constexpr bool kUnlockedReaders = true;
  static constexpr bool kRecursive = false;

  struct State {
    FutexMutex mutex;                      // writers, and readers that fall back
    std::atomic<std::uint64_t> version{0};  // odd while a writer updates
  };

  static void lock(State& s) { s.mutex.lock(); }
  static void unlock(State& s) { s.mutex.unlock(); }
  static bool has_waiters(const State& s) { return s.mutex.has_waiters(); }

  // keep() runs after the lookup in both paths, outside the mutex: what it
  // is given stays alive until this thread's next quiescent state
  // (kUnlockedReaders).
  // The fallback gets a copy of the lookup and nothing of keep's, so no
  // address of the caller's locals escapes into an out-of-line call (the
  // eval loop keeps its tally in registers).
  template <class Lookup, class Keep>
  [[gnu::always_inline]] static auto read(State& s, Lookup&& lookup, Keep&& keep) {
    const std::uint64_t v = s.version.load(std::memory_order_acquire);
    decltype(lookup()) r{};
    bool valid = false;
    if ((v & 1) == 0) [[likely]] {
      r = lookup();
      valid = s.version.load(std::memory_order_acquire) == v;  // no write began or ended around it
    }
    if (!valid) [[unlikely]]
      r = read_locked(s, std::decay_t<Lookup>(lookup));
    keep(r);
    return r;
  }

  template <class Update>
  [[gnu::always_inline]] static void write(State& s, Update&& update) {
    s.mutex.lock();
    const std::uint64_t v = s.version.load(std::memory_order_relaxed);
    // Odd first: the update's release stores are ordered after it.
    s.version.store(v + 1, std::memory_order_relaxed);
    update();
    s.version.store(v + 2, std::memory_order_release);
    s.mutex.unlock();
  }

 private:
  // A writer was inside, or came and went: look again with writers shut out.
  template <class Lookup>
  [[gnu::noinline]] static auto read_locked(State& s, Lookup lookup) {
    s.mutex.lock();
    auto r = lookup();
    s.mutex.unlock();
    return r;
  }
};

static_assert(Policy<Optimistic>);

}  // namespace rclab::dictlock
