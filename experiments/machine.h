// Where and with what a record was made: the machine (CPU model, cores,
// kernel, and the host's identity and probe costs: experiments/host.h), the
// build (compiler, flags, git revision) and the time. Every record carries
// it, so results from several machines can be merged and never pooled.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rclab::experiments {

nlohmann::json machine_info();  // {"cpu_model", "cores", "kernel", "arch", host_identity()..., "probe"}
nlohmann::json build_info();    // {"id", "compiler", "flags", "build_type", "git_rev"}
std::string build_id();         // 16 hex digits: a hash of this executable's bytes
std::string utc_now();          // ISO 8601, seconds

}  // namespace rclab::experiments
