// The allocator conformance suite, written once as a type-parameterised
// suite and instantiated for every allocator: the lock schemes and TBB in
// alloc_conformance_test.cpp, jemalloc and mimalloc each in a binary of its
// own (alloc_backend_test.cpp), since they replace the process's malloc.
//
// Blocks of random sizes from many threads are filled with a pattern and
// verified before they are freed (no overlap, no corruption); blocks cross
// threads (producer/consumer), and outlive the thread that allocated them.
// For allocators that expose them, the arena count must come back to where
// it started once everything is freed, and check_invariants() must find
// nothing wrong.
//
// An allocator with kNeedsGil is only correct under a GIL, so the harness
// gives it one (a mutex around every call); the threads still interleave.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "obmalloc/allocator.h"

namespace rclab::obmalloc::conformance {

template <class A>
constexpr std::size_t alignment_of() {
  if constexpr (requires { A::kAlignment; })
    return A::kAlignment;
  else
    return 16;  // the contract's default
}

template <class A>
struct Harness {
  typename A::Shared shared;
  std::mutex gil;  // used only when A::kNeedsGil

  template <class F>
  auto op(F f) {
    if constexpr (A::kNeedsGil) {
      std::lock_guard g(gil);
      return f();
    } else {
      return f();
    }
  }

  // A thread's Local, built and destroyed under the GIL when there is one.
  class Local {
   public:
    explicit Local(Harness& h) : h_(h) {
      h_.op([&] { local_.emplace(h_.shared); });
    }
    // Out of line: inlined into a test's thread body, GCC 12 took the
    // optional's engaged Local for uninitialised (-Wmaybe-uninitialized).
    [[gnu::noinline]] ~Local() {
      h_.op([&] { local_.reset(); });
    }
    void* alloc(std::size_t n) {
      return h_.op([&] { return A::alloc(*local_, n); });
    }
    void free(void* p, std::size_t n) {
      h_.op([&] { A::free(*local_, p, n); });
    }

   private:
    Harness& h_;
    std::optional<typename A::Local> local_;
  };

  static constexpr bool kHasArenas = requires(typename A::Shared& s) { s.arenas(); };
  static constexpr bool kHasInvariants = requires(typename A::Shared& s) { s.check_invariants(); };

  std::size_t arenas() {
    if constexpr (kHasArenas)
      return shared.arenas();
    else
      return 0;
  }
  std::string check_invariants() {
    if constexpr (kHasInvariants)
      return shared.check_invariants();
    else
      return "";
  }
};

inline void fill(void* p, std::size_t n, std::uint8_t tag) { std::memset(p, tag, n); }
inline bool intact(const void* p, std::size_t n, std::uint8_t tag) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != tag) return false;
  return true;
}

template <class A>
class AllocConformance : public ::testing::Test {
 protected:
  // "Its start": the arena count once a thread has come and gone with one
  // block (a single shared heap keeps one wholly free arena, as CPython
  // does; per_thread trims a heap whose thread left).
  void SetUp() override {
    {
      typename Harness<A>::Local l(hx);
      l.free(l.alloc(32), 32);
    }
    start_arenas = hx.arenas();
  }
  // Every case ends with everything freed: back to the start, nothing wrong.
  void TearDown() override {
    EXPECT_EQ(hx.arenas(), start_arenas) << "arenas not returned after everything was freed";
    EXPECT_EQ(hx.check_invariants(), "");
  }

  Harness<A> hx;
  std::size_t start_arenas = 0;
};

TYPED_TEST_SUITE_P(AllocConformance);

TYPED_TEST_P(AllocConformance, SatisfiesConcept) { static_assert(Allocator<TypeParam>); }

