#include "experiments/machine.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
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

std::string build_id() {
  // FNV-1a over the executable's bytes: any rebuild that changes the code
  // changes the id, and a rebuild of the same code keeps it. Computed once
  // per process (a few milliseconds for a few megabytes).
  static const std::string id = [] {
    std::ifstream in("/proc/self/exe", std::ios::binary);
    std::uint64_t h = 1469598103934665603ull;
    char buf[1 << 16];
    bool any = false;
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      any = true;
      for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ std::uint8_t(buf[i])) * 1099511628211ull;
    }
    if (!any) return std::string("unknown");
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
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
