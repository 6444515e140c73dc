// `biased`: biased reference counting (Choi, Shull and Torrellas, PACT 2018)
// in the form nogil and PEP 703 use it.
//
// Most objects are only ever touched by the thread that made them, so each
// object is biased towards that thread, its owner:
//   tid     the owner's id (Local::id, never reused); 0 once the counts merged.
//   local   the owner's count. Only the owner writes it, with a plain load
//           and store (relaxed atomics: no lock prefix, but other threads may
//           read it, as the immortal test and a merge do).
//   shared  everyone else's count, changed with atomic read-modify-writes.
//           The low two bits are flags (CPython's _Py_REF_SHARED_SHIFT):
//             kMaybeWeakref  3.13t's _Py_REF_MAYBE_WEAKREF: set by a read
//                      under a container's lock (incref_with_lock) so that
//                      later unlocked reads may try the shared count
//                      (try_incref_shared); otherwise like no flag
//             kQueued  a decrement was handed to the owner (see below)
//             kMerged  the counts were merged: local is 0 and unused, tid is
//                      0, and `shared` alone is the count.
//
// The true count is  local + (shared >> 2) - [flags == kQueued].
//
// Zero is reached in one of three ways:
//   1. The owner's local count reaches 0. If `shared` is exactly 0 nobody
//      else ever counted the object: free it now. Otherwise merge: clear
//      tid, set kMerged keeping the shared count, and free the object if
//      that count is 0.
//   2. Another thread's decrement would take an unflagged (or only
//      kMaybeWeakref) shared count below zero. It must not decide alone (the owner may still hold local
//      references), so instead of subtracting it sets kQueued — the queue
//      entry now stands for the reference it dropped — and puts the object
//      on the owner's merge queue. The owner merges at its next safepoint
//      (count = local + shared - 1), frees the object if that is 0, and
//      from then on the object is merged. Later decrements by other threads
//      may take the shared count negative meanwhile: that is fine, the merge
//      adds them up.
//   3. Merged objects: whoever's decrement leaves exactly `kMerged` (count 0)
//      frees it.
// While an object is queued its owner's local count is at least 1: the
// queued reference was counted there (the shared count had no surplus to
// cover it), and only the merge takes it off. So the owner's local count
// cannot reach 0 with kQueued set; debug builds check that.
//
// Threads end. An owner that exits first first merges everything queued to
// it (detach()) and leaves the registry; a thread that later must queue to it
// finds no owner and merges on the spot, as CPython's _Py_brc_queue_object
// does. The registry lock orders the owner's last writes to `local` before
// that merge reads them. Ids are never reused, so a new thread can never
// mistake itself for a dead owner and write a local count someone else is
// merging.
//
// Memory order: increments are relaxed, as in `atomic`; every decrement and
// merge is an acq_rel read-modify-write on `shared`, and whoever frees the
// object has acquired every other thread's release. Queue hand-off is ordered
// by the registry bucket's mutex.
//
// Threading contract: incref/decref from any thread; safepoint() and
// detach() only on the thread that owns `local` (its Local); count() is exact
// only while no other thread changes the object (tests call it after joins).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "common/cacheline.h"
#include "common/fatal.h"
#include "refcount/policy.h"

namespace rclab::refcount {

struct Biased {
  static constexpr std::string_view kName = "biased";
  static constexpr bool kNeedsGil = false;

  static constexpr int kShift = 2;
  static constexpr std::int64_t kOne = std::int64_t(1) << kShift;
  // The flags' values are CPython's (Include/object.h): 0 initial,
  // 1 _Py_REF_MAYBE_WEAKREF, 2 _Py_REF_QUEUED, 3 _Py_REF_MERGED.
  static constexpr std::int64_t kMaybeWeakref = 1;
  static constexpr std::int64_t kQueued = 2;
  static constexpr std::int64_t kMerged = 3;
  static constexpr std::int64_t kFlagMask = 3;
  // The `immortal` modifier's marker (nogil's): a local count no real object
  // reaches. Biased objects keep it where only the owner writes.
  static constexpr std::uint32_t kImmortalLocal = UINT32_MAX;

  struct Header {
    std::atomic<std::uint64_t> tid;
    std::atomic<std::uint32_t> local;
    std::atomic<std::int64_t> shared;
  };

  struct Local;

