// GCC 12 at -O1 with ASan reports <regex>'s own std::function members as
// maybe-uninitialized (a known false positive inside libstdc++); the
// warning is turned off for this file only, where <regex> is used.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "experiments/schema.h"

#include <cmath>
#include <cstdint>
#include <regex>
#include <stdexcept>

#include "record_schema.h"  // generated: kRecordSchemaText

namespace rclab::experiments {

namespace {

using nlohmann::json;

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  // Returns the first problem under `schema` for `v` at `path`, or empty.
  std::string check(const json& schema, const json& v, const std::string& path) const {
    if (schema.contains("$ref")) return check(resolve(schema["$ref"].get<std::string>()), v, path);
    if (schema.contains("type") && !has_type(v, schema["type"]))
      return at(path) + "expected " + schema["type"].dump() + ", got " + type_name(v);
    if (schema.contains("const") && !equal(v, schema["const"])) return at(path) + "must be " + schema["const"].dump();
    if (schema.contains("enum")) {
      bool any = false;
      for (const auto& e : schema["enum"]) any = any || equal(v, e);
      if (!any) return at(path) + "must be one of " + schema["enum"].dump();
    }
    if (v.is_number()) {
      const double x = v.get<double>();
      if (schema.contains("minimum") && less(v, schema["minimum"]))
        return at(path) + "below the minimum " + schema["minimum"].dump();
      if (schema.contains("maximum") && less(schema["maximum"], v))
        return at(path) + "above the maximum " + schema["maximum"].dump();
      if (schema.contains("exclusiveMinimum") && x <= schema["exclusiveMinimum"].get<double>())
        return at(path) + "must be above " + schema["exclusiveMinimum"].dump();
    }
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (schema.contains("minLength") && s.size() < schema["minLength"].get<std::size_t>())
        return at(path) + "shorter than " + schema["minLength"].dump() + " characters";
      if (schema.contains("pattern") && !std::regex_search(s, std::regex(schema["pattern"].get<std::string>())))
        return at(path) + "does not match " + schema["pattern"].get<std::string>();
    }
    if (v.is_object()) {
      if (schema.contains("required"))
        for (const auto& r : schema["required"])
          if (!v.contains(r.get<std::string>())) return join(path, r.get<std::string>()) + ": missing";
      const json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
      for (const auto& [k, x] : v.items()) {
        if (props != nullptr && props->contains(k)) {
          if (auto why = check((*props)[k], x, join(path, k)); !why.empty()) return why;
        } else if (schema.contains("additionalProperties")) {
          const json& ap = schema["additionalProperties"];
          if (ap.is_boolean() && !ap.get<bool>()) return join(path, k) + ": not allowed here";
          if (ap.is_object())
            if (auto why = check(ap, x, join(path, k)); !why.empty()) return why;
        }
      }
    }
    if (v.is_array() && schema.contains("items"))
      for (std::size_t i = 0; i < v.size(); ++i)
        if (auto why = check(schema["items"], v[i], join(path, std::to_string(i))); !why.empty()) return why;
    if (schema.contains("allOf"))
      for (const auto& s : schema["allOf"])
        if (auto why = check(s, v, path); !why.empty()) return why;
    if (schema.contains("if")) {
      const bool holds = check(schema["if"], v, path).empty();
      const char* branch = holds ? "then" : "else";
      if (schema.contains(branch))
        if (auto why = check(schema[branch], v, path); !why.empty()) return why;
    }
    return {};
  }

 private:
  const json& resolve(const std::string& ref) const {
    // Only local references: "#/definitions/name".
    if (ref.rfind("#/", 0) != 0) throw std::logic_error("schema: non-local $ref " + ref);
    const json* node = &root_;
    for (std::size_t start = 2; start <= ref.size();) {
      const std::size_t slash = ref.find('/', start);
      const std::string part = ref.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      node = &node->at(part);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return *node;
  }

  static bool is_integral(const json& v) {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    const double x = v.get<double>();
    return std::isfinite(x) && std::floor(x) == x;
  }

  static bool has_one_type(const json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "integer") return is_integral(v);
    if (t == "number") return v.is_number();
    return false;
  }

