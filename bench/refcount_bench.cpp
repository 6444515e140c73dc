// One incref+decref pair per iteration, for every reference-count policy, on
// (a) an object private to each thread and (b) one object shared by all
// threads — the fib function's or the small int 1's situation.
//
// Read with real time (UseRealTime): with threads, Google Benchmark 1.7.1
// reports real time summed over threads and divided by the thread count, so
// a flat line means perfect scaling. MeasureProcessCPUTime adds the CPU view.
// A policy that needs a GIL is measured shared at one thread only: without a
// GIL it would race, and with one this becomes a GIL benchmark.
//
// Every run checks the shared count is back to exactly 1 afterwards, so the
// benchmark cannot silently measure a policy that loses updates.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "refcount/atomic.h"
#include "refcount/biased.h"
#include "refcount/buffered.h"
#include "refcount/immortal.h"
#include "refcount/plain.h"
#include "refcount/remote.h"

namespace rclab::refcount {
namespace {

int max_threads() { return 2 * int(std::max(1u, std::thread::hardware_concurrency())); }

template <class P>
struct alignas(64) Padded {
  typename P::Header h;
};

// The barriers force each operation to memory, as a real incref is: without
// them the compiler folds the pair away.
template <class P>
inline void pair(typename P::Header& h, typename P::Local& local) {
  P::incref(h, local);
  benchmark::ClobberMemory();
  benchmark::DoNotOptimize(P::decref(h, local));
  benchmark::ClobberMemory();
}

template <class P>
void BM_PrivatePair(benchmark::State& state) {
  static typename P::Shared shared;
  typename P::Local local(shared);
  // On the heap like a real object (a stack slot would get the CPU's
  // stack-specific store forwarding), on its own cache line.
  auto obj = std::make_unique<Padded<P>>();
  P::init(obj->h, local);
  benchmark::DoNotOptimize(obj.get());
  for (auto _ : state) pair<P>(obj->h, local);
  if (P::count(obj->h) != 1) state.SkipWithError("count drifted on a private object");
  if (!P::decref(obj->h, local)) state.SkipWithError("the last decref did not report zero");
  state.SetItemsProcessed(state.iterations());
}

template <class P>
void BM_SharedPair(benchmark::State& state) {
  static typename P::Shared shared;
  static Padded<P> obj;
  typename P::Local local(shared);
  if (state.thread_index() == 0) P::init(obj.h, local);  // the loop's start is a barrier
  for (auto _ : state) pair<P>(obj.h, local);
  // The loop's end is a barrier too: every thread has finished its pairs.
  if (state.thread_index() == 0) {
    if (P::count(obj.h) != 1) state.SkipWithError("shared count lost updates");
    if (!P::decref(obj.h, local)) state.SkipWithError("the last decref did not report zero");
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_TEMPLATE(BM_PrivatePair, Plain)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_PrivatePair, Atomic)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_SharedPair, Plain)->Threads(1)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_SharedPair, Atomic)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();

// Remote headers: atomic counting one indirection away.
BENCHMARK_TEMPLATE(BM_PrivatePair, Remote)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_SharedPair, Remote)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();

// Biased: a private object is counted by its owner without a lock prefix;
// a shared one is owned by thread 0, and every other thread counts it
// atomically in the shared field — the contention that made nogil add
// immortal and deferred objects.
BENCHMARK_TEMPLATE(BM_PrivatePair, Biased)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_SharedPair, Biased)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();

// Immortal: a mortal private object pays the extra test; an immortal shared
// one (None, a small int) is only read, so threads no longer contend.
template <class P>
void BM_ImmortalSharedPair(benchmark::State& state) {
  static typename P::Shared shared;
  static Padded<P> obj;
  typename P::Local local(shared);
  if (state.thread_index() == 0) {
    P::init(obj.h, local);
    P::make_immortal(obj.h);
  }
  for (auto _ : state) pair<P>(obj.h, local);
  if (state.thread_index() == 0 && !P::is_immortal(obj.h)) state.SkipWithError("immortal count changed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_PrivatePair, Immortal<Atomic>)
    ->ThreadRange(1, max_threads())
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_ImmortalSharedPair, Immortal<Atomic>)
    ->ThreadRange(1, max_threads())
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_PrivatePair, Immortal<Biased>)
    ->ThreadRange(1, max_threads())
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_ImmortalSharedPair, Immortal<Biased>)
    ->ThreadRange(1, max_threads())
    ->UseRealTime()
    ->MeasureProcessCPUTime();
