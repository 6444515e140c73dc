#include "common/fatal.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace rclab {

void fatal(const char* what) {
  std::fprintf(stderr, "rclab: fatal: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

void not_modelled(const char* what) {
  // Every worker may get here at once: the first says it and ends the
  // process; the others wait for that.
  static std::atomic<bool> said{false};
  if (said.exchange(true))
    for (;;) ::pause();
  std::fprintf(stderr, "rclab: not modelled: %s (the workload is outside what rclab runs: workloads/README.md)\n", what);
  std::fflush(nullptr);
  std::_Exit(2);
}

}  // namespace rclab
