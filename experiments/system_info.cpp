#include "experiments/system_info.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace rclab::experiments {

namespace {

std::string read_line(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (!f || !std::getline(f, s)) return {};
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

double loadavg_1m() {
  double l = -1;
  std::ifstream f("/proc/loadavg");
  f >> l;
  return l;
}

// The mean "cpu MHz" of /proc/cpuinfo, or a negative number when unreadable.
double cpu_mhz() {
  std::ifstream f("/proc/cpuinfo");
  double sum = 0;
  int n = 0;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    sum += std::atof(line.c_str() + colon + 1);
    ++n;
  }
  return n ? sum / n : -1;
}

}  // namespace

std::vector<SystemCheck> system_checks() {
  std::vector<SystemCheck> v;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  v.push_back({"cpus_online", std::to_string(cpus), ""});
  const std::string gov = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  v.push_back({"governor", gov.empty() ? "unavailable (no cpufreq: a VM, or the host decides)" : gov,
               !gov.empty() && gov != "performance" ? "set the governor to performance (cpupower frequency-set -g performance)" : ""});
  std::string boost = read_line("/sys/devices/system/cpu/cpufreq/boost");
  if (boost.empty()) {
    const std::string no_turbo = read_line("/sys/devices/system/cpu/intel_pstate/no_turbo");
    if (!no_turbo.empty()) boost = no_turbo == "1" ? "0" : "1";
  }
  v.push_back({"turbo_boost", boost.empty() ? "unavailable" : (boost == "1" ? "on" : "off"),
               boost == "1" ? "turbo boost makes the clock depend on load and temperature; disable it for stable figures" : ""});
  const std::string aslr = read_line("/proc/sys/kernel/randomize_va_space");
  v.push_back({"aslr", aslr.empty() ? "unavailable" : aslr,
               aslr == "0" ? "" : "ASLR is on: layouts differ per run (one more source of spread; pyperf leaves it on too)"});
  const std::string isolated = read_line("/sys/devices/system/cpu/isolated");
  v.push_back({"isolated_cpus", isolated.empty() ? "none" : isolated,
               isolated.empty() ? "no isolated CPUs: other processes share the measured cores (isolcpus= on the kernel command line)" : ""});
  const std::string nohz = read_line("/sys/devices/system/cpu/nohz_full");
  v.push_back({"nohz_full", nohz.empty() || nohz == "(null)" ? "none" : nohz, ""});
  char load[32];
  std::snprintf(load, sizeof load, "%.2f", loadavg_1m());
  v.push_back({"loadavg_1m", load, loadavg_1m() > 0.5 ? "the machine is busy: close other work before measuring" : ""});
  const double mhz = cpu_mhz();
  char mhz_s[32];
  std::snprintf(mhz_s, sizeof mhz_s, "%.0f", mhz);
  v.push_back({"cpu_mhz", mhz > 0 ? mhz_s : "unavailable", ""});
  // Steal since boot: a VM whose host is oversubscribed.
  const CpuSample s = cpu_sample();
  char steal[32];
  std::snprintf(steal, sizeof steal, "%.2f%%", s.total() ? 100.0 * double(s.steal) / double(s.total()) : 0.0);
  v.push_back({"steal_since_boot", steal,
               s.total() && double(s.steal) / double(s.total()) > 0.01
                   ? "the hypervisor takes CPU from this VM: expect noise between runs and measure the ceiling"
                   : ""});
  return v;
}

nlohmann::json system_info() {
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json advice = nlohmann::json::array();
  for (const auto& c : system_checks()) {
    j[c.name] = c.value;
    if (!c.advice.empty()) advice.push_back(c.name + ": " + c.advice);
  }
  j["advice"] = advice;
  return j;
}

std::string system_text() {
  std::ostringstream o;
  for (const auto& c : system_checks()) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-17s %s\n", c.name.c_str(), c.value.c_str());
    o << buf;
    if (!c.advice.empty()) o << "                  advice: " << c.advice << "\n";
  }
  return o.str();
}

CpuSample cpu_sample() {
  // The first line: cpu user nice system idle iowait irq softirq steal guest guest_nice
  std::ifstream f("/proc/stat");
  std::string cpu;
  std::uint64_t v[10] = {};
  f >> cpu;
  for (auto& x : v) f >> x;
  CpuSample s;
  if (cpu != "cpu") return s;
  // guest time is already part of user time.
  s.busy = v[0] + v[1] + v[2] + v[5] + v[6];
  s.idle = v[3] + v[4];
  s.steal = v[7];
  return s;
}

nlohmann::json disturbance(const CpuSample& before, const CpuSample& after, double child_cpu_s) {
  const double ticks = double(sysconf(_SC_CLK_TCK));
  const double total = double(after.total() - before.total());
  nlohmann::json j;
  j["loadavg_1m"] = loadavg_1m();
  j["steal_frac"] = total > 0 ? double(after.steal - before.steal) / total : 0.0;
  // Busy time not accounted to the measured child: other processes (and
  // this sweep itself, which sleeps in poll()). Clamped at 0: the kernel's
  // tick-based accounting and rusage's finer one disagree by a tick or two.
  const double other = double(after.busy - before.busy) - child_cpu_s * ticks;
  j["other_cpu_frac"] = total > 0 ? std::max(0.0, other / total) : 0.0;
  const double mhz = cpu_mhz();
  j["cpu_mhz"] = mhz > 0 ? nlohmann::json(mhz) : nlohmann::json(nullptr);
  return j;
}

}  // namespace rclab::experiments
