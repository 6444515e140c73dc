// Settings that a policy declares for itself.
//
// A policy with run-time options lists them once, as SettingSpecs in
// `kSettings`: name, default, valid range, unit, one line of help, and who
// owns it. Everything else derives from that list — the command line's
// --options and their refusals (experiments/cli.cpp), the record's
// "settings" object, the grouping keys of report and compare, and the rows
// of docs/bad-inputs.md — so a policy with a setting is its own file plus a
// registry line.
//
// Settings are whole numbers. A Settings holds the values given for one run;
// a policy reads its own with get(), at construction, never on a hot path.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace rclab {

struct SettingSpec {
  std::string_view name;  // the record's key; the option is --name with '_' as '-'
  std::int64_t def, min, max;
  std::string_view unit;   // "us", "entries", "MiB", "ticks"
  std::string_view help;   // one line
  std::string_view owner;  // who declares it, for messages: "the interval GIL"
};

class Settings {
 public:
  void set(std::string_view name, std::int64_t value) { values_[std::string(name)] = value; }
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  // The value given, else the declared default.
  std::int64_t get(const SettingSpec& s) const {
    const auto it = values_.find(s.name);
    return it == values_.end() ? s.def : it->second;
  }
  const std::map<std::string, std::int64_t, std::less<>>& given() const { return values_; }

 private:
  std::map<std::string, std::int64_t, std::less<>> values_;
};

// The option that sets `s`: "--switch-interval-us".
inline std::string option_name(const SettingSpec& s) {
  std::string o = "--" + std::string(s.name);
  for (char& c : o)
    if (c == '_') c = '-';
  return o;
}

// Policies that declare settings.
template <class P>
constexpr bool has_settings() {
  return requires { P::kSettings; };
}

}  // namespace rclab
