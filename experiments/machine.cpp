#include "experiments/machine.h"

#include <elf.h>
#include <link.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <string>

#include "build_info.h"
#include "experiments/host.h"

namespace rclab::experiments {

nlohmann::json machine_info() {
  std::string model = "unknown";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  utsname u{};
  uname(&u);
  nlohmann::json m = host_identity();
  m["cpu_model"] = model;
  m["cores"] = sysconf(_SC_NPROCESSORS_ONLN);
  m["kernel"] = std::string(u.sysname) + " " + u.release;
  m["arch"] = u.machine;
  m["probe"] = host_probe();
  return m;
}

namespace {

// The GNU build-id note of the main executable (the linker's sha1 of the
// linked output, Debian's GCC asks for it by default), first 64 bits, or
// nothing if it has none. Read from the loaded program headers: no file read,
// so a sanitizer build (a 140 MB binary, where hashing its bytes under
// ThreadSanitizer took two seconds in every sweep child) pays nothing.
std::optional<std::uint64_t> gnu_build_id() {
  std::optional<std::uint64_t> id;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* out) -> int {
        // The first object is the main program; stop after it either way.
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
          const unsigned char* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            const auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const unsigned char* name = p + sizeof(ElfW(Nhdr));
            const unsigned char* desc = name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0 &&
                n->n_descsz >= 8) {
              std::uint64_t v = 0;  // the first 8 bytes, in order: the same hex as the note's
              for (int k = 0; k < 8; ++k) v = (v << 8) | desc[k];
              *static_cast<std::optional<std::uint64_t>*>(out) = v;
              return 1;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
          }
        }
        return 1;
      },
      &id);
  return id;
}

// FNV-1a over the executable's bytes, for a binary linked without a
// build-id.
std::optional<std::uint64_t> hash_of_executable() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::uint64_t h = 1469598103934665603ull;
  char buf[1 << 16];
  bool any = false;
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    any = true;
    for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ std::uint8_t(buf[i])) * 1099511628211ull;
  }
  if (!any) return std::nullopt;
  return h;
}

}  // namespace

std::string build_id() {
  // Any rebuild that changes the code changes the id, and a rebuild of the
  // same code keeps it (the linker hashes its output). Once per process.
  static const std::string id = [] {
    std::optional<std::uint64_t> h = gnu_build_id();
    if (!h) h = hash_of_executable();
    if (!h) return std::string("unknown");
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)*h);
    return std::string(hex);
  }();
  return id;
}

nlohmann::json build_info() {
  return {{"id", build_id()},
          {"compiler", RCLAB_COMPILER " (" __VERSION__ ")"},
          {"flags", RCLAB_CXX_FLAGS},
          {"build_type", RCLAB_BUILD_TYPE},
          {"git_rev", RCLAB_GIT_REV}};
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace rclab::experiments
