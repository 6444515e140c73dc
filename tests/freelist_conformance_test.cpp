// The freelist conformance suite, typed over every freelist policy
// (freelists::AllPolicies, freelists/all.h: a new freelist joins there) and
// small-capacity variants that reach the cap quickly: blocks come back
// LIFO, the cap is honoured, nothing is handed out twice (also from many
// threads), and drain + drain_shared return every cached block.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "freelists/all.h"
#include "freelists/freelist.h"
#include "tests/type_lists.h"

namespace rclab::freelists {
namespace {

template <class F>
class FreelistConformance : public ::testing::Test {
 protected:
  typename F::Shared shared;
};

// Every freelist a configuration may use, and, test-only, small caps.
using Policies = tests::ToTypes<tests::Concat<AllPolicies<tests::TypeList>, tests::TypeList<PerThread<3>, Global<3>>>>;
TYPED_TEST_SUITE(FreelistConformance, Policies);

struct Block {
  void* link;
  char payload[56];
};

struct Released {
  std::mutex m;
  std::vector<void*> blocks;
  static void add(void* ctx, void* p) {
    auto& self = *static_cast<Released*>(ctx);
    std::lock_guard g(self.m);
    self.blocks.push_back(p);
  }
};

TYPED_TEST(FreelistConformance, SatisfiesConcept) { static_assert(Freelist<TypeParam>); }

TYPED_TEST(FreelistConformance, LifoUpToCapacityThenRefuses) {
  typename TypeParam::Local local(this->shared);
  std::vector<Block> blocks(TypeParam::kCapacity + 2);
  std::size_t pushed = 0;
  for (auto& b : blocks) pushed += TypeParam::push(local, &b);
  EXPECT_EQ(pushed, TypeParam::kCapacity);
  for (std::size_t i = TypeParam::kCapacity; i-- > 0;) EXPECT_EQ(TypeParam::pop(local), &blocks[i]);
  EXPECT_EQ(TypeParam::pop(local), nullptr);
}

TYPED_TEST(FreelistConformance, DrainReturnsEveryCachedBlockOnce) {
  std::vector<Block> blocks(TypeParam::kCapacity);
  Released released;
  {
    typename TypeParam::Local local(this->shared);
    for (auto& b : blocks) ASSERT_TRUE(TypeParam::push(local, &b));
    TypeParam::drain(local, &Released::add, &released);
  }
  TypeParam::drain_shared(this->shared, &Released::add, &released);
  std::set<void*> unique(released.blocks.begin(), released.blocks.end());
  EXPECT_EQ(released.blocks.size(), blocks.size());
  EXPECT_EQ(unique.size(), blocks.size());
  typename TypeParam::Local after(this->shared);
  EXPECT_EQ(TypeParam::pop(after), nullptr);
}

// Threads pop, own, and push back blocks; a block owned by two threads at
// once is caught by the owner tag.
TYPED_TEST(FreelistConformance, NoBlockIsHandedOutTwiceAcrossThreads) {
  constexpr int kThreads = 8, kRounds = 20000, kBlocksPerThread = 4;
  std::vector<Block> pool(kThreads * kBlocksPerThread);
  std::vector<std::atomic<int>> owner(pool.size());
  for (auto& o : owner) o = -1;
  std::atomic<int> doubles{0};
  Released released;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      typename TypeParam::Local local(this->shared);
      std::vector<void*> held;
      for (int i = 0; i < kBlocksPerThread; ++i) held.push_back(&pool[t * kBlocksPerThread + i]);
      for (auto* p : held) owner[static_cast<Block*>(p) - pool.data()] = t;
      for (int r = 0; r < kRounds; ++r) {
        if (!held.empty() && (r % 3 != 0 || held.size() == kBlocksPerThread)) {
          void* p = held.back();
          held.pop_back();
          owner[static_cast<Block*>(p) - pool.data()] = -1;
          if (!TypeParam::push(local, p)) {  // full: keep it
            owner[static_cast<Block*>(p) - pool.data()] = t;
            held.push_back(p);
          }
        } else if (void* p = TypeParam::pop(local)) {
          int expected = -1;
          if (!owner[static_cast<Block*>(p) - pool.data()].compare_exchange_strong(expected, t)) ++doubles;
          held.push_back(p);
        }
      }
      TypeParam::drain(local, &Released::add, &released);
    });
  }
  for (auto& th : threads) th.join();
  TypeParam::drain_shared(this->shared, &Released::add, &released);
  EXPECT_EQ(doubles.load(), 0);
}

}  // namespace
}  // namespace rclab::freelists
