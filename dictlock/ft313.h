// `ft313`: free-threaded CPython 3.13's object locks, as the dict lock (and,
// kLocksContainers, the list lock): writers take the object's one-byte PyMutex in
// a critical section (Py_BEGIN_CRITICAL_SECTION(mp) around insertdict,
// Objects/dictobject.c; list appends and pops, Objects/listobject.c), and
// readers take no lock at all: they load the slot, try to take a reference
// with _Py_TryIncrefCompare and re-check that the slot and the table still
// hold what they loaded (_Py_dict_lookup_threadsafe; list_get_item_ref).
// That protocol needs the objects' counts, so it is runtime/dict.h's and
// runtime/containers.h's (kTryIncrefReads); this policy gives it the lock
// and the shared mark:
//
//   shared   _PyObject_GC_SET_SHARED's bit: set, under the lock, the first
//            time a thread other than the owner reads the container
//            (ensure_shared_on_read; list_item_impl). From then on what a
//            writer unlinks goes through QSBR; before, it is freed at once,
//            which is why 3.13t's private dicts and lists cost no QSBR.
//
// read() — the concept's generic read, for callers that hold no count
// protocol of their own (the conformance suite, dict_get) — is the
// protocol's fallback: the lookup and keep() inside a critical section
// (3.13.15's read_failed path), always correct.
//
// Where this differs from 3.13t: the lock and the mark sit in the dict's
// tail (runtime/dict.h), not in the object header (ob_mutex, ob_gc_bits);
// same bytes, other place.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "dictlock/critical_section.h"
#include "dictlock/policy.h"
#include "dictlock/pymutex.h"

namespace rclab::dictlock {

struct Ft313 {
  static constexpr std::string_view kName = "ft313";
  static constexpr bool kNeedsGil = false;
  static constexpr bool kUnlockedReaders = true;
  static constexpr bool kRecursive = false;
  // runtime/dict.h and runtime/containers.h read with try-incref and
  // re-check (3.13t), and lists take this lock too.
  static constexpr bool kTryIncrefReads = true;
  static constexpr bool kLocksContainers = true;

  struct State {
    PyMutex mutex;
    std::atomic<std::uint8_t> shared{0};
  };

  static void lock(State& s) { lock_unscoped(s.mutex); }
  static void unlock(State& s) { unlock_unscoped(s.mutex); }
  // 3.14t's LOCK_OBJECT / UNLOCK_OBJECT (Python/ceval_macros.h): the
  // specialised forms that write a container (CALL_LIST_APPEND) try its
  // PyMutex once, with no critical section, and deopt when it is held.
  [[gnu::always_inline]] static bool try_lock_object(State& s) { return s.mutex.try_lock_fast(); }
  [[gnu::always_inline]] static void unlock_object(State& s) { s.mutex.unlock(); }
  static bool has_waiters(const State& s) { return s.mutex.has_parked(); }

  // IS_DICT_SHARED / _PyObject_GC_IS_SHARED: a relaxed load, as 3.13's.
  [[gnu::always_inline]] static bool is_shared(const State& s) {
    return s.shared.load(std::memory_order_relaxed) != 0;
  }
  // Inside the object's critical section only.
  static void set_shared(State& s) { s.shared.store(1, std::memory_order_relaxed); }

  template <class Lookup, class Keep>
  static auto read(State& s, Lookup&& lookup, Keep&& keep) {
    Section cs(s.mutex);
    auto r = lookup();
    keep(r);
    return r;
  }

  template <class Update>
  [[gnu::always_inline]] static void write(State& s, Update&& update) {
    Section cs(s.mutex);
    update();
  }
};

static_assert(Policy<Ft313>);

}  // namespace rclab::dictlock
