#include "experiments/machine.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <string>

#include "build_info.h"

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
  return {{"cpu_model", model},
          {"cores", sysconf(_SC_NPROCESSORS_ONLN)},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"arch", u.machine}};
}

nlohmann::json build_info() {
  return {{"compiler", RCLAB_COMPILER " (" __VERSION__ ")"},
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
