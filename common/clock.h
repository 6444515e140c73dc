// Clocks: wall time, process CPU time, per-thread CPU time, peak RSS.
//
// Wall time uses CLOCK_MONOTONIC (immune to NTP steps). Process CPU comes from
// getrusage(RUSAGE_SELF), which sums every thread of the process, helpers
// included — that is the "CPU time" of Hastings' plots. Thread CPU uses
// CLOCK_THREAD_CPUTIME_ID and is only meaningful when read on the thread
// itself.
#pragma once

#include <pthread.h>

#include <cstdint>

namespace rclab {

struct CpuTimes {
  double user_s = 0;
  double sys_s = 0;
  double total() const { return user_s + sys_s; }
};

double wall_seconds();          // CLOCK_MONOTONIC, seconds since an arbitrary origin
std::int64_t monotonic_ns();    // CLOCK_MONOTONIC in nanoseconds
double thread_cpu_seconds();    // CPU time consumed by the calling thread
double thread_cpu_seconds(pthread_t thread);  // ... by another live thread of this process (0 if unknown)
CpuTimes process_cpu();         // user and system CPU of the whole process so far
long max_rss_kb();              // peak resident set size of the process, KiB

inline CpuTimes operator-(const CpuTimes& a, const CpuTimes& b) {
  return {a.user_s - b.user_s, a.sys_s - b.sys_s};
}

}  // namespace rclab
