// Which allocator serves `malloc` in this process — checked, not assumed.
//
// A jemalloc or mimalloc that is linked (or LD_PRELOADed) replaces malloc
// for the whole process, and so do ASan's and TSan's interceptors; a
// record of a run must say which one it really got. The dynamic linker binds
// every call to `malloc` to the first definition in its lookup order, so
// this asks it: dlsym(RTLD_DEFAULT, "malloc"), then dladdr for the object
// that defines it, then that allocator's own version query (mallctl
// "version" for jemalloc, mi_version for mimalloc, gnu_get_libc_version for
// glibc) — a name is reported only when that query answers.
#pragma once

#include <string>

namespace rclab::obmalloc {

struct ServingAllocator {
  std::string name;     // "glibc", "jemalloc", "mimalloc", "tbbmalloc_proxy", "asan", "tsan", or "unknown"
  std::string library;  // the file that defines the malloc in use
  std::string version;  // as the allocator reports it; empty when it has no query
};

ServingAllocator serving_allocator();

}  // namespace rclab::obmalloc
