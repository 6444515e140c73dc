// The registered configurations a value-parameterised suite runs over, and
// their gtest parameter names: written once for interp_test, workload_test
// and py313_test.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "experiments/registry.h"

namespace rclab::experiments {

// Every configuration that runs in this process: not refused, and needing
// no preloaded allocator (those are `atomic`'s code with another malloc,
// which only a process of their own can have: cli_test runs them). Of the
// generation `interp` ("py36", "py313"), or of every one when it is empty.
inline std::vector<const ConfigEntry*> runnable_configs(std::string_view interp = {}) {
  std::vector<const ConfigEntry*> v;
  for (const auto& e : all_configs())
    if (e.refused.empty() && e.preload.empty() && (interp.empty() || e.interp == interp)) v.push_back(&e);
  return v;
}

// A configuration's name as a gtest parameter name ('-' is not allowed).
inline std::string config_param_name(const ::testing::TestParamInfo<const ConfigEntry*>& info) {
  std::string s(info.param->name);
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

}  // namespace rclab::experiments
