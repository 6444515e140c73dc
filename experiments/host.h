// Which host a record was measured on, and two costs measured on it.
//
// host_identity(): what /proc/cpuinfo, /sys/devices/system/cpu and CPUID say
// about the CPU (vendor, family, model, stepping, microcode, caches,
// topology, hypervisor) and `host_id`, a short stable name of that identity.
// Two hosts of one "machine kind" can be different CPUs (a Zen 1 and a Zen 4
// both print "AMD EPYC"), and a calibration figure holds only for the host
// it was measured on: readers never pool records of two host ids.
//
// host_probe(): the price of one uncontended lock-prefixed add and of one
// cache-line round trip between two cores, measured once per boot and
// cached (a file named after /proc/sys/kernel/random/boot_id), so every run
// of a sweep carries the same figures without measuring them again. They
// describe the host, not a run: a run never waits for them while measured.
#pragma once

#include <nlohmann/json.hpp>

namespace rclab::experiments {

// {"vendor", "family", "model", "stepping", "microcode", "threads_per_core",
//  "sockets", "caches": {"l1d_kib", ...}, "hypervisor", "host_id"}; computed once.
const nlohmann::json& host_identity();

// {"lock_add_ns", "line_round_trip_ns" (absent with one CPU), "loadavg_1m"
// (when measured), "boot_id", "cached"}. Measures (about 0.1 s) when no cache
// for this boot exists, or when the cached figures were taken at a load of 1
// or more and the machine is quieter now; else reads the cache.
nlohmann::json host_probe();

}  // namespace rclab::experiments
