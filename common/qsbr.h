// Quiescent-state-based reclamation (QSBR), as free-threaded CPython 3.13
// has it (Python/qsbr.c, Include/internal/pycore_qsbr.h, and the delayed
// frees of Objects/obmalloc.c). A writer that unlinks memory an unlocked
// reader may still be reading (a dict's outgrown keys object, a value it
// replaced) does not free it: it retires it with a goal, and the memory is
// reclaimed once every attached thread has reported a quiescent state — a
// point where it holds no pointer it did not count or lock — at or after
// that goal.
//
// Sequences (CPython's): one shared write sequence, odd, advanced by 2; each
// thread's read sequence is the write sequence it last saw at a quiescent
// state, or 0 (kOffline) while it is detached (blocked, or gone), when it
// holds nothing and is not waited for. A goal is reached when the minimum
// read sequence of the attached threads has caught up with it.
//
// Batching (3.13.15's free_delayed): retiring does not advance the write
// sequence every time. The goal is the next sequence (current + 2), and the
// sequence is advanced only when this thread has retired more than 127
// items, or more than 1 MiB, since its last advance; then its queue should
// be processed. Each 254 items queued ask for processing too
// (WORK_ITEMS_PER_CHUNK: when a chunk fills). Processing polls the goals, oldest first, and
// reclaims what is reached; it also takes a share of the items threads left
// behind when they exited, without waiting for that queue's lock.
//
// What rclab does differently, and why:
// - Processing runs at the thread's next quiescent point (the eval loop's
//   eval-breaker check), never inside retire(): retire() runs inside a
//   dict's write lock, and reclaiming a value may run deallocators that
//   write that dict. 3.13t processes from its eval breaker's pending work
//   and when a 254-item chunk fills.
// - The threads' read sequences are scanned under the registry's mutex
//   (3.13t reads its array unlocked, growing it only with the world
//   stopped). A scan happens once per processing, not per read.
// - Attach and the scan use sequentially consistent atomics instead of
//   3.13t's seq_cst fence before the scan, so ThreadSanitizer sees the
//   edge.
// - The items exiting threads left are reclaimed after their lock is
//   released, not under it: rclab's reclaim can block (buffered counting's
//   full log waits for its commit thread), and a thread waiting for that
//   lock is not parked (see process()).
//
// Threading contract: Shared is one per runtime, safe for any thread.
// Local belongs to one thread: retire(), quiescent(), process(), park(),
// unpark() and detach() run on it. A thread is attached from construction
// until park() or detach().
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "common/cacheline.h"
#include "common/fatal.h"

namespace rclab {

class Qsbr {
 public:
  static constexpr std::uint64_t kOffline = 0;  // QSBR_OFFLINE
  static constexpr std::uint64_t kInitial = 1;  // QSBR_INITIAL
  static constexpr std::uint64_t kIncr = 2;     // QSBR_INCR
  static constexpr int kDeferredLimit = 127;                 // QSBR_DEFERRED_LIMIT
  static constexpr std::size_t kFreeMemLimit = 1024 * 1024;  // QSBR_FREE_MEM_LIMIT
  static constexpr std::size_t kChunkItems = 254;            // WORK_ITEMS_PER_CHUNK

  // Something retired: `ptr` with `size` bytes (0: the caller's own meaning,
  // for rclab a counted reference to drop), reclaimable at `goal`.
  struct Item {
    std::uint64_t goal;
    void* ptr;
    std::size_t size;
  };

  struct Local;

  struct Shared {
    alignas(kCacheLine) std::atomic<std::uint64_t> wr_seq{kInitial};
    alignas(kCacheLine) std::atomic<std::uint64_t> rd_seq{kInitial};  // a cached minimum of the read sequences
    alignas(kCacheLine) std::mutex mutex;  // guards threads
    std::vector<Local*> threads;
    std::mutex abandoned_mutex;  // guards abandoned
    std::deque<Item> abandoned;  // left by threads that exited before their goals were reached
    std::atomic<bool> has_abandoned{false};
    // Statistics, relaxed: advances of the write sequence, scans of the
    // threads, items reclaimed.
    std::atomic<std::uint64_t> advances{0}, scans{0}, reclaimed{0};
  };