TYPED_TEST_P(AllocConformance, RandomSizesFromManyThreadsNeverOverlap) {
  constexpr int kThreads = 8, kOps = 20000, kLive = 256;
  constexpr std::size_t kAlign = alignment_of<TypeParam>();
  std::atomic<int> corrupt{0}, misaligned{0};
  std::atomic<std::size_t> peak_arenas{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      typename Harness<TypeParam>::Local local(this->hx);
      std::mt19937 rng(7 + t);
      struct Live {
        void* p;
        std::size_t n;
        std::uint8_t tag;
      };
      std::vector<Live> live;
      for (int i = 0; i < kOps; ++i) {
        // Grow to kLive, then churn: three allocations in five while below.
        if (live.size() < kLive && (live.empty() || rng() % 5 < 3)) {
          const std::size_t n = 1 + rng() % 1024;
          void* p = local.alloc(n);
          if (reinterpret_cast<std::uintptr_t>(p) % kAlign != 0) ++misaligned;
          const auto tag = std::uint8_t(rng());
          fill(p, n, tag);
          live.push_back({p, n, tag});
        } else {
          const std::size_t k = rng() % live.size();
          if (!intact(live[k].p, live[k].n, live[k].tag)) ++corrupt;
          local.free(live[k].p, live[k].n);
          live[k] = live.back();
          live.pop_back();
        }
      }
      std::size_t seen = this->hx.arenas();
      std::size_t prev = peak_arenas.load();
      while (seen > prev && !peak_arenas.compare_exchange_weak(prev, seen)) {
      }
      for (auto& l : live) {
        if (!intact(l.p, l.n, l.tag)) ++corrupt;
        local.free(l.p, l.n);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(misaligned.load(), 0);
  if constexpr (Harness<TypeParam>::kHasArenas) {
    EXPECT_GE(peak_arenas.load(), 1u) << "the blocks came from no arena";
  }
}

TYPED_TEST_P(AllocConformance, BlocksFreedByAnotherThread) {
  constexpr int kBlocks = 50000;
  std::mutex m;
  std::deque<std::pair<void*, std::size_t>> queue;
  std::atomic<bool> done{false};
  std::atomic<int> corrupt{0};
  std::thread producer([&] {
    typename Harness<TypeParam>::Local local(this->hx);
    for (int i = 0; i < kBlocks; ++i) {
      const std::size_t n = 16 + (i % 40) * 16;  // 16..640: small and large
      void* p = local.alloc(n);
      fill(p, n, std::uint8_t(n));
      std::lock_guard g(m);
      queue.emplace_back(p, n);
    }
    done = true;
  });
  std::thread consumer([&] {
    typename Harness<TypeParam>::Local local(this->hx);
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
      local.free(b.first, b.second);
    }
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(corrupt.load(), 0);
}

// A thread allocates blocks and exits while two others are freeing them:
// they free half while it lives and half after it is gone, while a fourth
// thread (which may take over the dead thread's heap) allocates and frees.
TYPED_TEST_P(AllocConformance, ThreadExitsWhileOthersFreeItsBlocks) {
  constexpr int kBlocks = 30000;
  struct Block {
    void* p;
    std::size_t n;
  };
  std::vector<Block> blocks(kBlocks);
  std::atomic<bool> published{false}, owner_gone{false};
  std::atomic<int> next{0}, corrupt{0};

  std::thread owner([&] {
    typename Harness<TypeParam>::Local local(this->hx);
    for (int i = 0; i < kBlocks; ++i) {
      const std::size_t n = 1 + (std::size_t(i) * 37) % 600;
      blocks[i] = {local.alloc(n), n};
      fill(blocks[i].p, n, std::uint8_t(i));
    }
    published = true;
    // Stay until the freers are well into the first half.
    while (next.load() < kBlocks / 4) std::this_thread::yield();
  });
  auto freer = [&] {
    typename Harness<TypeParam>::Local local(this->hx);
    while (!published) std::this_thread::yield();
    for (;;) {
      const int i = next.fetch_add(1);
      if (i >= kBlocks) return;
      if (i == kBlocks / 2)
        while (!owner_gone) std::this_thread::yield();  // the second half strictly after the exit
      if (!intact(blocks[i].p, blocks[i].n, std::uint8_t(i))) ++corrupt;
      local.free(blocks[i].p, blocks[i].n);
    }
  };
  std::thread f1(freer), f2(freer);
  owner.join();
  owner_gone = true;
  std::thread newcomer([&] {
    typename Harness<TypeParam>::Local local(this->hx);
    std::vector<Block> mine;
    for (int i = 0; i < 5000; ++i) {
      const std::size_t n = 1 + (std::size_t(i) * 53) % 512;
      mine.push_back({local.alloc(n), n});
      fill(mine.back().p, n, 0x5a);
      if (i % 3 == 0) {
        if (!intact(mine.front().p, mine.front().n, 0x5a)) ++corrupt;
        local.free(mine.front().p, mine.front().n);
        mine.erase(mine.begin());
      }
    }
    for (auto& b : mine) {
      if (!intact(b.p, b.n, 0x5a)) ++corrupt;
      local.free(b.p, b.n);
    }
  });
  f1.join();
  f2.join();
  newcomer.join();
  EXPECT_EQ(corrupt.load(), 0);
}

// Enough live memory for many arenas, freed in random order, from one thread.
TYPED_TEST_P(AllocConformance, ArenaCountReturnsToItsStart) {
  typename Harness<TypeParam>::Local local(this->hx);
  std::mt19937 rng(11);
  std::vector<std::pair<void*, std::size_t>> live;
  std::size_t bytes = 0;
  while (bytes < (std::size_t(8) << 20)) {  // 8 MiB of small blocks
    const std::size_t n = 1 + rng() % 512;
    live.emplace_back(local.alloc(n), n);
    fill(live.back().first, n, std::uint8_t(n));
    bytes += n;
  }
  if constexpr (Harness<TypeParam>::kHasArenas) {
    EXPECT_GT(this->hx.arenas(), this->start_arenas + 4);
  }
  EXPECT_EQ(this->hx.check_invariants(), "");
  std::shuffle(live.begin(), live.end(), rng);
  int corrupt = 0;
  for (auto& [p, n] : live) {
    if (!intact(p, n, std::uint8_t(n))) ++corrupt;
    local.free(p, n);
  }
  EXPECT_EQ(corrupt, 0);
}

REGISTER_TYPED_TEST_SUITE_P(AllocConformance, SatisfiesConcept, RandomSizesFromManyThreadsNeverOverlap,
                            BlocksFreedByAnotherThread, ThreadExitsWhileOthersFreeItsBlocks,
                            ArenaCountReturnsToItsStart);

// Names each instantiation by the allocator's kName (and backend).
struct AllocName {
  template <class A>
  static std::string GetName(int) {
    std::string s(A::kName);
    if constexpr (requires { A::kBackendName; }) s += "_" + std::string(A::kBackendName);
    if constexpr (requires { A::Heap::R::kAlignment; }) {
      if (A::Heap::R::kPoolSize == 4096) s += "_36";
    }
    return s;
  }
};

}  // namespace rclab::obmalloc::conformance
