#include "obmalloc/which.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>

#include <cstddef>
#include <string_view>

namespace rclab::obmalloc {
namespace {

bool has(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

std::string jemalloc_version() {
  using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
  auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) return {};
  const char* v = nullptr;
  std::size_t len = sizeof v;
  if (mallctl("version", &v, &len, nullptr, 0) != 0 || v == nullptr) return {};
  return v;
}

std::string mimalloc_version() {
  using MiVersion = int (*)();
  auto mi_version = reinterpret_cast<MiVersion>(dlsym(RTLD_DEFAULT, "mi_version"));
  if (mi_version == nullptr) return {};
  const int v = mi_version();  // major * 100 + minor * 10 + patch
  return std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." + std::to_string(v % 10);
}

}  // namespace

ServingAllocator serving_allocator() {
  ServingAllocator s{"unknown", "", ""};
  void* sym = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info{};
  if (sym == nullptr || dladdr(sym, &info) == 0 || info.dli_fname == nullptr) return s;
  s.library = info.dli_fname;
  const std::string_view lib = s.library;
  if (has(lib, "jemalloc")) {
    s.version = jemalloc_version();
    if (!s.version.empty()) s.name = "jemalloc";
  } else if (has(lib, "mimalloc")) {
    s.version = mimalloc_version();
    if (!s.version.empty()) s.name = "mimalloc";
  } else if (has(lib, "tbbmalloc_proxy")) {
    s.name = "tbbmalloc_proxy";
  } else if (has(lib, "libasan")) {
    s.name = "asan";
  } else if (has(lib, "libtsan")) {
    s.name = "tsan";
  } else if (has(lib, "libc.so")) {
    s.name = "glibc";
    s.version = gnu_get_libc_version();
  }
  return s;
}

}  // namespace rclab::obmalloc
