// The machine's own ceiling: N threads that share nothing, each running the
// same compute-bound loop, released together from a barrier. On an idle
// machine with N <= cores, wall time stays flat; what it does instead is
// what the machine gave at that moment (the host's placement of vCPUs,
// steal, other load), which no configuration can beat. A sweep interleaves
// these points with the others, and the report draws the ceiling's
// speedup beside min(N, cores) as the achievable ideal.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace rclab::experiments {

// Iterations per thread: ~0.1 s on the 2-core VMs (AMD EPYC, KVM) this was written on.
inline constexpr std::uint64_t kCeilingIterations = 60'000'000;

// One ceiling run as a schema-2 record (kind "ceiling").
nlohmann::json run_ceiling(int threads, std::uint64_t iterations = kCeilingIterations);

}  // namespace rclab::experiments
