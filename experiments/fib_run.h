// One measurement: N threads, released together from a barrier, each compute
// fib(n) in the interpreter under configuration Cfg.
//
// What is timed: from the barrier's release to the last join — thread start-up
// and runtime construction and teardown are outside. Process CPU is the
// difference of getrusage(RUSAGE_SELF) over the same span, so it includes any
// helper thread. Teardown happens after timing and is then checked: every
// object created must have been destroyed and every block freed.
#pragma once

#include <barrier>
#include <memory>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "experiments/fib_workload.h"
#include "experiments/run_record.h"
#include "runtime/interp.h"

namespace rclab::experiments {

template <runtime::SafeConfig Cfg>
RunRecord run_fib(const RunParams& p) {
  using TS = runtime::ThreadState<Cfg>;
  using Gil = typename Cfg::Gil;

  runtime::RuntimeOptions options;
  options.gil.switch_interval = std::chrono::microseconds(p.switch_interval_us);
  runtime::Runtime<Cfg> rt(options);
  auto* fib_name = install_fib(rt);

  RunRecord r;
  r.threads = p.threads;
  r.n = p.n;
  r.expected = fib_value(p.n);
  r.results.assign(p.threads, 0);
  r.thread_cpu_s.assign(p.threads, 0.0);

  std::vector<std::unique_ptr<TS>> states(p.threads);
  std::barrier start(p.threads + 1);
  std::vector<std::thread> workers;
  workers.reserve(p.threads);
  for (int i = 0; i < p.threads; ++i) {
    workers.emplace_back([&, i] {
      // Built on its own thread, so its memory is first touched here.
      states[i] = std::make_unique<TS>(rt);
      TS& ts = *states[i];
      Cfg::TState::attach(&ts);
      start.arrive_and_wait();
      const double cpu0 = thread_cpu_seconds();
      Gil::take(rt.gil_shared, ts.gil);
      r.results[i] = call_fib(ts, fib_name, p.n);
      ts.detach();  // under the GIL: the caches it drains may need it
      Gil::drop(rt.gil_shared, ts.gil);
      r.thread_cpu_s[i] = thread_cpu_seconds() - cpu0;
      Cfg::TState::detach(&ts);
    });
  }

  const CpuTimes cpu0 = process_cpu();
  const double wall0 = wall_seconds();
  start.arrive_and_wait();
  for (auto& w : workers) w.join();
  const double wall1 = wall_seconds();
  const CpuTimes cpu = process_cpu() - cpu0;

  r.wall_s = wall1 - wall0;
  r.cpu_user_s = cpu.user_s;
  r.cpu_sys_s = cpu.sys_s;
  const runtime::GilStats gil = Gil::stats(rt.gil_shared);
  r.gil_switches = gil.switches;
  r.gil_drop_requests = gil.drop_requests;

  runtime::Counters work;
  for (auto& s : states) work += s->counters;
  r.calls = work.calls;
  r.increfs = work.rc.increfs;
  r.decrefs = work.rc.decrefs;
  r.tstate_lookups = work.tstate_lookups;

  rt.shutdown();
  runtime::Counters all = work;
  all += rt.main.counters;
  r.objects_created = all.objects_created;
  r.live_objects = std::int64_t(all.objects_created) - std::int64_t(all.objects_destroyed);
  r.live_blocks = std::int64_t(all.blocks_allocated) - std::int64_t(all.blocks_freed);
  r.max_rss_kb = max_rss_kb();
  return r;
}

}  // namespace rclab::experiments
