// `remote`: remote object headers (Thomas Wouters' Gilectomy branch, 2017).
// The count does not live in the object: the object holds a pointer to a
// count cell, and cells live in separately allocated pages of 32768. The
// idea was to move the counts' writes off the objects' cache lines, so that
// reading an object no longer shares a line with other threads' increfs.
// Counting itself is atomic, exactly as `atomic` (relaxed increments,
// acq_rel decrements), one extra indirection away.
//
// Page management. Every object creation takes a cell and every free
// returns one, so the pool of cells must not become the global lock the
// allocator was. Each thread keeps its own cache of free cells (a singly
// linked list threaded through the free cells themselves) and moves them to
// and from the shared pool a batch of kBatch at a time:
//   - take(): from the thread's cache; when empty, one lock acquisition
//     takes a whole batch (a batch another thread returned, or kBatch fresh
//     cells carved from the current page, or a new page).
//   - give(): onto the thread's cache; when it holds 2*kBatch, one lock
//     acquisition returns kBatch of them as a batch.
// So a thread takes the pool's lock at most once per kBatch creations or
// frees, and a freshly carved batch gives each thread its own run of cells:
// two threads' private counts never share a cache line (counts of objects
// made by one thread do, 8 to a line, as Wouters' pages did). The pool's
// `lock_acquisitions` statistic measures what the lock costs.
//
// Pages are returned to the system only when the runtime ends (~Shared):
// cells are 8 bytes and a page is 256 KiB, and Wouters' branch never shrank
// its pages either.
//
// Threading contract: incref/decref from any thread; init and the cache of
// a Local on its own thread only; Shared's pool under `lock`.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>
#include <vector>

#include "common/cacheline.h"
#include "common/fatal.h"
#include "refcount/policy.h"

namespace rclab::refcount {

struct Remote {
  static constexpr std::string_view kName = "remote";
  static constexpr bool kNeedsGil = false;

  static constexpr std::size_t kCountsPerPage = 32768;  // Wouters' page size
  static constexpr std::size_t kBatch = 256;            // cells moved per lock acquisition: 2 KiB of counts
  static_assert(kCountsPerPage % kBatch == 0, "pages are carved in whole batches");

  using Count = std::atomic<std::int64_t>;
  static_assert(sizeof(Count) == sizeof(void*), "a free cell holds its free-list link");

  struct Header {
    Count* count;
  };

  // A free cell's first word links to the next free cell. Cells are raw
  // storage while free: a count's lifetime begins in init and ends with the
  // last decref.
  static void* next_free(void* cell) {
    void* n;
    std::memcpy(&n, cell, sizeof n);
    return n;
  }
  static void set_next_free(void* cell, void* n) { std::memcpy(cell, &n, sizeof n); }

  struct Shared {
    Shared() = default;
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;

    CachePadded<std::mutex> lock;
    // Guarded by `lock`:
    std::vector<std::unique_ptr<std::byte[]>> pages;
    struct Batch {
      void* head;
      std::size_t n;
    };
    std::vector<Batch> batches;     // returned cells, linked, up to kBatch each
    std::byte* carve = nullptr;     // next fresh cell in the newest page
    std::byte* carve_end = nullptr;
    std::uint64_t lock_acquisitions = 0;
    std::int64_t cells_out = 0;     // cells in threads' caches or in use

    // Returns up to kBatch free cells linked together. Under `lock`.
    Batch take_batch() {
      ++lock_acquisitions;
      if (!batches.empty()) {
        const Batch b = batches.back();
        batches.pop_back();
        cells_out += std::int64_t(b.n);
        return b;
      }
      cells_out += kBatch;
      if (carve == carve_end) {
        pages.push_back(std::make_unique<std::byte[]>(kCountsPerPage * sizeof(Count)));
        carve = pages.back().get();
        carve_end = carve + kCountsPerPage * sizeof(Count);
      }
      std::byte* first = carve;
      for (std::size_t i = 0; i + 1 < kBatch; ++i) set_next_free(carve + i * sizeof(Count), carve + (i + 1) * sizeof(Count));
      set_next_free(carve + (kBatch - 1) * sizeof(Count), nullptr);
      carve += kBatch * sizeof(Count);
      return {first, kBatch};
    }
    void give_batch(void* head, std::size_t n) {
      ++lock_acquisitions;
      cells_out -= std::int64_t(n);
      batches.push_back({head, n});
    }
  };

