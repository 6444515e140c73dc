#include "experiments/host.h"

#include <cpuid.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/cacheline.h"

namespace rclab::experiments {

namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// The first value of each field of /proc/cpuinfo (every CPU of a host is the
// same part; a hybrid part would show in `model name` of the others).
std::map<std::string, std::string> cpuinfo() {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) break;  // the end of the first CPU's block
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const auto v = line.find_first_not_of(' ', colon + 1);
    out.emplace(key, v == std::string::npos ? "" : line.substr(v));
  }
  return out;
}

int to_int(const std::string& s) {
  try {
    return std::stoi(s);
  } catch (...) {
    return 0;
  }
}

// "32K" -> 32, "1024K" -> 1024, "32M" -> 32768.
int size_kib(std::string s) {
  if (s.empty()) return 0;
  const char unit = s.back();
  const int v = to_int(s);
  return unit == 'M' ? v * 1024 : unit == 'G' ? v * 1024 * 1024 : v;
}

// cpu0's caches: l1d_kib, l1i_kib, l2_kib, l3_kib (one instance each).
nlohmann::json caches() {
  nlohmann::json c = nlohmann::json::object();
  const std::filesystem::path dir = "/sys/devices/system/cpu/cpu0/cache";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().rfind("index", 0) != 0) continue;
    const std::string level = read_line(e.path() / "level"), type = read_line(e.path() / "type");
    const std::string suffix = type == "Data" ? "d" : type == "Instruction" ? "i" : "";
    if (!level.empty()) c["l" + level + suffix + "_kib"] = size_kib(read_line(e.path() / "size"));
  }
  return c;
}

// Hardware threads per core and sockets, from the topology files.
std::pair<int, int> topology() {
  std::set<std::string> packages;
  int per_core = 1;
  for (int cpu = 0;; ++cpu) {
    const std::string t = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    const std::string pkg = read_line(t + "physical_package_id");
    if (pkg.empty()) break;
    packages.insert(pkg);
    if (cpu == 0) {
      // "0-1" or "0,4": count the CPUs listed.
      const std::string sib = read_line(t + "thread_siblings_list");
      int n = 0;
      std::stringstream ss(sib);
      for (std::string part; std::getline(ss, part, ',');) {
        const auto dash = part.find('-');
        n += dash == std::string::npos ? 1 : to_int(part.substr(dash + 1)) - to_int(part) + 1;
      }
      per_core = std::max(1, n);
    }
  }
  return {per_core, std::max<int>(1, int(packages.size()))};
}

// CPUID's hypervisor leaf: the vendor's signature when CPUID.1:ECX[31] says
// one is present, named as lscpu names it.
std::string hypervisor() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31))) return "";
  __cpuid(0x40000000, a, b, c, d);
  char sig[13] = {};
  std::memcpy(sig, &b, 4);
  std::memcpy(sig + 4, &c, 4);
  std::memcpy(sig + 8, &d, 4);
  const std::string s = sig;
  if (s == "KVMKVMKVM") return "KVM";
  if (s == "Microsoft Hv") return "Microsoft";
  if (s == "VMwareVMware") return "VMware";
  if (s == "XenVMMXenVMM") return "Xen";
  if (s.rfind("TCGTCGTCG", 0) == 0) return "TCG";
  return s.empty() ? "unknown" : s;
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

// --- the probe --------------------------------------------------------------

using Clock = std::chrono::steady_clock;

