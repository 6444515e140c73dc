// The freelist concept.
//
// A freelist keeps released blocks of one kind (frames) for reuse so the hot
// call path does not reach the allocator. It holds raw memory, not objects:
// a block on a freelist is dead as far as reference counting is concerned.
//
// Contract (Shared/Local as for allocators):
//   pop(local)            a cached block, or nullptr when empty;
//   push(local, p)        caches p, or returns false when full (the caller
//                         then frees p to the allocator);
//   drain(local, release) hands every block cached for this thread to
//                         release(ctx, p) — called when a thread state is
//                         torn down;
//   drain_shared(shared, release)  the same for blocks cached for all
//                         threads — called once at runtime shutdown. Between
//                         them no block outlives the runtime.
#pragma once

#include <concepts>
#include <cstring>
#include <string_view>

namespace rclab::freelists {

// A cached block's first word holds the link to the next one. Read and
// written with memcpy: the block's memory last held (and will again hold)
// an object header of another type, so a void** store would break the
// aliasing rules.
inline void* load_link(const void* block) {
  void* next;
  std::memcpy(&next, block, sizeof next);
  return next;
}
inline void store_link(void* block, void* next) { std::memcpy(block, &next, sizeof next); }

template <class F>
concept Freelist =
    std::constructible_from<typename F::Local, typename F::Shared&> &&
    requires(typename F::Shared& shared, typename F::Local& local, void* p, void (*release)(void*, void*),
             void* ctx) {
      { F::kName } -> std::convertible_to<std::string_view>;
      { F::kNeedsGil } -> std::convertible_to<bool>;
      { F::pop(local) } -> std::same_as<void*>;
      { F::push(local, p) } -> std::same_as<bool>;
      { F::drain(local, release, ctx) } -> std::same_as<void>;
      { F::drain_shared(shared, release, ctx) } -> std::same_as<void>;
    };

}  // namespace rclab::freelists
