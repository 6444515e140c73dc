// One measurement: N threads, released together from a barrier, each run a
// workload's work(n) in the interpreter under configuration Cfg (fib(n) by
// default; experiments/workload.h).
//
// What is timed: from the barrier's release (its completion step, once every
// worker has started) to the last join — thread start-up and runtime
// construction and teardown are outside. A policy with a commit thread
// (buffered counting) is timed until its logs are applied too: the work
// is not done while increments and decrements are still waiting. Process CPU is the
// difference of getrusage(RUSAGE_SELF) over the same span, so it includes any
// helper thread. Teardown happens after timing and is then checked: every
// object created must have been destroyed and every block freed.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <barrier>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/clock.h"
#include "common/perf_counters.h"
#include "dictlock/futex_mutex.h"
#include "experiments/workload.h"
#include "experiments/run_record.h"
#include "freelists/objects_none.h"
#include "runtime/gil_isolated.h"
#include "runtime/py36/interp.h"

namespace rclab::experiments {

// The CPUs this process may run on, in order (taskset and cgroups respected).
inline std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

inline void pin_self_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

template <runtime::SafeConfig Cfg>
RunRecord run_workload(const RunParams& p) {
  using TS = runtime::ThreadState<Cfg>;
  using Gil = typename Cfg::Gil;

  runtime::RuntimeOptions options;
  options.settings = p.settings;
  // The shared runtime, or, with an isolated GIL, one per worker (built on
  // the worker's own thread, before the barrier) and this one only for the
  // driver's bookkeeping.
  constexpr bool kIsolated = runtime::is_isolated<Gil>();
  const EmbeddedWorkload* wl = find_workload(p.workload);
  if (wl == nullptr) throw std::invalid_argument("unknown workload '" + p.workload + "' (" + workload_names() + ")");
  check_workload<Cfg>(*wl);
  runtime::Runtime<Cfg> rt(options);
  const InstalledWorkload<Cfg> installed = install_workload(rt, *wl);
  if (refcount::kPrivateOnly<typename Cfg::RC> && installed.crosses_threads)
    throw std::invalid_argument("workload " + p.workload + " hands objects from thread to thread (CROSSES_THREADS), " +
                                "which this configuration's refcount policy does not allow (its counts are plain)");
  std::vector<std::unique_ptr<runtime::Runtime<Cfg>>> own(kIsolated ? p.threads : 0);

  RunRecord r;
  r.threads = p.threads;
  r.n = p.n;
  r.workload = wl->name;
  r.workload_code_sha256 = workload_code<Cfg>(*wl).sha256;
  r.workload_source_sha256 = wl->source_sha256;
  if (wl->path != nullptr) r.workload_path = wl->path;
  r.expected = call_expect(rt, installed, p.n);
  // Set-up's frames may be freed by the commit thread (buffered counting):
  // what it has done so far is set-up's, not the workers'.
  runtime::quiesce(rt.main);
  const runtime::Counters helper_setup = rt.helper_counters() ? *rt.helper_counters() : runtime::Counters{};
  r.results.assign(p.threads, 0);
  r.thread_cpu_s.assign(p.threads, 0.0);
  r.thread_counters.assign(p.threads, {});
  std::vector<CounterProblems> counter_problems(p.threads);
  // Trace buffers are allocated here, before any worker starts, so that a
  // capacity too large for memory is a reported error, not a terminate()
  // inside a thread.
  std::vector<std::shared_ptr<LockTrace>> trace_buffers;
  if (p.trace_capacity > 0) {
    try {
      for (int i = 0; i < p.threads; ++i) trace_buffers.push_back(std::make_shared<LockTrace>(p.trace_capacity));
    } catch (const std::bad_alloc&) {
      throw std::runtime_error("not enough memory for " + std::to_string(p.threads) + " trace buffers of " +
                               std::to_string(p.trace_capacity) + " events; lower --capacity");
    }
    r.traces.assign(trace_buffers.begin(), trace_buffers.end());
  }

  std::vector<std::unique_ptr<TS>> states(p.threads);
  // The clocks start in the barrier's completion step: after every worker
  // has started and built its thread state, before any is released.
  CpuTimes cpu0;
  double wall0 = 0, helper0 = 0;
  auto start_clocks = [&]() noexcept {
    cpu0 = process_cpu();
    helper0 = rt.helper_cpu_seconds();
    wall0 = wall_seconds();
  };
  const std::vector<int> cpus = p.pin ? allowed_cpus() : std::vector<int>{};
  r.pinned = !cpus.empty();
  std::barrier start(p.threads + 1, start_clocks);
  std::atomic<bool> abandon{false};  // set when not every worker could be started
  std::vector<std::thread> workers;
  workers.reserve(p.threads);
  for (int i = 0; i < p.threads; ++i) {
    auto body = [&, i] {
      if (!cpus.empty()) pin_self_to(cpus[std::size_t(i) % cpus.size()]);
      // Built on its own thread, so its memory is first touched here.
      runtime::Runtime<Cfg>* mine = &rt;
      auto* name = installed.work;
      if constexpr (kIsolated) {
        own[i] = std::make_unique<runtime::Runtime<Cfg>>(options);
        mine = own[i].get();
        name = install_workload(*mine, *wl).work;  // under its own GIL, with its own thread state attached
      }
      states[i] = std::make_unique<TS>(*mine);
      TS& ts = *states[i];
      if (!trace_buffers.empty()) {
        // One buffer per thread for every lock that can be traced.
        LockTrace* buf = trace_buffers[std::size_t(i)].get();
        if constexpr (requires { ts.gil.trace; }) ts.gil.trace = buf;
        if constexpr (requires { ts.alloc.trace; }) ts.alloc.trace = buf;
        if constexpr (requires { ts.frames.trace; }) ts.frames.trace = buf;
      }
      Cfg::TState::attach(&ts);
      // A thread asleep on a dict's lock is parked (dictlock/futex_mutex.h):
      // buffered counting's epochs and 3.14t's stop-the-world go on without it.
      if constexpr (refcount::HasParking<typename Cfg::RC> || runtime::kHasDeferredGc<Cfg>)
        dictlock::tls_blocking_hooks = {[](void* t) { runtime::park(*static_cast<TS*>(t)); },
                                        [](void* t) { runtime::unpark(*static_cast<TS*>(t)); }, &ts};
      ThreadCounters counters;  // opened here: perf_event_open costs a system call per counter
      counters.open();
      runtime::park(ts);  // blocked at the barrier: the commit thread must not wait for it
      start.arrive_and_wait();
      runtime::unpark(ts);
      if (abandon.load()) {
        dictlock::tls_blocking_hooks = {};
        Cfg::TState::detach(&ts);
        return;
      }
      const double cpu0 = thread_cpu_seconds();
      counters.start();
      Gil::take(mine->gil_shared, ts.gil);
      r.results[i] = call_global(ts, name, p.n);
      ts.detach();  // under the GIL: the caches it drains may need it
      Gil::drop(mine->gil_shared, ts.gil);
      counters.stop();
      r.thread_cpu_s[i] = thread_cpu_seconds() - cpu0;
      r.thread_counters[i] = counters.read();
      counter_problems[i] = counters.problems();
      dictlock::tls_blocking_hooks = {};
      Cfg::TState::detach(&ts);
    };
    try {
      workers.emplace_back(body);
    } catch (const std::system_error& e) {
      // The system would not give us more threads (ulimit -u, a pids
      // cgroup). Release the ones waiting at the barrier, join them, and
      // report, instead of terminating with threads still running.
      abandon = true;
      for (int missing = i; missing < p.threads; ++missing) start.arrive_and_drop();
      runtime::park(rt.main);
      start.arrive_and_wait();
      for (auto& w : workers) w.join();
      runtime::unpark(rt.main);
      throw std::runtime_error("could start only " + std::to_string(i) + " of " + std::to_string(p.threads) +
                               " threads: " + e.what());
    }
  }

  runtime::park(rt.main);  // blocked in the barrier and the joins
  start.arrive_and_wait();
  for (auto& w : workers) w.join();
  runtime::unpark(rt.main);
  runtime::quiesce(rt.main);  // buffered counting: until every log is applied
  const double wall1 = wall_seconds();
  const CpuTimes cpu = process_cpu() - cpu0;
  r.helper_cpu_s = rt.helper_cpu_seconds() - helper0;

  r.wall_s = wall1 - wall0;
  for (const CounterProblems& w : counter_problems)
    for (std::size_t c = 0; c < kCounters.size(); ++c)
      if (r.counter_problems[c].empty()) r.counter_problems[c] = w[c];
  r.cpu_user_s = cpu.user_s;
  r.cpu_sys_s = cpu.sys_s;
  const runtime::GilStats gil = Gil::stats(rt.gil_shared);
  r.gil_switches = gil.switches;
  r.gil_drop_requests = gil.drop_requests;
  r.gil_tick_releases = gil.tick_releases;

  runtime::Counters work, work_setup;  // work_setup: isolated runtimes' own set-up and teardown
  for (auto& s : states) work += s->counters;
  // The commit thread frees the workers' frames, so the decrefs of their
  // deallocators are its own: count them with the work (after quiesce it
  // has nothing left to free, so its counters stand still).
  // So are the thread-state fetches of those deallocators.
  if (const runtime::Counters* h = rt.helper_counters()) {
    work.rc += h->rc;
    work.rc -= helper_setup.rc;
    work.tstate_lookups += h->tstate_lookups - helper_setup.tstate_lookups;
  }
  r.calls = work.calls;
  r.increfs = work.rc.increfs;
  r.decrefs = work.rc.decrefs;
  r.deferred_ops = work.rc.deferred;
  r.immortal_counted = runtime::counts_immortal<Cfg>();
  r.immortal_increfs = work.rc.immortal_increfs;
  r.immortal_decrefs = work.rc.immortal_decrefs;
  r.tstate_lookups = work.tstate_lookups;

  // QSBR's work while the threads ran (runtime/qsbr.h): advances of the
  // write sequence, scans of the threads, items reclaimed. Read before
  // shutdown, which reclaims the rest.
  if constexpr (runtime::kUsesQsbr<Cfg>) {
    r.policy_stats.emplace_back("qsbr_advances", rt.qsbr_shared.advances.load(std::memory_order_relaxed));
    r.policy_stats.emplace_back("qsbr_scans", rt.qsbr_shared.scans.load(std::memory_order_relaxed));
    r.policy_stats.emplace_back("qsbr_reclaimed", rt.qsbr_shared.reclaimed.load(std::memory_order_relaxed));
  }
  // Reads that took the container's critical section (dictlock `ft313`).
  if constexpr (runtime::detail::try_incref_reads<typename Cfg::DictLock>()) {
    r.policy_stats.emplace_back("ft313_dict_locked_reads", work.dict_locked_reads);
    r.policy_stats.emplace_back("ft313_list_locked_reads", work.list_locked_reads);
  }
  // 3.14t's collector and per-thread counts while the threads ran
  // (runtime/deferred_gc.h): collections, deferred objects they freed,
  // collections that could free none (a thread's stack not saved), stops of
  // the world, per-thread count operations and merged slots. Read before
  // shutdown, which collects the rest.
  if constexpr (runtime::kHasDeferredGc<Cfg>) {
    {
      std::lock_guard g(rt.gc_shared.lock);
      r.policy_stats.emplace_back("gc_collections", rt.gc_shared.collections);
      r.policy_stats.emplace_back("gc_deferred_freed", rt.gc_shared.freed);
      r.policy_stats.emplace_back("gc_collections_skipped", rt.gc_shared.skipped);
      r.policy_stats.emplace_back("ptrc_merged", rt.gc_shared.merged);
    }
    r.policy_stats.emplace_back("stw_stops", rt.gc_shared.stw.stops());
    r.policy_stats.emplace_back("ptrc_ops", work.rc.per_thread);
  }
  // Objects the workers took from and kept on the object freelists
  // (freelists/objects.h): 3.13's pystats from_freelist / to_freelist.
  if constexpr (!std::is_same_v<typename Cfg::Freelists, freelists::objects::None>) {
    r.policy_stats.emplace_back("from_freelist", work.from_freelist);
    r.policy_stats.emplace_back("to_freelist", work.to_freelist);
  }
  // An isolated worker's state goes before its runtime, which it refers to.
  if constexpr (kIsolated) states.clear();
  for (auto& o : own) {
    o->shutdown();
    work_setup += o->main.counters;
  }
  rt.shutdown();
  if constexpr (refcount::HasStats<typename Cfg::RC>)
    for (const auto& s : Cfg::RC::stats(rt.rc_shared)) r.policy_stats.emplace_back(std::string(s.name), s.value);
  runtime::Counters all = work;
  all += rt.main.counters;
  all += work_setup;
  if (const runtime::Counters* h = rt.helper_counters()) all += *h;
  r.objects_created = all.objects_created;
  r.live_objects = std::int64_t(all.objects_created) - std::int64_t(all.objects_destroyed);
  r.live_blocks = std::int64_t(all.blocks_allocated) - std::int64_t(all.blocks_freed);
  r.max_rss_kb = max_rss_kb();
  return r;
}

}  // namespace rclab::experiments
