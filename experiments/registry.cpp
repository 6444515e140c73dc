#include "experiments/registry.h"

#include <algorithm>
#include <vector>

#include "experiments/configs/families.h"

namespace rclab::experiments {

std::span<const ConfigEntry> all_configs() {
  static const std::vector<ConfigEntry> all = [] {
    std::vector<ConfigEntry> v;
    for (auto family : {configs::gil_models_family, configs::refcount_family, configs::nogil_family,
                        configs::allocators_family, configs::gilectomy_family, configs::py313_family,
                        configs::py313t_family})
      for (const ConfigEntry& e : family()) v.push_back(e);
    return v;
  }();
  return all;
}

const char* preload_library(std::string_view allocator) {
  if (allocator == "jemalloc") return RCLAB_JEMALLOC_SO;
  if (allocator == "mimalloc") return RCLAB_MIMALLOC_SO;
  return nullptr;
}

std::vector<SettingSpec> all_settings() {
  std::vector<SettingSpec> v;
  for (const auto& e : all_configs())
    for (const auto& s : e.settings)
      if (std::none_of(v.begin(), v.end(), [&](const SettingSpec& x) { return x.name == s.name; })) v.push_back(s);
  return v;
}

nlohmann::json settings_json(const RunParams& p) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& spec : all_settings()) j[std::string(spec.name)] = p.settings.get(spec);
  j["trace_capacity"] = p.trace_capacity;
  j["pin"] = p.pin;
  return j;
}

nlohmann::json policies_json(const ConfigEntry& e) {
  nlohmann::json j = nlohmann::json::object();
  const auto values = e.axes();
  for (std::size_t i = 0; i < kAxes.size(); ++i) j[std::string(kAxes[i])] = values[i];
  return j;
}

void label_record(RunRecord& r, const ConfigEntry& e, const RunParams& p) {
  r.config = std::string(e.name);
  r.family = std::string(e.family);
  r.baseline = std::string(e.baseline);
  r.settings = settings_json(p);
  r.policies = policies_json(e);
}

std::vector<std::string_view> differing_axes(const ConfigEntry& a, const ConfigEntry& b) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < kAxes.size(); ++i)
    if (a.identity[i] != b.identity[i]) out.push_back(kAxes[i]);
  return out;
}

const ConfigEntry* find_config(std::string_view name) {
  for (const auto& e : all_configs())
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace rclab::experiments