  struct alignas(kCacheLine) Local {
    explicit Local(Shared& s) : shared(&s) {
      seq.store(s.wr_seq.load(std::memory_order_acquire), std::memory_order_seq_cst);
      std::lock_guard g(s.mutex);
      s.threads.push_back(this);
    }
    ~Local() { unregister(); }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;

    Shared* shared;
    std::atomic<std::uint64_t> seq;  // read by scans on other threads
    std::deque<Item> queue;          // goals in non-decreasing order
    int deferred_count = 0;
    std::size_t deferred_memory = 0;
    bool should_process = false;
    bool registered = true;

    void unregister() {
      if (!registered) return;
      registered = false;
      seq.store(kOffline, std::memory_order_release);
      std::lock_guard g(shared->mutex);
      auto& v = shared->threads;
      v.erase(std::find(v.begin(), v.end(), this));
    }
  };

  // _Py_qsbr_quiescent_state: this thread holds no unprotected pointer.
  [[gnu::always_inline]] static void quiescent(Local& l) {
    l.seq.store(l.shared->wr_seq.load(std::memory_order_acquire), std::memory_order_release);
  }

  // Blocked (a barrier, a lock wait, a join): not waited for meanwhile.
  static void park(Local& l) { l.seq.store(kOffline, std::memory_order_release); }
  static void unpark(Local& l) {
    l.seq.store(l.shared->wr_seq.load(std::memory_order_acquire), std::memory_order_seq_cst);
  }

  // free_delayed: queues `ptr` with its goal. Never reclaims here (see above).
  static void retire(Local& l, void* ptr, std::size_t size) {
    std::uint64_t goal;
    if (should_advance(l, size))
      goal = advance(*l.shared);
    else
      goal = l.shared->wr_seq.load(std::memory_order_acquire) + kIncr;  // _Py_qsbr_shared_next
    l.queue.push_back({goal, ptr, size});
    if (l.queue.size() % kChunkItems == 0) l.should_process = true;  // a chunk just filled
  }

  // _PyMem_ProcessDelayed: reclaims, through reclaim(item), every item of
  // this thread's queue whose goal is reached, then a share of the
  // abandoned ones if their lock is free. The abandoned items whose goal is
  // reached are taken out under the lock and reclaimed after it is
  // released: reclaim may block (a decref under buffered counting waits for
  // the commit thread when its log is full), and an exiting thread waits
  // for this lock in detach() without being parked, so reclaiming under it
  // could wait for a commit thread that waits for that thread.
  template <class Reclaim>
  static void process(Local& l, Reclaim&& reclaim) {
    l.should_process = false;
    process_queue(l, l.queue, reclaim);
    Shared& s = *l.shared;
    if (!s.has_abandoned.load(std::memory_order_relaxed)) return;
    std::vector<Item> ready;
    {
      std::unique_lock g(s.abandoned_mutex, std::try_to_lock);
      if (!g.owns_lock()) return;
      while (!s.abandoned.empty() && poll(l, s.abandoned.front().goal)) {
        ready.push_back(s.abandoned.front());
        s.abandoned.pop_front();
      }
      s.has_abandoned.store(!s.abandoned.empty(), std::memory_order_relaxed);
    }
    for (const Item& it : ready) reclaim(it);
    if (!ready.empty()) s.reclaimed.fetch_add(ready.size(), std::memory_order_relaxed);
  }

