#include "common/fatal.h"

#include <cstdio>
#include <cstdlib>

namespace rclab {

void fatal(const char* what) {
  std::fprintf(stderr, "rclab: fatal: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

}  // namespace rclab