  // The registry of live owners, hashed by id into buckets as CPython's
  // brc buckets are: a queueing thread locks one bucket, never the world.
  static constexpr std::uint64_t kNoOwner = 0;  // the id of a detached thread: owns no object

  struct Shared {
    static constexpr std::size_t kBuckets = 64;
    struct alignas(kCacheLine) Bucket {
      std::mutex lock;  // guards the list and every member's queue
      Local* head = nullptr;
    };
    Bucket buckets[kBuckets];
    std::atomic<std::uint64_t> next_id{1};  // from 1: kNoOwner (0) is no thread's
    // Slow-path statistics, relaxed: objects queued to a live owner, merged
    // by their owner at a safepoint, merged on the spot because the owner
    // had exited, and merged because the owner's local count reached zero
    // while other threads still counted the object.
    std::atomic<std::uint64_t> queued{0}, merged_at_safepoint{0}, merged_owner_gone{0}, merged_local_zero{0};

    Bucket& bucket(std::uint64_t id) { return buckets[id % kBuckets]; }
  };

  struct Local {
    explicit Local(Shared& s) : shared(&s), id(s.next_id.fetch_add(1, std::memory_order_relaxed)) {
      auto& b = s.bucket(id);
      std::lock_guard g(b.lock);
      next = b.head;
      b.head = this;
    }
    ~Local() {
      if (!detached) {
        if (!unregister().empty())
          fatal("biased: a thread ended with objects queued for merging (detach() must run first)");
      }
    }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;

    Shared* shared;
    std::uint64_t id;                   // kNoOwner once detached (written by this thread only)
    Local* next = nullptr;              // in the bucket's list
    std::vector<Header*> queue;         // guarded by the bucket's lock
    std::atomic<bool> pending{false};   // a hint: the queue is not empty
    bool detached = false;

   private:
    friend struct Biased;
    std::vector<Header*> unregister() {
      auto& b = shared->bucket(id);
      std::lock_guard g(b.lock);
      for (Local** p = &b.head; *p != nullptr; p = &(*p)->next)
        if (*p == this) {
          *p = next;
          break;
        }
      detached = true;
      id = kNoOwner;  // owns nothing from now on (see owned_by)
      pending.store(false, std::memory_order_relaxed);
      return std::move(queue);
    }
  };

  static void init(Header& h, Local& l) {
    std::construct_at(&h.tid, l.id);
    std::construct_at(&h.local, 1u);
    std::construct_at(&h.shared, 0);
  }

  // The fast paths are forced inline: they are a few instructions, and GCC
  // otherwise leaves them out of line inside the eval loop (measured: +100
  // instructions per fib call).
  // After detach() other threads may merge this thread's objects on the
  // spot, so it must not write a local count again: the frees its own
  // detach() runs (a container another thread dropped, whose child this
  // thread also made) count like any other thread's, on the shared word.
  // detach() makes that so by giving the thread kNoOwner as its id, which
  // no object carries: the test here stays one compare.
  [[gnu::always_inline]] static bool owned_by(const Header& h, const Local& l) {
    return h.tid.load(std::memory_order_relaxed) == l.id;
  }