  // The thread is ending: reclaims what it can, leaves the rest to the
  // threads that remain (_PyMem_AbandonDelayed) and leaves the registry.
  // Idempotent.
  template <class Reclaim>
  static void detach(Local& l, Reclaim&& reclaim) {
    if (!l.registered) return;
    quiescent(l);
    process(l, reclaim);
    l.unregister();
    if (l.queue.empty()) return;
    Shared& s = *l.shared;
    std::lock_guard g(s.abandoned_mutex);
    // Goals stay in order: merged by goal, as both queues are sorted.
    std::deque<Item> merged;
    std::merge(s.abandoned.begin(), s.abandoned.end(), l.queue.begin(), l.queue.end(), std::back_inserter(merged),
               [](const Item& a, const Item& b) { return a.goal < b.goal; });
    s.abandoned.swap(merged);
    l.queue.clear();
    s.has_abandoned.store(true, std::memory_order_relaxed);
  }

  // The last thread, with every other gone (shutdown): reclaims everything,
  // including what reclaiming retires in turn (a value whose deallocation
  // replaces another), a bounded number of rounds.
  template <class Reclaim>
  static void drain(Local& l, Reclaim&& reclaim) {
    for (int round = 0; round < 64; ++round) {
      if (l.queue.empty() && !l.shared->has_abandoned.load(std::memory_order_relaxed)) return;
      advance(*l.shared);
      quiescent(l);
      process(l, reclaim);
    }
    fatal("qsbr: items still retired after 64 rounds of draining (is another thread still attached?)");
  }

  static bool has_pending(const Local& l) { return l.should_process; }

  static std::uint64_t advance(Shared& s) {  // _Py_qsbr_advance
    s.advances.fetch_add(1, std::memory_order_relaxed);
    return s.wr_seq.fetch_add(kIncr, std::memory_order_acq_rel) + kIncr;
  }

  // _Py_qsbr_poll: has every attached thread reached `goal`?
  static bool poll(Local& l, std::uint64_t goal) {
    Shared& s = *l.shared;
    if (leq(goal, s.rd_seq.load(std::memory_order_acquire))) return true;
    return leq(goal, scan(s));
  }

 private:
  static bool lt(std::uint64_t a, std::uint64_t b) { return std::int64_t(a - b) < 0; }  // QSBR_LT
  static bool leq(std::uint64_t a, std::uint64_t b) { return std::int64_t(a - b) <= 0; }

  // should_advance_qsbr_for_free (3.13.15).
  static bool should_advance(Local& l, std::size_t size) {
    if (size > kFreeMemLimit) {
      l.deferred_count = 0;
      l.deferred_memory = 0;
      l.should_process = true;
      return true;
    }
    ++l.deferred_count;
    l.deferred_memory += size;
    if (l.deferred_count > kDeferredLimit || l.deferred_memory > kFreeMemLimit) {
      l.deferred_count = 0;
      l.deferred_memory = 0;
      l.should_process = true;
      return true;
    }
    return false;
  }

  // qsbr_poll_scan: the minimum read sequence of the attached threads.
  static std::uint64_t scan(Shared& s) {
    s.scans.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t min_seq = s.wr_seq.load(std::memory_order_seq_cst);
    {
      std::lock_guard g(s.mutex);
      for (const Local* t : s.threads) {
        const std::uint64_t seq = t->seq.load(std::memory_order_seq_cst);
        if (seq != kOffline && lt(seq, min_seq)) min_seq = seq;
      }
    }
    std::uint64_t rd = s.rd_seq.load(std::memory_order_relaxed);
    while (lt(rd, min_seq) && !s.rd_seq.compare_exchange_weak(rd, min_seq, std::memory_order_acq_rel)) {
    }
    return lt(rd, min_seq) ? min_seq : rd;
  }

  template <class Reclaim>
  static void process_queue(Local& l, std::deque<Item>& q, Reclaim& reclaim) {
    std::uint64_t n = 0;
    while (!q.empty() && poll(l, q.front().goal)) {
      const Item it = q.front();
      q.pop_front();
      reclaim(it);
      ++n;
    }
    if (n != 0) l.shared->reclaimed.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace rclab
