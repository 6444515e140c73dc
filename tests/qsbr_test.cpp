// QSBR (common/qsbr.h): nothing is reclaimed while an attached thread has
// not passed a quiescent state since it was retired; a parked or exited
// thread is not waited for; what an exiting thread leaves is reclaimed by
// the others; and, under ThreadSanitizer and ASan, readers that load a
// pointer, use it and then report quiescence never meet reclaimed memory.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/qsbr.h"

namespace rclab {
namespace {

struct Counting {
  std::vector<void*> reclaimed;
  void operator()(const Qsbr::Item& it) { reclaimed.push_back(it.ptr); }
};

// Retires enough items to pass the batching limit, so the write sequence
// advances and processing is asked for.
void retire_batch(Qsbr::Local& l, std::vector<int>& storage) {
  for (int& x : storage) Qsbr::retire(l, &x, 0);
}

TEST(Qsbr, WaitsForEveryAttachedThreadAndNotForAParkedOne) {
  Qsbr::Shared s;
  Qsbr::Local writer(s), reader(s);
  std::vector<int> items(Qsbr::kDeferredLimit + 1);
  retire_batch(writer, items);
  EXPECT_TRUE(Qsbr::has_pending(writer)) << "128 retirements advance the sequence and ask for processing";
  Counting c;
  Qsbr::quiescent(writer);
  Qsbr::process(writer, c);
  EXPECT_TRUE(c.reclaimed.empty()) << "the reader has not passed a quiescent state since";
  Qsbr::quiescent(reader);
  Qsbr::process(writer, c);
  EXPECT_EQ(c.reclaimed.size(), items.size()) << "every goal was reached once both threads were quiescent";
  // A second batch: a parked reader is not waited for.
  std::vector<int> more(Qsbr::kDeferredLimit + 1);
  retire_batch(writer, more);
  Qsbr::park(reader);
  Qsbr::quiescent(writer);
  Qsbr::process(writer, c);
  EXPECT_EQ(c.reclaimed.size(), items.size() + more.size());
  Qsbr::unpark(reader);
}

TEST(Qsbr, WithoutAnAdvanceNothingIsReclaimedUntilTheBatchFillsOrADrain) {
  Qsbr::Shared s;
  Qsbr::Local l(s);
  int x = 0;
  Qsbr::retire(l, &x, 0);
  EXPECT_FALSE(Qsbr::has_pending(l)) << "one retirement neither advances nor asks for processing";
  Counting c;
  Qsbr::quiescent(l);
  Qsbr::process(l, c);
  EXPECT_TRUE(c.reclaimed.empty()) << "its goal is the next write sequence, which nobody has advanced to";
  Qsbr::drain(l, c);
  ASSERT_EQ(c.reclaimed.size(), 1u);
  EXPECT_EQ(c.reclaimed[0], &x);
}

TEST(Qsbr, ABigBlockAdvancesAtOnce) {
  Qsbr::Shared s;
  Qsbr::Local l(s);
  int x = 0;
  const std::uint64_t before = s.wr_seq.load();
  Qsbr::retire(l, &x, Qsbr::kFreeMemLimit + 1);
  EXPECT_EQ(s.wr_seq.load(), before + Qsbr::kIncr);
  EXPECT_TRUE(Qsbr::has_pending(l));
}

TEST(Qsbr, WhatAnExitingThreadLeavesIsReclaimedByTheOthers) {
  Qsbr::Shared s;
  Qsbr::Local stays(s);
  std::vector<int> items(Qsbr::kDeferredLimit + 1);
  Counting by_exiting, by_staying;
  {
    Qsbr::Local exits(s);
    retire_batch(exits, items);
    Qsbr::detach(exits, by_exiting);  // `stays` has not been quiescent: nothing reclaimed
  }
  EXPECT_TRUE(by_exiting.reclaimed.empty());
  EXPECT_TRUE(s.has_abandoned.load());
  Qsbr::quiescent(stays);
  Qsbr::process(stays, by_staying);
  EXPECT_EQ(by_staying.reclaimed.size(), items.size());
  EXPECT_FALSE(s.has_abandoned.load());
}

// Reclaiming may block (a decref under buffered counting waits for its
// commit thread), and an exiting thread takes the abandoned items' lock in
// detach() without being parked: so no lock may be held while an
// abandoned item is reclaimed. Each reclaim asks another thread whether
// the lock is free.
TEST(Qsbr, AbandonedItemsAreReclaimedWithTheirLockReleased) {
  Qsbr::Shared s;
  Qsbr::Local stays(s);
  std::vector<int> items(Qsbr::kDeferredLimit + 1);
  {
    Qsbr::Local exits(s);
    retire_batch(exits, items);
    Counting none;
    Qsbr::detach(exits, none);
  }
  ASSERT_TRUE(s.has_abandoned.load());
  int reclaimed = 0, under_lock = 0;
  auto reclaim = [&](const Qsbr::Item&) {
    ++reclaimed;
    std::thread([&] {
      if (s.abandoned_mutex.try_lock())
        s.abandoned_mutex.unlock();
      else
        ++under_lock;
    }).join();
  };
  Qsbr::quiescent(stays);
  Qsbr::process(stays, reclaim);
  EXPECT_EQ(reclaimed, int(items.size()));
  EXPECT_EQ(under_lock, 0);
  EXPECT_FALSE(s.has_abandoned.load());
}

// The protocol under real threads: a writer repeatedly replaces a shared
// pointer to a heap block and retires the old one; readers load the
// pointer, read the block, and only then report quiescence. A reclaimed
// block is deleted, so a reader that read one would be a use-after-free
// (ASan) or a race with the delete (TSan); its value is checked too.
TEST(Qsbr, ReadersNeverSeeAReclaimedBlock) {
  struct Block {
    std::atomic<std::uint64_t> magic{0xfeedULL};
  };
  Qsbr::Shared s;
  std::atomic<Block*> current{new Block};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> bad{0}, reads{0};
  std::atomic<int> reading{0};  // readers past their first batch: the writer starts after all of them
  auto reclaim = [](const Qsbr::Item& it) {
    auto* b = static_cast<Block*>(it.ptr);
    b->magic.store(0xdeadULL, std::memory_order_relaxed);
    delete b;
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&] {
      Qsbr::Local me(s);
      bool counted = false;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 64; ++i) {
          Block* b = current.load(std::memory_order_acquire);
          if (b->magic.load(std::memory_order_relaxed) != 0xfeedULL) bad.fetch_add(1);
          reads.fetch_add(1, std::memory_order_relaxed);
        }
        Qsbr::quiescent(me);
        if (!counted) {
          counted = true;
          reading.fetch_add(1, std::memory_order_release);
        }
      }
      Qsbr::detach(me, reclaim);
    });
  {
    Qsbr::Local w(s);
    // Otherwise, on a loaded machine, the writer can finish before any
    // reader has run (seen once under ctest -j2).
    while (reading.load(std::memory_order_acquire) < 3) std::this_thread::yield();
    for (int i = 0; i < 20000; ++i) {
      Block* old = current.exchange(new Block, std::memory_order_acq_rel);
      Qsbr::retire(w, old, sizeof(Block));
      Qsbr::quiescent(w);
      if (Qsbr::has_pending(w)) Qsbr::process(w, reclaim);
    }
    stop = true;
    for (auto& t : readers) t.join();
    Qsbr::drain(w, reclaim);
    Qsbr::detach(w, reclaim);
  }
  delete current.load();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(s.reclaimed.load(), 0u) << "the writer reclaimed while readers ran";
}

}  // namespace
}  // namespace rclab
