// What the machine was doing, and how it is set up for measuring.
//
// system_info(): the settings `pyperf system show` reports — CPU frequency
// governor, turbo/boost, ASLR, isolated and nohz_full CPUs, the load — each
// with advice when it disturbs measurements. `rclab system` prints it and
// every sweep records it.
//
// CpuSample / disturbance(): /proc/stat's counters sampled before and after
// one point, so the record says how much of the machine other processes and
// the hypervisor (steal) took while it ran.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rclab::experiments {

struct SystemCheck {
  std::string name, value, advice;  // advice empty: nothing to do
};

std::vector<SystemCheck> system_checks();
nlohmann::json system_info();  // {name: value} of system_checks(), plus "advice": [..]
std::string system_text();     // the human table of `rclab system`

struct CpuSample {
  std::uint64_t busy = 0, idle = 0, steal = 0;  // jiffies summed over all CPUs
  std::uint64_t total() const { return busy + idle + steal; }
};
CpuSample cpu_sample();

// The disturbance of a point that used `child_cpu_s` seconds of CPU between
// two samples: {"loadavg_1m", "steal_frac", "other_cpu_frac", "cpu_mhz"}.
nlohmann::json disturbance(const CpuSample& before, const CpuSample& after, double child_cpu_s);

}  // namespace rclab::experiments
