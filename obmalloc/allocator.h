// The allocator concept.
//
// Every policy kind in rclab has the same shape: a `Shared` part (one per
// runtime) and a `Local` part (one per thread, built from the Shared part on
// that thread). The interpreter holds its thread's Local in the thread state,
// so a per-thread allocator reaches its own pools without a TLS lookup and a
// locked one reaches its lock through Shared.
//
// Contract:
//   alloc(local, size)    returns a block of at least `size` bytes, aligned to
//                         16 — or to A::kAlignment where an allocator declares
//                         less (pymalloc's 3.6 geometry: 8) — or aborts (the
//                         model has no MemoryError).
//   free(local, p, size)  releases a block; `size` is the size it was
//                         allocated with. The block may have been allocated
//                         through another thread's Local: cross-thread frees
//                         are part of the contract, not an afterthought
//                         (buffered counting frees on its commit thread).
//   kNeedsGil             true when the allocator is only safe while a GIL
//                         serialises all callers (CPython's own obmalloc).
// Optional: kBackendName (what a lock scheme wraps), kAlignment, and on
// Shared, arenas() and check_invariants() (the tests use them when present);
// detach(local): the Local's thread is ending (its thread state detaches,
// runtime/dealloc.h), called on that thread; afterwards the Local only
// frees. Idempotent, and the Local's destructor must still be safe on any
// thread (mi_heaps gives its thread's mimalloc heap up there).
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

namespace rclab::obmalloc {

template <class A>
concept Allocator =
    std::constructible_from<typename A::Local, typename A::Shared&> &&
    requires(typename A::Local& local, void* p, std::size_t n) {
      { A::kName } -> std::convertible_to<std::string_view>;
      { A::kNeedsGil } -> std::convertible_to<bool>;
      { A::alloc(local, n) } -> std::same_as<void*>;
      { A::free(local, p, n) } -> std::same_as<void>;
    };

// Allocators with a detach(local) hook.
template <class A>
concept HasDetach = Allocator<A> && requires(typename A::Local& local) {
  { A::detach(local) } -> std::same_as<void>;
};

}  // namespace rclab::obmalloc