  [[gnu::always_inline]] static void incref(Header& h, Local& l) {
    if (owned_by(h, l)) [[likely]]
      h.local.store(h.local.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    else
      h.shared.fetch_add(kOne, std::memory_order_relaxed);
  }

  [[gnu::always_inline]] static bool decref(Header& h, Local& l) {
    if (owned_by(h, l)) [[likely]] {
      const std::uint32_t n = h.local.load(std::memory_order_relaxed) - 1;
      h.local.store(n, std::memory_order_relaxed);
      if (n != 0) return false;
      // Case 1. A shared word of exactly 0 means nobody else ever counted
      // the object (a private frame, every fib call): free it now.
      const std::int64_t s = h.shared.load(std::memory_order_acquire);
      return s == 0 || merge_zero_local(h, l, s);
    }
    return decref_shared(h, l);
  }

  // Adds `delta` (either sign) to the shared word from any thread, with no
  // zero test, as 3.14t's _PyObject_SetDeferredRefcount sets its bias and
  // _PyObject_MergePerThreadRefcounts adds a thread's counts: only for
  // objects that carry a deferred bias (refcount/ft314.h), whose shared
  // count this cannot take to zero, so the state bits never matter.
  static void add_count(Header& h, std::int64_t delta) { h.shared.fetch_add(delta * kOne, std::memory_order_relaxed); }

  static std::int64_t count(const Header& h) {
    const std::int64_t s = h.shared.load(std::memory_order_relaxed);
    return std::int64_t(h.local.load(std::memory_order_relaxed)) + (s >> kShift) -
           ((s & kFlagMask) == kQueued ? 1 : 0);
  }

  // The `immortal` modifier's operations, fused as nogil's Py_INCREF and
  // Py_DECREF are: one load of the local count both tests the marker and
  // feeds the owner's update.
  [[gnu::always_inline]] static void incref_unless_immortal(Header& h, Local& l) {
    const std::uint32_t local = h.local.load(std::memory_order_relaxed);
    if (local == kImmortalLocal) return;
    if (owned_by(h, l)) [[likely]]
      h.local.store(local + 1, std::memory_order_relaxed);
    else
      h.shared.fetch_add(kOne, std::memory_order_relaxed);
  }
  [[gnu::always_inline]] static bool decref_unless_immortal(Header& h, Local& l) {
    const std::uint32_t local = h.local.load(std::memory_order_relaxed);
    if (local == kImmortalLocal) return false;
    if (owned_by(h, l)) [[likely]] {
      h.local.store(local - 1, std::memory_order_relaxed);
      if (local != 1) return false;
      const std::int64_t s = h.shared.load(std::memory_order_acquire);
      return s == 0 || merge_zero_local(h, l, s);
    }
    return decref_shared(h, l);
  }

  // --- Reads without a lock (3.13t's, Include/internal/pycore_object.h) ---
  // A reader that loaded a pointer from a container another thread may be
  // changing takes its reference with these, then re-checks the slot
  // (runtime/object_ops.h: try_incref_compare).

  // _Py_TryIncrefFast: only where no atomic is needed — an immortal object
  // (the `immortal` modifier's marker, which 3.13t's local count of
  // UINT32_MAX is) or one this thread owns.
  [[gnu::always_inline]] static bool try_incref_fast(Header& h, Local& l) {
    const std::uint32_t local = h.local.load(std::memory_order_relaxed);
    if (local == kImmortalLocal) return true;
    if (!owned_by(h, l)) return false;
    h.local.store(local + 1, std::memory_order_relaxed);
    return true;
  }
  // _Py_TryIncRefShared: fails on a shared word of exactly 0 (nobody else
  // ever counted it, and it may not be weakly referenced: its owner may be
  // freeing it) or exactly kMerged (merged with count 0: dead).
  static bool try_incref_shared(Header& h) {
    std::int64_t s = h.shared.load(std::memory_order_relaxed);
    for (;;) {
      if (s == 0 || s == kMerged) return false;
      if (h.shared.compare_exchange_weak(s, s + kOne, std::memory_order_relaxed, std::memory_order_relaxed))
        return true;
    }
  }
  // _Py_NewRefWithLock: the reference a reader takes under the container's
  // lock. It also sets kMaybeWeakref on an object whose shared word has no
  // flag, so that the next unlocked reads' try_incref_shared succeeds.
  static void incref_with_lock(Header& h, Local& l) {
    if (try_incref_fast(h, l)) return;
    std::int64_t s = h.shared.load(std::memory_order_relaxed);
    for (;;) {
      std::int64_t next = s + kOne;
      if ((s & kFlagMask) == 0) next |= kMaybeWeakref;
      if (h.shared.compare_exchange_weak(s, next, std::memory_order_relaxed, std::memory_order_relaxed)) return;
    }
  }

  // Marker hooks for the `immortal` modifier.
  static void store_immortal_marker(Header& h) { h.local.store(kImmortalLocal, std::memory_order_relaxed); }
  static bool has_immortal_marker(const Header& h) {
    return h.local.load(std::memory_order_relaxed) == kImmortalLocal;
  }

  // --- The owner's side: safepoints and thread exit (see HasSafepoint). ---

  // One relaxed load of the thread's own flag: polled by the eval loop.
  static bool has_pending(const Local& l) { return l.pending.load(std::memory_order_relaxed); }

  // Merges every object queued to this thread; calls free(h) for each whose
  // count is now zero. On the owner thread only.
  template <class Free>
  static void safepoint(Local& l, Free&& free) {
    std::vector<Header*> q;
    {
      std::lock_guard g(l.shared->bucket(l.id).lock);
      q.swap(l.queue);
      l.pending.store(false, std::memory_order_relaxed);
    }
    merge_queue(q, free, l.shared->merged_at_safepoint);
  }

  // The thread is ending: leave the registry (from now on, threads that
  // would queue to it merge on the spot), then merge what was queued.
  // Idempotent.
  template <class Free>
  static void detach(Local& l, Free&& free) {
    if (l.detached) return;
    std::vector<Header*> q = l.unregister();
    merge_queue(q, free, l.shared->merged_at_safepoint);
  }

  static std::vector<PolicyStat> stats(const Shared& s) {
    auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    return {{"biased_queued", get(s.queued)},
            {"biased_merged_at_safepoint", get(s.merged_at_safepoint)},
            {"biased_merged_owner_gone", get(s.merged_owner_gone)},
            {"biased_merged_local_zero", get(s.merged_local_zero)}};
  }

 private:
  // Case 1, slow part: others counted it too; merge.
  [[gnu::noinline]] static bool merge_zero_local(Header& h, Local& l, std::int64_t s) {
#ifndef NDEBUG
    if ((s & kFlagMask) == kQueued) fatal("biased: the owner's local count reached zero while a merge was queued");
#endif
    h.tid.store(0, std::memory_order_relaxed);
    std::int64_t merged;
    do {
      merged = (s & ~kFlagMask) | kMerged;
    } while (!h.shared.compare_exchange_weak(s, merged, std::memory_order_acq_rel, std::memory_order_acquire));
    l.shared->merged_local_zero.fetch_add(1, std::memory_order_relaxed);
    return merged == kMerged;
  }

  // Cases 2 and 3: a thread other than the owner drops a reference.
  static bool decref_shared(Header& h, Local& l) {
    std::int64_t s = h.shared.load(std::memory_order_relaxed);
    std::int64_t next;
    bool queue;
    do {
      // No surplus, not queued, not merged: the owner decides (3.13.15's
      // _Py_DecRefSharedIsDead: shared == 0 or _Py_REF_MAYBE_WEAKREF).
      queue = s == 0 || s == kMaybeWeakref;
      next = queue ? kQueued : s - kOne;
    } while (!h.shared.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_relaxed));
    if (queue) return queue_to_owner(h, l);
    return next == kMerged;
  }

