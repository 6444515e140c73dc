// The named configurations: the only place where a name becomes a type.
//
// Each entry instantiates the whole interpreter for one Config; the driver
// looks a name up once at start-up and calls through one function pointer
// per run. A new configuration is one line in registry.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/workload_run.h"
#include "experiments/run_record.h"
#include "runtime/config.h"

namespace rclab::experiments {

// The axes of a configuration, in the order `rclab list` prints them. Every
// entry spells out every axis: two entries that differ are read against each
// other through exactly the axes that differ (differing_axes()).
inline constexpr std::array<std::string_view, 6> kAxes = {"refcount", "gil", "alloc", "frames", "tstate", "dictlock"};

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
  std::size_t frames_capacity = 0;
  std::string_view refused;  // non-empty: why this combination cannot run
  // Non-empty: the allocator ("jemalloc", "mimalloc") that must serve malloc
  // in the process, by LD_PRELOAD; `rclab run` arranges it and checks it.
  std::string_view preload;
  // Mortal objects must stay on their thread (refcount::kPrivateOnly): a
  // workload that hands objects between threads is refused.
  bool private_only = false;
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
    return {refcount_name(), std::string(gil), alloc_name(), frames_name(), std::string(tstate), std::string(dictlock)};
  }
};

// The names of the axes on which two entries differ, in kAxes order.
std::vector<std::string_view> differing_axes(const ConfigEntry& a, const ConfigEntry& b);

// The modifiers around a base policy, innermost first, joined by '+':
// Deferred<Immortal<Biased>> gives "immortal+deferred". Each modifier names
// itself (kModifier) and what it wraps (Inner).
namespace detail {
template <class P>
constexpr bool is_modifier = requires { typename P::Inner; P::kModifier; };

template <class P>
constexpr std::size_t chain_size() {
  if constexpr (is_modifier<P>) {
    const std::size_t inner = chain_size<typename P::Inner>();
    return inner + (inner != 0 ? 1 : 0) + P::kModifier.size();
  } else {
    return 0;
  }
}

template <class P>
constexpr void chain_fill(char* out, std::size_t& i) {
  if constexpr (is_modifier<P>) {
    chain_fill<typename P::Inner>(out, i);
    if (i != 0) out[i++] = '+';
    for (char c : P::kModifier) out[i++] = c;
  }
}

template <class P>
struct ModifierChain {
  static constexpr auto storage = [] {
    std::array<char, chain_size<P>() + 1> a{};
    std::size_t i = 0;
    chain_fill<P>(a.data(), i);
    return a;
  }();
  static constexpr std::string_view value{storage.data(), chain_size<P>()};
};
}  // namespace detail

template <class P>
constexpr std::string_view modifier_name() {
  return detail::ModifierChain<P>::value;
}

template <class A>
constexpr std::string_view backend_name() {
  if constexpr (requires { A::kBackendName; })
    return A::kBackendName;
  else
    return {};
}

template <class F>
constexpr std::size_t capacity_of() {
  if constexpr (requires { F::kCapacity; })
    return F::kCapacity;
  else
    return 0;
}

// The settings every policy of a configuration declares, in one array.
namespace detail {
template <class P>
constexpr std::size_t settings_count() {
  if constexpr (has_settings<P>())
    return std::size(P::kSettings);
  else
    return 0;
}
template <class... P>
struct SettingsOf {
  static constexpr auto value = [] {
    std::array<SettingSpec, (settings_count<P>() + ... + 0)> a{};
    std::size_t i = 0;
    auto add = [&]<class Q>() {
      if constexpr (has_settings<Q>())
        for (const auto& s : Q::kSettings) a[i++] = s;
    };
    (add.template operator()<P>(), ...);
    return a;
  }();
};
template <class... P>
std::string check_settings(const Settings& s) {
  std::string why;
  auto one = [&]<class Q>() {
    if constexpr (requires { Q::check_settings(s); })
      if (why.empty()) why = Q::check_settings(s);
  };
  (one.template operator()<P>(), ...);
  return why;
}
}  // namespace detail

// What an entry is besides its types: its place among the others.
struct EntryInfo {
  std::string_view family;
  std::string_view baseline;
  bool milestone = false;
  std::string_view follows = {};
};

template <class Cfg>
constexpr ConfigEntry make_entry(std::string_view name, std::string_view models, EntryInfo info) {
  ConfigEntry e;
  e.name = name;
  e.models = models;
  e.family = info.family;
  e.baseline = info.baseline;
  e.milestone = info.milestone;
  e.follows = info.follows;
  e.refcount = Cfg::RC::kName;
  e.refcount_modifier = modifier_name<typename Cfg::RC>();
  e.gil = Cfg::Gil::kName;
  e.alloc = Cfg::Alloc::kName;
  e.alloc_backend = backend_name<typename Cfg::Alloc>();
  e.frames = Cfg::Frames::kName;
  e.frames_capacity = capacity_of<typename Cfg::Frames>();
  e.tstate = Cfg::TState::kName;
  e.dictlock = Cfg::DictLock::kName;
  e.private_only = refcount::kPrivateOnly<typename Cfg::RC>;
  using S = detail::SettingsOf<typename Cfg::RC, typename Cfg::Gil, typename Cfg::Alloc, typename Cfg::Frames,
                               typename Cfg::TState, typename Cfg::DictLock>;
  e.settings = S::value;
  e.check_settings = &detail::check_settings<typename Cfg::RC, typename Cfg::Gil, typename Cfg::Alloc,
                                             typename Cfg::Frames, typename Cfg::TState, typename Cfg::DictLock>;
  if constexpr (runtime::SafeConfig<Cfg>)
    e.run = &run_workload<Cfg>;
  else
    e.refused = runtime::unsafe_reason<Cfg>();
  return e;
}

// An entry that runs with `allocator` preloaded as the process's malloc.
// Sanitizers intercept malloc themselves and cannot take a preloaded one,
// so a sanitizer build refuses such entries.
constexpr ConfigEntry with_preload(ConfigEntry e, std::string_view allocator) {
  e.preload = allocator;
  e.alloc_backend = allocator;  // named "system(jemalloc)": malloc, served by it
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  e.refused = "it preloads its own malloc, which a sanitizer build cannot take";
  e.run = nullptr;
#endif
  return e;
}

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