double ns_since(Clock::time_point t0, long ops) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / double(ops);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One `lock add` on a line no other thread touches: the price every atomic
// incref pays even without sharing. Median of 7 batches of 1M.
double lock_add_ns() {
  alignas(kCacheLine) std::atomic<std::uint64_t> x{0};
  std::vector<double> batches;
  for (int b = 0; b < 7; ++b) {
    constexpr long kOps = 1'000'000;
    const auto t0 = Clock::now();
    for (long i = 0; i < kOps; ++i) x.fetch_add(1, std::memory_order_relaxed);
    batches.push_back(ns_since(t0, kOps));
  }
  return median(batches);
}

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// One round trip of a cache line between two cores: this thread writes,
// the other sees it and writes back, this one sees that. What a count shared
// by two threads pays per hand-over. Two threads pinned to the first two
// CPUs this process may use; 0 when there are fewer than two.
double line_round_trip_ns() {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  if (cpus.size() < 2) return 0;
  alignas(kCacheLine) std::atomic<long> ball{0};
  constexpr long kTrips = 20'000;
  constexpr int kBatches = 7;
  std::atomic<bool> pinned{true};
  std::thread other([&] {
    pinned = pinned && pin_to(cpus[1]);
    for (long i = 0; i < kTrips * kBatches; ++i) {
      while (ball.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      ball.store(2 * i + 2, std::memory_order_release);
    }
  });
  // Pin this thread for the probe only, then give it back its CPUs.
  cpu_set_t mine;
  pthread_getaffinity_np(pthread_self(), sizeof mine, &mine);
  pinned = pinned && pin_to(cpus[0]);
  std::vector<double> batches;
  long i = 0;
  for (int b = 0; b < kBatches; ++b) {
    const auto t0 = Clock::now();
    for (long k = 0; k < kTrips; ++k, ++i) {
      ball.store(2 * i + 1, std::memory_order_release);
      while (ball.load(std::memory_order_acquire) != 2 * i + 2) {
      }
    }
    batches.push_back(ns_since(t0, kTrips));
  }
  other.join();
  pthread_setaffinity_np(pthread_self(), sizeof mine, &mine);
  return pinned ? median(batches) : 0;
}

double loadavg_1m() {
  double l = 0;
  return getloadavg(&l, 1) == 1 ? l : 0.0;
}

std::string cache_path(const std::string& boot_id) {
  const char* dir = std::getenv("XDG_RUNTIME_DIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/rclab-probe-" + boot_id + ".json";
}

}  // namespace

const nlohmann::json& host_identity() {
  static const nlohmann::json id = [] {
    auto info = cpuinfo();
    const auto [per_core, sockets] = topology();
    nlohmann::json h;
    h["vendor"] = info["vendor_id"];
    h["family"] = to_int(info["cpu family"]);
    h["model"] = to_int(info["model"]);
    h["stepping"] = to_int(info["stepping"]);
    h["microcode"] = info["microcode"];
    h["threads_per_core"] = per_core;
    h["sockets"] = sockets;
    h["caches"] = caches();
    h["hypervisor"] = hypervisor();
    const std::string vendor = info["vendor_id"] == "AuthenticAMD"   ? "amd"
                               : info["vendor_id"] == "GenuineIntel" ? "intel"
                                                                     : "cpu";
    // The identity, hashed: dump() sorts the keys, so the hash is stable.
    char tail[9];
    std::snprintf(tail, sizeof tail, "%08x",
                  unsigned(fnv1a(h.dump() + std::to_string(sysconf(_SC_NPROCESSORS_ONLN))) & 0xffffffffu));
    h["host_id"] = vendor + "-" + std::to_string(h["family"].get<int>()) + "-" +
                   std::to_string(h["model"].get<int>()) + "-" + std::to_string(h["stepping"].get<int>()) + "-" +
                   info["microcode"] + "-" + tail;
    return h;
  }();
  return id;
}

nlohmann::json host_probe() {
  const std::string boot_id = read_line("/proc/sys/kernel/random/boot_id");
  const std::string path = cache_path(boot_id.empty() ? "unknown" : boot_id);
  {
    std::ifstream in(path);
    nlohmann::json cached = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    // A figure measured while the machine was busy is measured again once
    // it is quieter, so one busy moment does not stand for the whole boot.
    if (cached.is_object() && cached.value("host_id", "") == host_identity()["host_id"] &&
        cached.contains("lock_add_ns") &&
        (cached.value("loadavg_1m", 0.0) < 1.0 || loadavg_1m() >= cached.value("loadavg_1m", 0.0))) {
      cached.erase("host_id");
      cached["cached"] = true;
      return cached;
    }
  }
  nlohmann::json p;
  p["loadavg_1m"] = loadavg_1m();
  p["lock_add_ns"] = lock_add_ns();
  if (const double rt = line_round_trip_ns(); rt > 0) p["line_round_trip_ns"] = rt;
  p["boot_id"] = boot_id;
  // Written beside, then renamed: two processes probing at once both write
  // a whole file, and a reader never sees half of one.
  nlohmann::json file = p;
  file["host_id"] = host_identity()["host_id"];
  const std::string tmp = path + "." + std::to_string(getpid());
  if (std::ofstream out(tmp); out << file.dump() << "\n") std::filesystem::rename(tmp, path);
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  p["cached"] = false;
  return p;
}

}  // namespace rclab::experiments