  static bool has_type(const json& v, const json& t) {
    if (t.is_string()) return has_one_type(v, t.get<std::string>());
    for (const auto& x : t)
      if (has_one_type(v, x.get<std::string>())) return true;
    return false;
  }

  // JSON Schema equality: 1 and 1.0 are equal; a bool is never a number.
  static bool equal(const json& a, const json& b) {
    if (a.is_number() && b.is_number() && !a.is_boolean() && !b.is_boolean()) return a.get<double>() == b.get<double>();
    return a == b;
  }

  // a < b for numbers, exactly when both are integers (a double cannot
  // tell 2^63 - 1 from 2^63, and int64 bounds are the point of some limits).
  static bool less(const json& a, const json& b) {
    const bool ai = a.is_number_integer(), bi = b.is_number_integer();
    if (ai && bi) {
      const bool au = a.is_number_unsigned(), bu = b.is_number_unsigned();
      if (au && bu) return a.get<std::uint64_t>() < b.get<std::uint64_t>();
      if (au) return a.get<std::uint64_t>() <= std::uint64_t(INT64_MAX) && std::int64_t(a.get<std::uint64_t>()) < b.get<std::int64_t>();
      if (bu) return b.get<std::uint64_t>() > std::uint64_t(INT64_MAX) || a.get<std::int64_t>() < std::int64_t(b.get<std::uint64_t>());
      return a.get<std::int64_t>() < b.get<std::int64_t>();
    }
    return a.get<double>() < b.get<double>();
  }

  static std::string type_name(const json& v) { return v.is_number_integer() ? "integer" : v.type_name(); }
  static std::string join(const std::string& path, const std::string& k) { return path.empty() ? k : path + "." + k; }
  static std::string at(const std::string& path) { return (path.empty() ? std::string("record") : path) + ": "; }

  const json& root_;
};

}  // namespace

const nlohmann::json& record_schema() {
  static const nlohmann::json schema = nlohmann::json::parse(kRecordSchemaText);
  return schema;
}

std::string schema_problem(const nlohmann::json& record) {
  static const Validator v(record_schema());
  return v.check(record_schema(), record, "");
}

}  // namespace rclab::experiments

namespace rclab::experiments {

namespace {

// "a/b" -> record["a"]["b"], or nullptr when any step is absent.
const nlohmann::json* at_path(const nlohmann::json& record, const std::string& path) {
  const nlohmann::json* v = &record;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string step = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!v->is_object() || !v->contains(step)) return nullptr;
    v = &(*v)[step];
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return v;
}

}  // namespace

std::vector<std::string> point_key_fields() {
  std::vector<std::string> out;
  for (const auto& f : record_schema().at("x-rclab-point-key")) out.push_back(f.at("field").get<std::string>());
  return out;
}

std::vector<std::string> point_key(const nlohmann::json& record) {
  std::vector<std::string> key;
  const std::string kind = record.is_object() ? record.value("kind", "model") : "model";
  for (const auto& f : record_schema().at("x-rclab-point-key")) {
    std::string path = f.at("field").get<std::string>();
    if (f.contains(kind)) path = f.at(kind).get<std::string>();
    const nlohmann::json* v = path.empty() ? nullptr : at_path(record, path);
    if (path.empty())
      key.emplace_back();
    else if (v != nullptr)
      key.push_back(v->is_string() ? v->get<std::string>() : v->dump());  // dump(): keys sorted, no spaces
    else if (f.contains("default"))
      key.push_back(f.at("default").is_string() ? f.at("default").get<std::string>() : f.at("default").dump());
    else
      key.emplace_back("?");
  }
  return key;
}

}  // namespace rclab::experiments
