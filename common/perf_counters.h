// Hardware and kernel software counters of one thread, through perf_event_open(2).
//
// A ThreadCounters is opened on the thread it measures (pid 0, any CPU),
// disabled; start() and stop() bracket the work, read() returns the counts.
// Only that thread may call start() and stop(); read() may be called from any
// thread once the measured thread has stopped (the file descriptors stay
// open until destruction).
//
// Hardware counters are not available everywhere: many VMs expose no PMU
// (`perf stat -e instructions true` prints "not supported"), and
// kernel.perf_event_paranoid may forbid them. The kernel's software counters
// (task-clock, context switches, CPU migrations, page faults) open wherever
// perf_event_open is allowed at all. Each counter that cannot be opened is
// absent from the reading, with the reason, so a record says which counts it
// has instead of carrying zeros that look like measurements.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rclab {

// The counters, in the order of CounterValues; the names are the record's
// field names (docs/records.md).
struct CounterInfo {
  std::string_view name;
  bool hardware;  // needs a PMU; false: one of the kernel's software counters
};
inline constexpr std::array<CounterInfo, 7> kCounters = {{
    {"instructions", true},
    {"cycles", true},
    {"cache_misses", true},
    {"task_clock_ns", false},  // CPU time the kernel charged the thread while counting
    {"context_switches", false},
    {"cpu_migrations", false},
    {"page_faults", false},
}};

// One value per kCounters entry; absent when that counter could not be opened.
using CounterValues = std::array<std::optional<std::uint64_t>, kCounters.size()>;
// Why each counter is missing; empty where it opened.
using CounterProblems = std::array<std::string, kCounters.size()>;

class ThreadCounters {
 public:
  ThreadCounters() = default;
  ~ThreadCounters();
  ThreadCounters(const ThreadCounters&) = delete;
  ThreadCounters& operator=(const ThreadCounters&) = delete;

  void open();   // on the thread to be measured; never fails, records why a counter is missing
  void start();  // on the measured thread
  void stop();   // on the measured thread
  CounterValues read() const;
  const CounterProblems& problems() const { return why_; }

 private:
  std::array<int, kCounters.size()> fd_ = [] {
    std::array<int, kCounters.size()> a{};
    a.fill(-1);
    return a;
  }();
  CounterProblems why_;
};

}  // namespace rclab
