// `mi_heaps`: mimalloc's per-thread heaps, as free-threaded CPython 3.13
// (3.13t) allocates its objects (Objects/obmalloc.c's _PyObject_MiMalloc,
// Include/internal/pycore_mimalloc.h, Python/pystate.c). Each thread
// allocates from heaps of its own with no lock; a block freed by another
// thread goes back through mimalloc's own cross-thread path (a lock-free push
// on the page's thread-free list, collected by the owner on its slow path).
//
//   Local      a heap made by mi_heap_new() on the Local's own thread: a
//              mimalloc heap belongs to the thread that made it and only that
//              thread may allocate from it (3.13t binds its heaps in
//              tstate_mimalloc_bind, "from the active thread").
//   alloc      mi_heap_malloc on that heap, the size rounded up to 16
//              (round.h): mimalloc's 8-, 24-, 40-byte classes are 8-aligned
//              and the contract promises 16.
//   free       mi_free, from any thread: mimalloc finds the block's page
//              and, when it is another thread's, pushes the block on that
//              page's thread-free list. The contract's cross-thread frees
//              are mimalloc's own path, as in 3.13t.
//   detach     (ThreadState::detach, on the Local's thread) gives the heap
//              up with mi_heap_delete, PyThreadState_Clear's moment.
//
// A thread's end. 3.13t's _PyThreadState_ClearMimallocHeaps calls
// _mi_heap_collect_abandon on each of its heaps: pages with live blocks are
// abandoned to a pool that other threads reclaim from, and those blocks are
// freed later by whoever drops the last reference. mimalloc's public API
// has two ways to end a heap: mi_heap_destroy frees every block in it at
// once, which would free objects other threads still use, so it is out;
// mi_heap_delete moves the heap's pages, live blocks and all, to the
// thread's backing heap, and mimalloc abandons those when the thread exits
// (its thread-exit hook, _mi_heap_done, deletes every heap the thread still
// has and abandons the backing heap's segments). Delete then exit is the
// public API's path to 3.13t's abandonment; the difference is only when the
// pages are abandoned: at the OS thread's exit, just after detach, rather
// than at detach itself. A Local whose thread has already ended (its thread
// state torn down on another thread, as a worker's is after its join) does
// not touch its heap: mimalloc deleted it at that exit. Who may touch the
// heap is decided by a per-thread token (owner_token), never by a thread id,
// which the system reuses.
//
// One heap per thread, not 3.13t's four. 3.13t tags its heaps by what they
// hold (raw memory, objects, GC objects, GC objects with a pre-header) so
// that its GC can find every container by walking the GC heaps, and so that
// object pages (not raw memory) are kept typed until QSBR says no reader can
// still look at a freed object (page_use_qsbr). rclab has no cycle collector
// to walk heaps, its lock-free readers never meet a freed object (they take
// references the QSBR-delayed way: runtime/dict.h), and the allocator
// contract does not say what a block is for; giving it a kind would change
// every allocation site of every configuration for a locality effect only
// (same-sized blocks of different kinds sharing pages). docs/design.md §5c
// and §12c say so.
//
// Loading. Debian's libmimalloc2.0 (2.0.9) also exports malloc and free:
// linking it, or opening it into the global scope, would make it the whole
// process's malloc and change every other configuration (that is the
// `mimalloc` preload configuration's point, not this one's). So it is opened
// at run time with dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL): a
// local library's symbols resolve only through the handle, so the
// dynamic linker keeps binding `malloc` to glibc (or to a sanitizer's
// interceptor) for everyone else — obmalloc/which.h's serving_allocator()
// still names glibc after it is loaded, and mimalloc's own mi_malloc is not
// visible through RTLD_DEFAULT (tests/alloc_conformance_test.cpp checks
// both). The six functions are looked up once, in a function-local static
// (thread-safe initialisation), when the first Shared is built; a missing
// library or symbol stops the process with a message naming the package.
//
// Sanitizers. mimalloc is not instrumented, so neither sanitizer sees what
// it does with a block, and both are told here:
//   ASan  a freed block is still mapped and addressable, so a use after free
//         would go unseen. free poisons the block's usable size
//         (mi_usable_size) before mi_free; alloc poisons the usable size and
//         unpoisons the bytes asked for, so reading past them is caught too.
//         Only blocks of up to 128 KiB (mimalloc 2.0's medium objects) are
//         poisoned: those live in regular 32 MiB segments, which mimalloc
//         keeps in its segment cache (decommitted, not unmapped, unless
//         its 1,024 slots are full or a forced mi_collect runs, which
//         rclab never asks for) while the process runs, so no later
//         mapping can inherit their poison (mimalloc 2.0.9's
//         mi_segment_os_free and _mi_segment_cache_push); a
//         larger block may have a segment of its own that goes back to the
//         kernel, and ASan does not clear shadow on munmap.
//   TSan  mimalloc's atomics are invisible, so a block one thread freed and
//         another got back from mi_heap_malloc would look like a race
//         between the two threads' accesses to it. free calls
//         __tsan_release(p) before mi_free and alloc __tsan_acquire(p)
//         after mi_heap_malloc: the hand-over mimalloc's thread-free list
//         makes. A page emptied and re-carved for another size class hands
//         out blocks at other addresses than the old ones; each release
//         carries the freeing thread's whole history, so the owner acquiring
//         any address that was freed after an access inherits it, and a
//         report would need a re-carved page none of whose addresses the
//         owner has acquired since: a false report, visible, never a race
//         hidden. (Keying on 64 KiB slices instead would cover that case
//         too, at the price of synchronising unrelated blocks of a slice,
//         which can hide real races in the code under test.)
// Neither costs anything outside its sanitizer build.
#pragma once

