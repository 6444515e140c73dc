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

#include <memory>
#include <thread>

#include "refcount/atomic.h"
#include "refcount/biased.h"
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
// `deferred` changes no policy operation (it skips the interpreter's stack
// operations, which only the fib sweep can show), so it has no line here.

}  // namespace
}  // namespace rclab::refcount

BENCHMARK_MAIN();
