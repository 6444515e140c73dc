// Allocator micro-benchmarks, templated over the allocators:
//   local32/<alloc>   each thread allocates 64 blocks of 32 bytes (an int's
//                     size) and frees them, on its own Local;
//   mixed/<alloc>     the same with sizes 16..512 from a fixed random table,
//                     freed in a shuffled order;
//   xthread/<alloc>   threads in pairs, one producing batches of blocks
//                     (sizes 16..512) and one freeing them: every free is
//                     cross-thread (the xmalloc-test pattern).
// Items are blocks allocated and freed.
//
// Read with real time (UseRealTime): with threads, Google Benchmark 1.7.1
// sums real time over threads and divides by the thread count, so a flat
// line is perfect scaling. MeasureProcessCPUTime adds the CPU view. An
// allocator that needs a GIL (unlocked) is measured at one thread only.
//
// This binary measures everything that can share a process with glibc.
// jemalloc and mimalloc replace malloc for the whole process, so the same
// file is compiled again per backend (RCLAB_BACKEND_JEMALLOC / _MIMALLOC)
// into bench/alloc_bench_<backend>, which measures that backend alone; every
// binary records in its context which allocator served malloc.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/cacheline.h"
#include "build_info.h"
#include "obmalloc/which.h"

#if defined(RCLAB_BACKEND_JEMALLOC)
#include "obmalloc/jemalloc.h"
#elif defined(RCLAB_BACKEND_MIMALLOC)
#include "obmalloc/mimalloc.h"
#else
#include "obmalloc/global_lock.h"
#include "obmalloc/per_thread.h"
#include "obmalloc/system.h"
#include "obmalloc/tbb.h"
#include "obmalloc/two_stage.h"
#include "obmalloc/unlocked.h"
#endif

namespace rclab::obmalloc {
namespace {

constexpr int kBatch = 64;

int max_threads() { return 2 * int(std::max(1u, std::thread::hardware_concurrency())); }

template <class A>
typename A::Shared& shared_of() {
  static typename A::Shared shared;  // one per allocator, across runs
  return shared;
}

template <class A>
void BM_Local32(benchmark::State& state) {
  typename A::Local local(shared_of<A>());
  std::array<void*, kBatch> live{};
  for (auto _ : state) {
    for (auto& p : live) {
      p = A::alloc(local, 32);
      benchmark::DoNotOptimize(p);
    }
    for (auto it = live.rbegin(); it != live.rend(); ++it) A::free(local, *it, 32);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// 16..512 in 16-byte steps, and a shuffled free order; fixed seeds so every
// allocator gets the same sequence.
struct MixedPlan {
  std::array<std::size_t, kBatch> size;
  std::array<int, kBatch> free_order;
  MixedPlan() {
    std::mt19937 rng(42);
    for (auto& s : size) s = 16 * (1 + rng() % 32);
    for (int i = 0; i < kBatch; ++i) free_order[i] = i;
    std::shuffle(free_order.begin(), free_order.end(), rng);
  }
};

template <class A>
void BM_Mixed(benchmark::State& state) {
  static const MixedPlan plan;
  typename A::Local local(shared_of<A>());
  std::array<void*, kBatch> live{};
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      live[i] = A::alloc(local, plan.size[i]);
      benchmark::DoNotOptimize(live[i]);
    }
    for (int i : plan.free_order) A::free(local, live[i], plan.size[i]);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// One single-producer single-consumer ring of batches per pair of threads.
// Every run leaves each ring empty (producer and consumer run the same
// number of iterations), so the rings carry over between runs.
struct Batch {
  std::array<void*, kBatch> p;
  std::array<std::uint32_t, kBatch> n;
};
struct Ring {
  static constexpr std::uint64_t kSlots = 64;
  std::array<Batch, kSlots> slots;
  alignas(kCacheLine) std::atomic<std::uint64_t> head{0};  // producer's
  alignas(kCacheLine) std::atomic<std::uint64_t> tail{0};  // consumer's
};
constexpr int kMaxPairs = 64;
Ring rings[kMaxPairs];

template <class A>
void BM_CrossThread(benchmark::State& state) {
  static const MixedPlan plan;
  typename A::Local local(shared_of<A>());
  Ring& ring = rings[state.thread_index() / 2];
  const bool producer = state.thread_index() % 2 == 0;
  std::uint64_t bad = 0;
  for (auto _ : state) {
    if (producer) {
      const std::uint64_t h = ring.head.load(std::memory_order_relaxed);
      while (h - ring.tail.load(std::memory_order_acquire) == Ring::kSlots) std::this_thread::yield();
      Batch& b = ring.slots[h % Ring::kSlots];
      for (int i = 0; i < kBatch; ++i) {
        b.n[i] = std::uint32_t(plan.size[i]);
        b.p[i] = A::alloc(local, b.n[i]);
        *static_cast<std::uint32_t*>(b.p[i]) = b.n[i];  // checked by the consumer
      }
      ring.head.store(h + 1, std::memory_order_release);
    } else {
      const std::uint64_t t = ring.tail.load(std::memory_order_relaxed);
      while (ring.head.load(std::memory_order_acquire) == t) std::this_thread::yield();
      Batch& b = ring.slots[t % Ring::kSlots];
      for (int i = 0; i < kBatch; ++i) {
        bad += *static_cast<std::uint32_t*>(b.p[i]) != b.n[i];
        A::free(local, b.p[i], b.n[i]);
      }
      ring.tail.store(t + 1, std::memory_order_release);
    }
  }
  if (bad != 0) state.SkipWithError("a block changed between producer and consumer");
  state.SetItemsProcessed(state.iterations() * kBatch);
}

template <class A>
void register_all() {
  const std::string name(A::kName);
  const std::string full = [&] {
    if constexpr (requires { A::kBackendName; })
      return name + "+" + std::string(A::kBackendName);
    else
      return name;
  }();
  const int threads = A::kNeedsGil ? 1 : max_threads();
  benchmark::RegisterBenchmark(("local32/" + full).c_str(), BM_Local32<A>)
      ->ThreadRange(1, threads)
      ->UseRealTime()
      ->MeasureProcessCPUTime();
  benchmark::RegisterBenchmark(("mixed/" + full).c_str(), BM_Mixed<A>)
      ->ThreadRange(1, threads)
      ->UseRealTime()
      ->MeasureProcessCPUTime();
  if (!A::kNeedsGil)
    benchmark::RegisterBenchmark(("xthread/" + full).c_str(), BM_CrossThread<A>)
        ->ThreadRange(2, std::min(threads, 2 * kMaxPairs))
        ->UseRealTime()
        ->MeasureProcessCPUTime();
}

}  // namespace
}  // namespace rclab::obmalloc

int main(int argc, char** argv) {
  using namespace rclab::obmalloc;
#if defined(RCLAB_BACKEND_JEMALLOC)
  register_all<Jemalloc>();
#elif defined(RCLAB_BACKEND_MIMALLOC)
  register_all<Mimalloc>();
#else
  register_all<System>();
  register_all<Tbb>();
  register_all<Unlocked<>>();
  register_all<GlobalLock<System>>();
  register_all<GlobalLock<Pymalloc<>>>();
  register_all<TwoStage<>>();
  register_all<PerThread<>>();
#endif
  const ServingAllocator s = serving_allocator();
  benchmark::AddCustomContext("malloc", s.name + " " + s.version + " (" + s.library + ")");
  benchmark::AddCustomContext("git_rev", RCLAB_GIT_REV);
  benchmark::AddCustomContext("build", std::string(RCLAB_COMPILER) + "," + RCLAB_CXX_FLAGS);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