#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "common/fatal.h"
#include "obmalloc/round.h"

// Which sanitizer instruments this build: GCC says so with
// __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define RCLAB_MI_HEAPS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RCLAB_MI_HEAPS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define RCLAB_MI_HEAPS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RCLAB_MI_HEAPS_TSAN 1
#endif
#endif
#if defined(RCLAB_MI_HEAPS_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(RCLAB_MI_HEAPS_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace rclab::obmalloc {

namespace mi {

// mimalloc's heap, opaque: only pointers to it are handled.
struct Heap;

// The functions rclab calls, from the library opened locally.
struct Api {
  Heap* (*heap_new)();
  void (*heap_delete)(Heap*);
  void* (*heap_malloc)(Heap*, std::size_t);
  void (*free)(void*);
  std::size_t (*usable_size)(const void*);
  int (*version)();
};

// Loaded once per process, on first use; fatal when it cannot be.
inline const Api& api() {
  static const Api loaded = [] {
    constexpr const char* kLibrary = "libmimalloc.so.2";
    void* lib = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      std::fprintf(stderr, "rclab: mi_heaps: %s\n", dlerror());
      fatal("mi_heaps: cannot load libmimalloc.so.2 (Debian's libmimalloc2.0; ./scripts/install-deps.sh installs it)");
    }
    auto sym = [lib](const char* name) {
      void* f = dlsym(lib, name);
      if (f == nullptr) {
        std::fprintf(stderr, "rclab: mi_heaps: libmimalloc.so.2 has no %s\n", name);
        fatal("mi_heaps: libmimalloc.so.2 lacks a function rclab needs (mimalloc 2.0 or later is needed)");
      }
      return f;
    };
    Api a;
    a.heap_new = reinterpret_cast<Heap* (*)()>(sym("mi_heap_new"));
    a.heap_delete = reinterpret_cast<void (*)(Heap*)>(sym("mi_heap_delete"));
    a.heap_malloc = reinterpret_cast<void* (*)(Heap*, std::size_t)>(sym("mi_heap_malloc"));
    a.free = reinterpret_cast<void (*)(void*)>(sym("mi_free"));
    a.usable_size = reinterpret_cast<std::size_t (*)(const void*)>(sym("mi_usable_size"));
    a.version = reinterpret_cast<int (*)()>(sym("mi_version"));
    return a;  // the handle stays open for the process's life
  }();
  return loaded;
}

// A token per thread, never reused (unlike a pthread_t): the heap's owner.
inline std::uint64_t owner_token() {
  static std::atomic<std::uint64_t> next{1};
  thread_local const std::uint64_t token = next.fetch_add(1, std::memory_order_relaxed);
  return token;
}

// What the sanitizers are told (see the header comment).
inline constexpr std::size_t kPoisonMax = std::size_t(128) << 10;  // MI_MEDIUM_OBJ_SIZE_MAX in 2.0

inline void after_alloc([[maybe_unused]] const Api& a, [[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) {
#if defined(RCLAB_MI_HEAPS_ASAN)
  const std::size_t usable = a.usable_size(p);
  if (usable <= kPoisonMax) ASAN_POISON_MEMORY_REGION(p, usable);
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#if defined(RCLAB_MI_HEAPS_TSAN)
  __tsan_acquire(p);
#endif
}

inline void before_free([[maybe_unused]] const Api& a, [[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) {
#if defined(RCLAB_MI_HEAPS_ASAN)
  const std::size_t usable = a.usable_size(p);
  if (usable <= kPoisonMax) ASAN_POISON_MEMORY_REGION(p, usable);
#endif
#if defined(RCLAB_MI_HEAPS_TSAN)
  __tsan_release(p);
#endif
}

}  // namespace mi

struct MiHeaps {
  static constexpr std::string_view kName = "mi_heaps";
  static constexpr std::string_view kBackendName = "mimalloc";
  static constexpr bool kNeedsGil = false;

  // Opens the library (once per process), so a missing one stops the
  // runtime's construction, not a worker.
  struct Shared {
    Shared() : api(&mi::api()) {}
    const mi::Api* api;
  };

  // Built on its thread, which owns the heap. Threading: alloc and detach
  // on that thread only; free from any thread (it touches no Local state).
  struct Local {
    explicit Local(Shared& s) : api(s.api), heap(s.api->heap_new()), owner(mi::owner_token()) {
      if (heap == nullptr) fatal("mi_heaps: mi_heap_new failed");
    }
    ~Local() { MiHeaps::detach(*this); }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;
    const mi::Api* api;
    mi::Heap* heap;  // null once given up
    std::uint64_t owner;
  };

  static void* alloc(Local& l, std::size_t n) {
#ifndef NDEBUG
    if (l.heap == nullptr || l.owner != mi::owner_token()) fatal("mi_heaps: allocation off the heap's own thread");
#endif
    void* p = l.api->heap_malloc(l.heap, round16(n));
    if (p == nullptr) [[unlikely]]
      fatal("mi_heaps: out of memory");
    mi::after_alloc(*l.api, p, n);
    return p;
  }

  static void free(Local& l, void* p, std::size_t n) {
    mi::before_free(*l.api, p, n);
    l.api->free(p);
  }

  // The thread is ending: its heap's pages, live blocks included, go to
  // its backing heap, which mimalloc abandons when the thread exits.
  // Idempotent; off the owner's thread it only forgets the heap, which
  // mimalloc deletes (or has deleted) at that thread's exit.
  static void detach(Local& l) {
    if (l.heap == nullptr) return;
    if (l.owner == mi::owner_token()) l.api->heap_delete(l.heap);
    l.heap = nullptr;
  }
};

}  // namespace rclab::obmalloc
