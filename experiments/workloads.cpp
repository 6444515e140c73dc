#include "experiments/workloads_embedded.h"

namespace rclab::experiments {

const EmbeddedWorkload* find_workload(std::string_view name) {
  for (const EmbeddedWorkload& w : embedded_workloads())
    if (name == w.name) return &w;
  return nullptr;
}

std::string workload_names() {
  std::string s;
  for (const EmbeddedWorkload& w : embedded_workloads()) {
    if (!s.empty()) s += ',';
    s += w.name;
  }
  return s;
}

}  // namespace rclab::experiments
