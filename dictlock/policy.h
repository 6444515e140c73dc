// The dict-lock policy concept: how a dict's readers and writers are kept
// apart when no GIL does it (issue 13, "locks on mutable objects").
//
// A policy owns a little state in every dict (`State`, placed after the
// dict's own fields in its block: runtime/dict.h) and runs the dict's
// lookups and updates, which runtime/dict.h hands it as callables. It never
// sees the table itself, so it knows nothing of objects or allocators.
//
// Contract:
//   State                per-dict state: default-constructible, trivially
//                        destructible, no stricter alignment than a pointer.
//                        An empty State costs the dict nothing.
//   read(s, lookup, keep)
//                        runs lookup() (no side effects; returns a pointer,
//                        nullptr when absent; cheap to copy: it may be run
//                        again, from a copy, out of line) and passes its
//                        result r to keep(r), then returns r. r was stored
//                        in the dict at one instant during the call, never a
//                        mix of two writes; keep(r) runs while r is known to
//                        be alive — it is where the caller takes its
//                        reference.
//   write(s, update)     runs update() excluding every other write and every
//                        locked read of the same dict.
//   lock(s) / unlock(s)  the exclusive section write() uses, for tests and
//                        for callers that need several steps in one
//                        section. Re-entrant by the owner iff kRecursive.
//   has_waiters(s)       true once a thread has found the lock held and is
//                        waiting for it (false for a policy without a lock):
//                        tests force interleavings with it instead of timing.
//   kNeedsGil            true when the policy is only correct while a GIL
//                        serialises every dict operation: a configuration
//                        pairing it with a non-exclusive GIL is refused at
//                        compile time (runtime/config.h).
//   kUnlockedReaders     true when read() may run lookup() while a writer
//                        is inside update(). The dict's writers must then
//                        store what readers load atomically (release, read
//                        with acquire), never free what a reader may have
//                        loaded (replaced values, outgrown keys objects: they are
//                        retired to QSBR, runtime/dict.h) and lookup() must
//                        terminate on any mix of old and new fields.
//   kRecursive           lock() by the thread that holds it nests.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace rclab::dictlock {

template <class L>
concept Policy =
    std::is_default_constructible_v<typename L::State> &&
    std::is_trivially_destructible_v<typename L::State> &&
    alignof(typename L::State) <= alignof(void*) &&
    requires(typename L::State& s, void* (*lookup)(), void (*keep)(void*), void (*update)()) {
      { L::kName } -> std::convertible_to<std::string_view>;
      { L::kNeedsGil } -> std::convertible_to<bool>;
      { L::kUnlockedReaders } -> std::convertible_to<bool>;
      { L::kRecursive } -> std::convertible_to<bool>;
      { L::read(s, lookup, keep) } -> std::same_as<void*>;
      { L::write(s, update) } -> std::same_as<void>;
      { L::lock(s) } -> std::same_as<void>;
      { L::unlock(s) } -> std::same_as<void>;
      { L::has_waiters(std::as_const(s)) } -> std::same_as<bool>;
    };

}  // namespace rclab::dictlock
