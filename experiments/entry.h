// make_entry<Config>(...): a name becomes a type. Included only by the
// family files in experiments/configs/, each of which instantiates the whole
// interpreter for its configurations, so that the families compile in
// parallel and the rest of the driver does not compile the interpreter.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include "dictlock/all.h"
#include "experiments/registry.h"
#include "experiments/workload_run.h"
#include "freelists/all.h"
#include "freelists/framestacks.h"
#include "freelists/objects_all.h"
#include "obmalloc/all.h"
#include "refcount/all.h"
#include "runtime/config.h"
#include "runtime/generations.h"
#include "runtime/gils.h"
#include "runtime/tstates.h"

namespace rclab::experiments {

// T's full name as the compiler spells it, template arguments included
// ("rclab::obmalloc::Unlocked<rclab::obmalloc::Pymalloc<...> >"): what a
// policy *is*, where kName is only what it is called.
template <class T>
constexpr std::string_view type_name() {
  constexpr std::string_view p = __PRETTY_FUNCTION__;  // "... [with T = X; ...]" (gcc) or "... [T = X]" (clang)
  constexpr std::size_t b = p.find("T = ") + 4;
  constexpr std::size_t e = p.find_first_of(";]", b);
  return p.substr(b, e - b);
}

// A policy's identity for the axis check: its type, every trait it declares
// that changes what runs, and its settings with their defaults.
template <class P>
std::string identity_of() {
  // Appends only: gcc 12 warns falsely (-Wrestrict) on `" " + std::string`.
  std::string s(type_name<P>());
  auto add = [&](std::string_view name, const std::string& value) {
    s += ' ';
    s += name;
    s += '=';
    s += value;
  };
  auto flag = [&](std::string_view name, bool v) { add(name, v ? "1" : "0"); };
  if constexpr (requires { P::kNeedsGil; }) flag("needs_gil", P::kNeedsGil);
  if constexpr (requires { P::kExclusive; }) flag("exclusive", P::kExclusive);
  if constexpr (requires { P::kIsolated; }) flag("isolated", P::kIsolated);
  if constexpr (requires { P::kLooksUp; }) flag("looks_up", P::kLooksUp);
  if constexpr (requires { P::kRecursive; }) flag("recursive", P::kRecursive);
  if constexpr (requires { P::kUnlockedReaders; }) flag("unlocked_readers", P::kUnlockedReaders);
  if constexpr (requires { P::kPrivateOnly; }) flag("private_only", P::kPrivateOnly);
  if constexpr (requires { P::kCapacity; }) add("capacity", std::to_string(P::kCapacity));
  if constexpr (requires { P::kSpecializes; }) flag("specializes", P::kSpecializes);
  if constexpr (has_settings<P>())
    for (const SettingSpec& spec : P::kSettings) {
      std::string range = std::to_string(spec.def);
      range += '[';
      range += std::to_string(spec.min);
      range += ',';
      range += std::to_string(spec.max);
      range += ']';
      add(spec.name, range);
    }
  return s;
}

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

// Whether T is one of a kind's policies: listed<T, refcount::AllPolicies>.
// Each kind's list is the one its conformance suite is typed over.
namespace detail {
template <class T>
struct In {
  template <class... Ts>
  using List = std::bool_constant<(std::is_same_v<T, Ts> || ...)>;
};
}  // namespace detail
template <class T, template <template <class...> class> class AllPolicies>
inline constexpr bool listed = AllPolicies<detail::In<T>::template List>::value;

// Every policy of a configuration is in its kind's list, so it runs in that
// kind's conformance suite: a configuration naming an unlisted policy does
// not compile. (A preloaded malloc, jemalloc or mimalloc, is `System` here:
// with_preload; each has a suite binary of its own, alloc_backend_test.)
template <class Cfg>
constexpr void check_listed() {
  static_assert(listed<typename Cfg::RC, refcount::AllPolicies>,
                "this configuration's refcount policy is not in refcount::AllPolicies: add it to refcount/all.h, "
                "which tests/refcount_conformance_test.cpp is typed over");
  static_assert(listed<typename Cfg::Gil, runtime::gils::AllPolicies>,
                "this configuration's GIL is not in runtime::gils::AllPolicies: add it to runtime/gils.h, "
                "which tests/gil_test.cpp is typed over");
  static_assert(listed<typename Cfg::Alloc, obmalloc::AllPolicies>,
                "this configuration's allocator is not in obmalloc::AllPolicies: add it to obmalloc/all.h, "
                "which tests/alloc_conformance_test.cpp is typed over");
  if constexpr (freelists::Freelist<typename Cfg::Frames>)
    static_assert(listed<typename Cfg::Frames, freelists::AllPolicies>,
                  "this configuration's frame freelist is not in freelists::AllPolicies: add it to freelists/all.h, "
                  "which tests/freelist_conformance_test.cpp is typed over");
  else
    static_assert(listed<typename Cfg::Frames, freelists::framestacks::AllPolicies>,
                  "this configuration's frame stack is not in freelists::framestacks::AllPolicies: add it to "
                  "freelists/framestacks.h, which tests/framestack_conformance_test.cpp is typed over");
  static_assert(listed<typename Cfg::Gen, runtime::generations::AllPolicies>,
                "this configuration's interpreter generation is not in runtime::generations::AllPolicies: add it "
                "to runtime/generations.h, which tests/workload_test.cpp is typed over");
  static_assert(listed<typename Cfg::TState, runtime::tstates::AllPolicies>,
                "this configuration's thread-state lookup is not in runtime::tstates::AllPolicies: add it to "
                "runtime/tstates.h, which tests/tstate_conformance_test.cpp is typed over");
  static_assert(listed<typename Cfg::DictLock, dictlock::AllPolicies>,
                "this configuration's dict lock is not in dictlock::AllPolicies: add it to dictlock/all.h, "
                "which tests/dictlock_conformance_test.cpp is typed over");
  static_assert(listed<typename Cfg::Freelists, freelists::objects::AllPolicies>,
                "this configuration's object freelists are not in freelists::objects::AllPolicies: add them to "
                "freelists/objects_all.h, which tests/object_freelist_conformance_test.cpp is typed over");
}

// What an entry is besides its types: its place among the others.
struct EntryInfo {
  std::string_view family;
  std::string_view baseline;
  bool milestone = false;
  std::string_view follows = {};
};

template <class Cfg>
ConfigEntry make_entry(std::string_view name, std::string_view models, EntryInfo info) {
  check_listed<Cfg>();
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
  e.interp = Cfg::Gen::kName;
  e.freelists = Cfg::Freelists::kName;
  e.bytecode = Cfg::Gen::kBytecode;
  e.private_only = refcount::kPrivateOnly<typename Cfg::RC>;
  // In kAxes order.
  e.identity = {identity_of<typename Cfg::RC>(),     identity_of<typename Cfg::Gil>(),
                identity_of<typename Cfg::Alloc>(),  identity_of<typename Cfg::Frames>(),
                identity_of<typename Cfg::TState>(), identity_of<typename Cfg::DictLock>(),
                identity_of<typename Cfg::Gen>(),    identity_of<typename Cfg::Freelists>()};
  using S = detail::SettingsOf<typename Cfg::RC, typename Cfg::Gil, typename Cfg::Alloc, typename Cfg::Frames,
                               typename Cfg::TState, typename Cfg::DictLock, typename Cfg::Freelists>;
  e.settings = S::value;
  e.check_settings =
      &detail::check_settings<typename Cfg::RC, typename Cfg::Gil, typename Cfg::Alloc, typename Cfg::Frames,
                              typename Cfg::TState, typename Cfg::DictLock, typename Cfg::Freelists>;
  if constexpr (runtime::SafeConfig<Cfg>) {
#ifndef RCLAB_ENTRIES_WITHOUT_RUN
    e.run = &run_workload<Cfg>;
#endif
    // Without: the command-line fuzzer's registry (fuzz/CMakeLists.txt), whose
    // dry runs validate everything and run nothing.
  } else {
    e.refused = runtime::unsafe_reason<Cfg>();
  }
  return e;
}

// An entry that runs with `allocator` preloaded as the process's malloc.
// Sanitizers intercept malloc themselves and cannot take a preloaded one,
// so a sanitizer build refuses such entries.
inline ConfigEntry with_preload(ConfigEntry e, std::string_view allocator) {
  e.preload = allocator;
  e.alloc_backend = allocator;  // named "system(jemalloc)": malloc, served by it
  e.identity[axis_index("alloc")] += " preload=" + std::string(allocator);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  e.refused = "it preloads its own malloc, which a sanitizer build cannot take";
  e.run = nullptr;
#endif
  return e;
}

}  // namespace rclab::experiments
