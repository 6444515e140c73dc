// The named configurations, as the driver sees them: a name, what it
// models, its place among the others, its policies on every axis and a
// function that runs it.
//
// Names become types only in experiments/configs/ (one file per family,
// each entry one make_entry<Config>(...) line, experiments/entry.h); this
// header stays light, so the files that only look entries up do not compile
// the interpreter. The driver looks a name up once at start-up and calls
// through one function pointer per run.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/settings.h"
#include "experiments/run_record.h"

namespace rclab::experiments {

// The axes of a configuration, in the order `rclab list` prints them. Every
// entry spells out every axis: two entries that differ are read against each
// other through exactly the axes that differ (differing_axes()).
inline constexpr std::array<std::string_view, 8> kAxes = {"refcount", "gil",      "alloc",  "frames",
                                                          "tstate",   "dictlock", "interp", "freelists"};

constexpr std::size_t axis_index(std::string_view axis) {
  for (std::size_t i = 0; i < kAxes.size(); ++i)
    if (kAxes[i] == axis) return i;
  throw "not an axis";  // at compile time: a compile error
}

struct ConfigEntry {
  std::string_view name;
  std::string_view models;  // what it stands for, in a few words
  // The report's panel (gil-models, refcount, nogil, allocators, gilectomy).
  std::string_view family;
  // The configuration this one is read against: it differs from it in
  // exactly one axis (tests/registry_test.cpp checks it), or, for a
  // milestone, in every axis the real change touched. Empty for the root.
  std::string_view baseline;
  // A milestone of the Gilectomy timeline (sweep --preset timeline): a
  // historical state that changed several axes at once, read against `gil`.
  bool milestone = false;
  // What it follows: a real commit it was read from, or "the PyCon 2017
  // slides" when only the talk describes it. Empty: not a model of a real system.
  std::string_view follows;
  std::string_view refcount, refcount_modifier, gil, alloc, alloc_backend, frames, tstate, dictlock;
  std::string_view interp;  // the interpreter generation (runtime/generation.h): "py36", "py313", "py313-unspecialized", "py313-tlbc"
  // The object freelists (freelists/objects.h): "none", "per_interp" (3.13), "per_thread" (3.13t).
  std::string_view freelists;
  std::string_view bytecode;  // the CPython whose bytecode it runs (Gen::kBytecode): "py36", "py313"
  std::size_t frames_capacity = 0;
  std::string_view refused;  // non-empty: why this combination cannot run
  // Non-empty: the allocator ("jemalloc", "mimalloc") that must serve malloc
  // in the process, by LD_PRELOAD; `rclab run` arranges it and checks it.
  std::string_view preload;
  // Mortal objects must stay on their thread (refcount::kPrivateOnly): a
  // workload that hands objects between threads is refused.
  bool private_only = false;
  // What each axis really is, in kAxes order: the policy's full type (its
  // template arguments included: an allocator's geometry, a freelist's
  // capacity), its traits (needs a GIL, exclusive, ...) and the settings it
  // declares with their defaults. differing_axes() compares these, not the
  // names, so a change a name does not show still counts as an axis.
  std::array<std::string, kAxes.size()> identity;
  RunRecord (*run)(const RunParams&) = nullptr;
  // The settings its policies declare (common/settings.h), and their check
  // of a combination of values (empty: fine).
  std::span<const SettingSpec> settings;
  std::string (*check_settings)(const Settings&) = nullptr;

  // "biased+immortal+deferred" for a modified policy, else the policy's name.
  std::string refcount_name() const {
    return refcount_modifier.empty() ? std::string(refcount)
                                     : std::string(refcount) + "+" + std::string(refcount_modifier);
  }
  // "global(system)" for a lock scheme over a backend, else the allocator's name.
  std::string alloc_name() const {
    return alloc_backend.empty() ? std::string(alloc) : std::string(alloc) + "(" + std::string(alloc_backend) + ")";
  }
  // "per_thread(100)": a freelist with its capacity.
  std::string frames_name() const {
    return frames_capacity == 0 ? std::string(frames)
                                : std::string(frames) + "(" + std::to_string(frames_capacity) + ")";
  }
  // The whole tuple, one value per kAxes entry.
  std::array<std::string, kAxes.size()> axes() const {
    return {refcount_name(),     std::string(gil),      alloc_name(),        frames_name(),
            std::string(tstate), std::string(dictlock), std::string(interp), std::string(freelists)};
  }
};

// The record's "policies": {axis: the entry's policy on it}, every axis.
nlohmann::json policies_json(const ConfigEntry& e);

// Names a record after the entry that ran it with `p`: config, family,
// baseline, policies and every setting.
void label_record(RunRecord& r, const ConfigEntry& e, const RunParams& p);

// The axes on which two entries differ in type, traits or declared
// settings (ConfigEntry::identity), in kAxes order.
std::vector<std::string_view> differing_axes(const ConfigEntry& a, const ConfigEntry& b);

// The shared library to preload for an allocator name, or nullptr.
const char* preload_library(std::string_view allocator);

std::span<const ConfigEntry> all_configs();
// Every setting any configuration declares, each name once, in registry order.
std::vector<SettingSpec> all_settings();
// The record's "settings": every declared setting, given or default, whether
// or not this configuration uses it, plus the run's own (trace capacity, pinning).
nlohmann::json settings_json(const RunParams& p);
const ConfigEntry* find_config(std::string_view name);

}  // namespace rclab::experiments