  struct Local {
    explicit Local(Shared& s) : shared(&s) {}
    ~Local() {
      if (cache != nullptr) {
        std::lock_guard g(shared->lock.value);
        shared->give_batch(cache, cached);
      }
    }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;

    Shared* shared;
    void* cache = nullptr;  // this thread's free cells
    std::size_t cached = 0;
  };

  static void init(Header& h, Local& l) {
    if (l.cache == nullptr) [[unlikely]] {
      std::lock_guard g(l.shared->lock.value);
      const auto b = l.shared->take_batch();
      l.cache = b.head;
      l.cached = b.n;
    }
    void* cell = l.cache;
    l.cache = next_free(cell);
    --l.cached;
    h.count = std::construct_at(static_cast<Count*>(cell), 1);
  }

  [[gnu::always_inline]] static void incref(Header& h, Local&) { h.count->fetch_add(1, std::memory_order_relaxed); }

  [[gnu::always_inline]] static bool decref(Header& h, Local& l) {
    if (h.count->fetch_sub(1, std::memory_order_acq_rel) != 1) return false;
    give(l, h.count);
    return true;
  }

  static std::int64_t count(const Header& h) { return h.count->load(std::memory_order_relaxed); }

  // Immortal objects (under refcount/immortal.h's modifier, for the
  // generations whose C code hands out small ints uncounted). The marker is
  // a count of 2^62 in the object's own cell, so the test is the one load
  // through the header that every operation makes anyway. Wouters' branch
  // predates PEP 683; this is what his headers would do on 3.12+. Objects
  // are marked during set-up, before another thread can count them, so a
  // plain store is enough. An immortal object keeps its cell until the
  // runtime frees it at shutdown, which gives the cell back
  // (release_immortal).
  static constexpr std::int64_t kImmortalMarker = std::int64_t(1) << 62;
  static void store_immortal_marker(Header& h) { h.count->store(kImmortalMarker, std::memory_order_relaxed); }
  [[gnu::always_inline]] static bool has_immortal_marker(const Header& h) {
    return h.count->load(std::memory_order_relaxed) >= kImmortalMarker;
  }
  static void release_immortal(Header& h, Local& l) { give(l, h.count); }

  static std::vector<PolicyStat> stats(const Shared& s) {
    std::lock_guard g(const_cast<Shared&>(s).lock.value);
    return {{"remote_pages", s.pages.size()}, {"remote_pool_lock_acquisitions", s.lock_acquisitions}};
  }

  // Cells in use or cached by a live thread; 0 once every Local is gone and
  // every object freed (tests check it).
  static std::int64_t cells_out(Shared& s) {
    std::lock_guard g(s.lock.value);
    return s.cells_out;
  }

 private:
  // The last decref returns the cell to this thread's cache (whichever
  // thread made the object), spilling a batch to the pool when it is full.
  static void give(Local& l, Count* c) {
    std::destroy_at(c);
    set_next_free(c, l.cache);
    l.cache = c;
    if (++l.cached < 2 * kBatch) [[likely]]
      return;
    void* head = l.cache;  // detach the first kBatch cells
    void* last = head;
    for (std::size_t i = 1; i < kBatch; ++i) last = next_free(last);
    l.cache = next_free(last);
    set_next_free(last, nullptr);
    l.cached -= kBatch;
    std::lock_guard g(l.shared->lock.value);
    l.shared->give_batch(head, kBatch);
  }
};

}  // namespace rclab::refcount
