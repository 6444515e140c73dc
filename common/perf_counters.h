// Hardware and scheduler counters of one thread, through perf_event_open(2).
//
// A ThreadCounters is opened on the thread it measures (pid 0, any CPU),
// disabled; start() and stop() bracket the work, read() returns the counts.
// Only that thread may call start() and stop(); read() may be called from any
// thread once the measured thread has stopped (the file descriptors stay
// open until destruction).
//
// Hardware counters are not available everywhere: many VMs expose no PMU
// (`perf stat -e instructions true` prints "not supported"), and
// kernel.perf_event_paranoid may forbid them. Each counter that cannot be
// opened is absent from the reading, with the reason, so a record says
// which counts it has instead of carrying zeros that look like measurements.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rclab {

struct CounterValues {
  // Absent when the counter could not be opened.
  std::optional<std::uint64_t> instructions, cycles, cache_misses, context_switches;
};

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
  // Why counters are missing ("instructions: No such file or directory; ..."), empty when none is.
  const std::string& unavailable() const { return why_; }

 private:
  static constexpr int kCount = 4;  // instructions, cycles, cache misses, context switches
  int fd_[kCount] = {-1, -1, -1, -1};
  std::string why_;
};

}  // namespace rclab