// Buffered: a pair is two log appends on the measured thread; the commit
// thread applies them meanwhile, and its CPU is in the process CPU column.
// One commit thread for the whole program (never stopped: the process ends).
//
// The drain is timed: the last iteration of every batch quiesces — waits,
// parked, until the commit thread has applied everything every thread logged
// — before the timer stops, so the time covers the pairs being applied, not
// only appended, as `rclab run` times a buffered configuration until its logs
// are applied. Otherwise the backlog left at the end of a batch (up to the
// log-memory cap) would be free. The time spent in that final quiesce is
// reported as the `drain_ms` counter (per thread, averaged over threads;
// part of the time): the drain, plus, with several threads, waiting for the
// others to finish their batch.
struct BufferedRig {
  BufferedRig() {
    commit = std::thread([this] {
      Buffered::Local me(shared);
      Buffered::commit_loop(shared, me, [](Buffered::Header&) {});
    });
    Buffered::wait_started(shared);
  }
  Buffered::Shared shared;
  std::thread commit;
  Padded<Buffered> obj;
  std::atomic<int> detached{0};
};

template <bool kShared>
void BM_BufferedPair(benchmark::State& state) {
  static BufferedRig& rig = *new BufferedRig;
  Buffered::Local local(rig.shared);
  auto priv = std::make_unique<Padded<Buffered>>();
  Buffered::Header& h = kShared ? rig.obj.h : priv->h;
  if (!kShared || state.thread_index() == 0) Buffered::init(h, local);
  // Google Benchmark's threads block in barriers at the loop's start and
  // end, where they cannot acknowledge epochs: park across both, or the
  // commit thread waits for a blocked thread while the others wait for logs.
  Buffered::park(local);
  benchmark::IterationCount i = 0;
  double drain_s = 0;
  for (auto _ : state) {
    if (i == 0) [[unlikely]]
      Buffered::unpark(local);
    pair<Buffered>(h, local);
    if (Buffered::has_pending(local)) [[unlikely]]
      Buffered::safepoint(local, [](Buffered::Header&) {});
    if (++i == state.max_iterations) [[unlikely]] {
      // Still timed: the loop's timer stops after this iteration. quiesce()
      // returns once every thread has got here (it parks the caller, and
      // waits for the others' logs), so each thread's time runs until the
      // whole batch is applied.
      const auto t0 = std::chrono::steady_clock::now();
      Buffered::quiesce(local);
      drain_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      Buffered::park(local);
    }
  }
  Buffered::unpark(local);
  state.counters["drain_ms"] = benchmark::Counter(drain_s * 1e3, benchmark::Counter::kAvgThreads);
  // Counts are exact only after a quiesce with every other thread gone;
  // the others keep their objects alive until it is done, since the commit
  // thread may still be applying their entries.
  if (state.thread_index() != 0) {
    Buffered::detach(local, [](Buffered::Header&) {});
    ++rig.detached;
    while (rig.detached.load() != 0) std::this_thread::yield();
  } else {
    while (rig.detached.load() != state.threads() - 1) std::this_thread::yield();
    Buffered::quiesce(local);
    if (Buffered::count(h) != 1) state.SkipWithError("count lost updates");
    Buffered::detach(local, [](Buffered::Header&) {});
    rig.detached = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_BufferedPair, false)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK_TEMPLATE(BM_BufferedPair, true)->ThreadRange(1, max_threads())->UseRealTime()->MeasureProcessCPUTime();

// `deferred` changes no policy operation (it skips the interpreter's stack
// operations, which only the fib sweep can show), so it has no line here.

}  // namespace
}  // namespace rclab::refcount

BENCHMARK_MAIN();