  // Returns true when the owner had exited and the merge done here left the
  // object with no references: the caller frees it.
  [[gnu::noinline]] static bool queue_to_owner(Header& h, Local& l) {
    const std::uint64_t owner = h.tid.load(std::memory_order_relaxed);
    Shared& s = *l.shared;
    if (owner != kNoOwner) {
      auto& b = s.bucket(owner);
      std::lock_guard g(b.lock);
      for (Local* o = b.head; o != nullptr; o = o->next) {
        if (o->id != owner) continue;
        o->queue.push_back(&h);
        o->pending.store(true, std::memory_order_relaxed);
        s.queued.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      // Not found: the owner has detached. Its last write to `local`
      // happened before it left this bucket under the lock we just held.
    }
    s.merged_owner_gone.fetch_add(1, std::memory_order_relaxed);
    return merge(h, -1) == 0;
  }

  template <class Free>
  static void merge_queue(std::vector<Header*>& q, Free& free, std::atomic<std::uint64_t>& stat) {
    for (Header* h : q)
      if (merge(*h, -1) == 0) free(*h);
    stat.fetch_add(q.size(), std::memory_order_relaxed);
  }

  // _Py_ExplicitMergeRefcount: folds local into shared, marks the object
  // merged and returns the resulting count. `extra` is -1 for the queued
  // reference. Only by the owner, or once the owner is gone.
  // The local count and the owner are cleared BEFORE the compare-exchange
  // that publishes the merged count (CPython gh-119999): once it is
  // published, another thread's decrement may free the object, and a store
  // after it would write freed memory. (Found here by ThreadSanitizer once
  // QSBR made other threads drop replaced dict values while their owners
  // merged.)
  static std::int64_t merge(Header& h, std::int64_t extra) {
    const std::int64_t local = std::int64_t(h.local.load(std::memory_order_relaxed));
    h.local.store(0, std::memory_order_relaxed);
    h.tid.store(0, std::memory_order_relaxed);
    std::int64_t s = h.shared.load(std::memory_order_relaxed);
    std::int64_t count, next;
    do {
      count = (s >> kShift) + local + extra;
      next = count * kOne | kMerged;
    } while (!h.shared.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_relaxed));
    return count;
  }
};

}  // namespace rclab::refcount
