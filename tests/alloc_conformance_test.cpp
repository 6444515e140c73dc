// The allocator conformance suite, typed over every allocator: blocks of
// random sizes from many threads are filled with a pattern and verified
// before they are freed (no overlap, no corruption), and blocks cross
// threads before being freed (producer/consumer).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "obmalloc/allocator.h"
#include "obmalloc/global_lock.h"
#include "obmalloc/system.h"

namespace rclab::obmalloc {
namespace {

template <class A>
class AllocConformance : public ::testing::Test {
 protected:
  typename A::Shared shared;
};

using Policies = ::testing::Types<System, GlobalLock<System>>;
TYPED_TEST_SUITE(AllocConformance, Policies);

void fill(void* p, std::size_t n, std::uint8_t tag) { std::memset(p, tag, n); }
bool intact(const void* p, std::size_t n, std::uint8_t tag) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != tag) return false;
  return true;
}

TYPED_TEST(AllocConformance, SatisfiesConcept) { static_assert(Allocator<TypeParam>); }

TYPED_TEST(AllocConformance, RandomSizesFromManyThreadsNeverOverlap) {
  constexpr int kThreads = 8, kOps = 20000, kLive = 64;
  std::atomic<int> corrupt{0}, misaligned{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      typename TypeParam::Local local(this->shared);
      std::mt19937 rng(7 + t);
      struct Live {
        void* p;
        std::size_t n;
        std::uint8_t tag;
      };
      std::vector<Live> live;
      for (int i = 0; i < kOps; ++i) {
        if (live.size() < kLive && (live.empty() || rng() % 2)) {
          const std::size_t n = 1 + rng() % 1024;
          void* p = TypeParam::alloc(local, n);
          if (reinterpret_cast<std::uintptr_t>(p) % 16 != 0) ++misaligned;
          const auto tag = std::uint8_t(rng());
          fill(p, n, tag);
          live.push_back({p, n, tag});
        } else {
          const std::size_t k = rng() % live.size();
          if (!intact(live[k].p, live[k].n, live[k].tag)) ++corrupt;
          TypeParam::free(local, live[k].p, live[k].n);
          live[k] = live.back();
          live.pop_back();
        }
      }
      for (auto& l : live) {
        if (!intact(l.p, l.n, l.tag)) ++corrupt;
        TypeParam::free(local, l.p, l.n);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(misaligned.load(), 0);
}

TYPED_TEST(AllocConformance, BlocksFreedByAnotherThread) {
  constexpr int kBlocks = 50000;
  std::mutex m;
  std::deque<std::pair<void*, std::size_t>> queue;
  std::atomic<bool> done{false};
  std::atomic<int> corrupt{0};
  std::thread producer([&] {
    typename TypeParam::Local local(this->shared);
    for (int i = 0; i < kBlocks; ++i) {
      const std::size_t n = 16 + (i % 32) * 16;
      void* p = TypeParam::alloc(local, n);
      fill(p, n, std::uint8_t(n));
      std::lock_guard g(m);
      queue.emplace_back(p, n);
    }
    done = true;
  });
  std::thread consumer([&] {
    typename TypeParam::Local local(this->shared);
    for (;;) {
      std::pair<void*, std::size_t> b{nullptr, 0};
      {
        std::lock_guard g(m);
        if (!queue.empty()) {
          b = queue.front();
          queue.pop_front();
        }
      }
      if (b.first == nullptr) {
        if (done) {
          std::lock_guard g(m);
          if (queue.empty()) return;
        }
        std::this_thread::yield();
        continue;
      }
      if (!intact(b.first, b.second, std::uint8_t(b.second))) ++corrupt;
      TypeParam::free(local, b.first, b.second);
    }
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(corrupt.load(), 0);
}

}  // namespace
}  // namespace rclab::obmalloc
