#include "common/clock.h"

#include <sys/resource.h>
#include <time.h>

namespace rclab {

namespace {
double to_seconds(const timespec& ts) { return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9; }
double to_seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) * 1e-6; }
}  // namespace

double wall_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return to_seconds(ts);
}

std::int64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return to_seconds(ts);
}

double thread_cpu_seconds(pthread_t thread) {
  clockid_t id;
  timespec ts;
  if (pthread_getcpuclockid(thread, &id) != 0 || clock_gettime(id, &ts) != 0) return 0.0;
  return to_seconds(ts);
}

CpuTimes process_cpu() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return {to_seconds(ru.ru_utime), to_seconds(ru.ru_stime)};
}

long max_rss_kb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // Linux reports KiB
}

}  // namespace rclab
