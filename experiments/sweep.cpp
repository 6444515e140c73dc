#include "experiments/sweep.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>

#include "experiments/child.h"
#include "experiments/host.h"
#include "experiments/machine.h"
#include "experiments/schema.h"
#include "experiments/records.h"
#include "experiments/registry.h"
#include "experiments/system_info.h"
#include "experiments/workloads_embedded.h"
#include "calibration_pairs.h"  // generated: kCalibrationText (schema/calibration.json)

extern char** environ;

namespace rclab::experiments {

namespace {

std::vector<std::string> runnable_configs(bool timeline_only) {
  std::vector<std::string> v;
  for (const auto& e : all_configs())
    if (e.refused.empty() && (!timeline_only || e.milestone || e.name == "gil")) v.emplace_back(e.name);
  return v;
}

// The configurations a calibration sweep pairs with real interpreters: every
// model of schema/calibration.json (the list the reports' calibration tables
// read too) and the base each is read against ("baseline": its registry
// baseline), in the file's order, once each. A name the registry lacks is an
// error of the file: tests/sweep_test.cpp's SweepPresets fails on it.
std::vector<std::string> calibration_configs() {
  std::vector<std::string> v;
  auto add = [&](const std::string& name) {
    if (find_config(name) == nullptr)
      throw std::invalid_argument("schema/calibration.json names '" + name + "', which is no configuration");
    if (std::find(v.begin(), v.end(), name) == v.end()) v.push_back(name);
  };
  const nlohmann::json file = nlohmann::json::parse(kCalibrationText);  // named: a range-for over
  for (const auto& pair : file.at("pairs")) {                             // a temporary's member dangles
    const std::string model = pair.at("model");
    add(model);
    const auto& base = pair.at("model_base");
    if (base.is_null()) continue;
    add(base == "baseline" ? std::string(find_config(model)->baseline) : base.get<std::string>());
  }
  return v;
}

// The py313 preset's: every configuration of the 3.13 generation's family,
// and gil, the 3.6 generation's model of real 3.6, so that one interleaved
// sweep calibrates both generations on the same host.
std::vector<std::string> py313_configs() {
  std::vector<std::string> v;
  for (const auto& e : all_configs())
    if (e.refused.empty() && e.family == "py313") v.emplace_back(e.name);
  v.emplace_back("gil");
  return v;
}

// The py313t preset's: 3.13t's model and its ablations (family py313t),
// read against py313 and py313-nospec, the GIL build's model with and
// without its specialiser.
std::vector<std::string> py313t_configs() {
  std::vector<std::string> v{"py313", "py313-nospec"};
  for (const auto& e : all_configs())
    if (e.refused.empty() && e.family == "py313t") v.emplace_back(e.name);
  return v;
}

std::string hms(double s) {
  const long t = long(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}


// ---------------------------------------------------------------------------
// Cells

enum class Kind { kModel, kPeer, kCeiling };

const char* kind_name(Kind k) { return k == Kind::kModel ? "model" : k == Kind::kPeer ? "peer" : "ceiling"; }

struct Cell {
  Cell(Kind k, std::string c, std::string w, int n_, int t, const PeerSpec* p = nullptr)
      : kind(k), config(std::move(c)), workload(std::move(w)), n(n_), threads(t), peer(p) {}
  Kind kind;
  std::string config;    // configuration, peer name, or "ceiling"
  std::string workload;  // "" for the ceiling
  int n;                 // work(n)'s argument
  int threads;
  const PeerSpec* peer;
  bool is_baseline = false;  // divides some ratio: measured twice as often
  int warmups_left = 0;
  int recorded = 0;  // ok or failed runs in the file (this build)
  std::vector<double> wall, cpu;  // of the ok ones
  int failed = 0;
  bool helper = false;  // a helper thread (a commit thread) used CPU in some run
};

// What a cell's records look like, as far as the point key goes: the key's
// fields this sweep decides (docs/records.md's point, schema/record.schema.json's
// "x-rclab-point-key"). A model run's settings are the defaults and --pin,
// which the sweep passes; a peer's and the ceiling's settings are what the
// child reports (a peer's GIL mode), so they are not predicted here:
// kUnpredicted stands in for them on both sides and the resume checks that
// a cell's records agree on them.
const std::string kUnpredicted = "*";

nlohmann::json prototype(const Cell& c, const SweepSpec& spec, const std::string& build) {
  nlohmann::json r = {{"kind", kind_name(c.kind)}, {"config", c.config}, {"threads", c.threads},
                      {"n", c.kind == Kind::kCeiling ? 0 : c.n}, {"machine", {{"host_id", host_identity()["host_id"]}}}};
  if (c.kind != Kind::kCeiling) r["workload"] = c.workload;
  if (c.kind == Kind::kPeer) {
    r["peer"] = {{"executable", c.peer->python}};
    r["policies"] = nlohmann::json::object();
  } else {
    r["build"] = {{"id", build}};
  }
  if (c.kind == Kind::kModel) {
    const ConfigEntry* e = find_config(c.config);
    r["policies"] = policies_json(*e);
    RunParams p;
    p.pin = spec.pin;
    r["settings"] = settings_json(p);
    const EmbeddedCode* code = find_workload(c.workload)->code(e->bytecode);
    r["workload_code_sha256"] = code != nullptr ? std::string(code->sha256) : std::string();
  }
  // A model run names the source its marshal came from; a peer the file it
  // ran (peer_fib.py runs fib without one).
  if (c.kind == Kind::kModel || (c.kind == Kind::kPeer && c.workload != "fib"))
    r["workload_source_sha256"] = find_workload(c.workload)->source_sha256;
  return r;
}

// The point key with the settings left out where the sweep does not choose them.
std::string cell_key_of(const nlohmann::json& record) {
  static const std::size_t settings_at = [] {
    const auto f = point_key_fields();
    return std::size_t(std::find(f.begin(), f.end(), "settings") - f.begin());
  }();
  std::vector<std::string> key = point_key(record);
  if (record.value("kind", "model") != "model" && settings_at < key.size()) key[settings_at] = kUnpredicted;
  std::string s;
  for (const auto& k : key) s += k + '\x1f';
  return s;
}

// Converged when both medians are known to ±target with 95% confidence.
bool converged(const Cell& c, double target) { return ci_within(c.wall, target) && ci_within(c.cpu, target); }

}  // namespace

// ---------------------------------------------------------------------------

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::pair<double, double> median_ci(std::vector<double> v) {
  if (v.empty()) return {0, 0};
  std::sort(v.begin(), v.end());
  const int n = int(v.size());
  // Largest k with P(Binomial(n, 1/2) < k) <= 2.5%: then [x_(k), x_(n-k+1)]
  // (1-based) covers the median with at least 95%.
  double cdf = 0, p = std::pow(0.5, n);  // P(B = 0)
  int k = 0;
  for (int i = 0; i < n; ++i) {
    if (cdf + p > 0.025) break;
    cdf += p;
    k = i + 1;
    p = p * double(n - i) / double(i + 1);
  }
  if (k == 0) return {v.front(), v.back()};  // too few values: the whole range
  return {v[std::size_t(k - 1)], v[std::size_t(n - k)]};
}

bool ci_within(const std::vector<double>& v, double target) {
  if (v.empty()) return false;
  const double m = median_of(v);
  const auto [lo, hi] = median_ci(v);
  return m > 0 && (hi - lo) / 2 <= target * m;
}

namespace {

// Why `s.python` cannot serve as a peer, or empty; fills in s.version. A
// peers file naming a missing or wrong interpreter is refused before any
// work, instead of every one of its runs being recorded as failed.
std::string not_a_python(PeerSpec& s) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (s.python.find('/') == std::string::npos) return "python '" + s.python + "' must be a path (absolute or relative)";
  if (!fs::exists(s.python, ec)) return "python " + s.python + " does not exist";
  if (!fs::is_regular_file(s.python, ec) || ::access(s.python.c_str(), X_OK) != 0)
    return "python " + s.python + " is not an executable file";
  // What every Python since 2.7 runs the same way: its version, and nothing else.
  const Child c = run_child(s.python, {"-c", "import sys; sys.stdout.write('rclab-peer %d.%d.%d' % sys.version_info[:3])"},
                            20.0, s.env);
  const std::string out = last_line(c.out);
  if (!c.started || c.timed_out || !WIFEXITED(c.wait_status) || WEXITSTATUS(c.wait_status) != 0 ||
      out.rfind("rclab-peer ", 0) != 0)
    return "python " + s.python + " is not a Python interpreter (it did not print its version" +
           (c.timed_out ? " within 20 s)" : ")");
  s.version = out.substr(std::string("rclab-peer ").size());
  return {};
}

}  // namespace

std::vector<PeerSpec> load_peers(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--peers: cannot read " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) { return std::invalid_argument("--peers: " + path + ": " + what); };
  if (j.is_discarded()) throw bad("not JSON");
  if (!j.is_object() || !j.contains("peers") || !j["peers"].is_array() || j["peers"].empty())
    throw bad("expected {\"peers\": [{\"name\": ..., \"python\": ...}, ...]}");
  std::vector<PeerSpec> peers;
  std::set<std::string> names;
  for (std::size_t i = 0; i < j["peers"].size(); ++i) {
    const auto& p = j["peers"][i];
    const std::string at = "peers[" + std::to_string(i) + "]";
    if (!p.is_object()) throw bad(at + " is not an object");
    for (const char* field : {"name", "python"})
      if (!p.contains(field) || !p[field].is_string() || p[field].get<std::string>().empty())
        throw bad(at + "." + field + " must be a non-empty string");
    PeerSpec s;
    s.name = p["name"];
    s.python = p["python"];
    s.base = p.value("base", "");
    s.models = p.value("models", "");
    if (s.name.find_first_of(", \t|") != std::string::npos) throw bad(at + ".name '" + s.name + "' has a comma, space or |");
    if (find_config(s.name) != nullptr || s.name == "ceiling")
      throw bad(at + ".name '" + s.name + "' is already a configuration's name");
    if (!names.insert(s.name).second) throw bad("peer '" + s.name + "' is listed twice");
    if (p.contains("env")) {
      if (!p["env"].is_object()) throw bad(at + ".env must be an object of strings");
      for (const auto& [k, v] : p["env"].items()) {
        if (!v.is_string()) throw bad(at + ".env." + k + " must be a string");
        s.env.emplace_back(k, v.get<std::string>());
      }
    }
    if (auto why = not_a_python(s); !why.empty()) throw bad(at + " ('" + s.name + "'): " + why);
    peers.push_back(std::move(s));
  }
  for (const auto& s : peers)
    if (!s.base.empty() && !names.contains(s.base))
      throw bad("peer '" + s.name + "' has base '" + s.base + "', which is not a peer in the file");
  return peers;
}

std::vector<std::string> all_workload_names() {
  std::vector<std::string> v;
  for (const EmbeddedWorkload& w : embedded_workloads()) v.emplace_back(w.name);
  return v;
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> kPresets = {
      {"default",
       "every configuration at 1, 2 and 4 threads, fib(25), 5-12 repeats (10-24 for baselines) until the median "
       "is known to +-3%, with the machine's ceiling",
       [] { return runnable_configs(false); }, {1, 2, 4}, 5, 12, 25, "results/latest/default.jsonl"},
      {"timeline", "the Gilectomy's milestones and gil at 1, 2 and 4 threads, fib(30), 5-20 repeats",
       [] { return runnable_configs(true); }, {1, 2, 4}, 5, 20, 30, "results/latest/timeline.jsonl"},
      {"calibration",
       "the configurations that model a real interpreter, to run with --peers: fib(30), 10-15 repeats (20-30 "
       "for baselines) at 1, 2 and 4 threads",
       [] { return calibration_configs(); }, {1, 2, 4}, 10, 15, 30, "results/latest/calibration.jsonl"},
      {"workloads",
       "every configuration on every workload at 1, 2 and 4 threads (fib(25); the others at half their N), "
       "3-8 repeats (6-16 for baselines); run it with --peers for the real interpreters on the same files",
       [] { return runnable_configs(false); }, {1, 2, 4}, 3, 8, 25, "results/latest/workloads.jsonl",
       all_workload_names(), 0.5},
      {"py313",
       "the 3.13 generation (family py313) and gil on every workload at 1 and 2 threads (fib(30), the others at "
       "their N), 10-15 repeats (20-30 for baselines); run it with --peers naming real 3.13 (scripts/peers.sh) and "
       "3.6 for the calibration of both generations",
       [] { return py313_configs(); }, {1, 2}, 10, 15, 30, "results/latest/py313.jsonl", all_workload_names(), 1.0},
      {"py313t",
       "3.13t's model and its ablations (family py313t), py313 and py313-nospec on every workload at 1, 2 and 4 "
       "threads (fib(29), the others at their N), 10 repeats (20 for baselines); run it with --peers naming "
       "real 3.13 and 3.13t (scripts/peers.sh) for the calibration against 3.13t",
       [] { return py313t_configs(); }, {1, 2, 4}, 10, 10, 29, "results/latest/py313t.jsonl", all_workload_names(),
       1.0},
  };
  return kPresets;
}

const Preset* find_preset(const std::string& name) {
  for (const auto& p : presets())
    if (name == p.name) return &p;
  return nullptr;
}

namespace {

// The arguments of one run of a cell.
std::vector<std::string> child_args(const Cell& c, const SweepSpec& spec, std::string& exe, const std::string& self) {
  const std::string t = std::to_string(c.threads);
  if (c.kind == Kind::kCeiling) {
    exe = self;
    return {"ceiling", "--threads", t, "--json"};
  }
  if (c.kind == Kind::kPeer) {
    exe = c.peer->python;
    std::vector<std::string> a = {spec.tools_dir + "/peer/peer_fib.py", "--name", c.config, "--threads", t,
                                  "--n", std::to_string(c.n)};
    // fib is peer_fib.py's own; another workload runs from its source.
    if (const char* path = find_workload(c.workload)->path; path != nullptr)
      a.insert(a.end(), {"--workload", path});
    else if (c.workload != "fib")
      a.insert(a.end(), {"--workload", spec.workloads_dir + "/" + c.workload + ".py"});
    if (!c.peer->base.empty()) a.insert(a.end(), {"--base", c.peer->base});
    if (spec.allow_long) a.push_back("--long");
    return a;
  }
  exe = self;
  std::vector<std::string> a = {"run",        "--config", c.config, "--workload", c.workload, "--threads", t,
                                "--n",        std::to_string(c.n),  "--json"};
  if (const char* path = find_workload(c.workload)->path; path != nullptr) {
    a[4] = path;  // the file, which the child compiles again (a cache hit)
    for (const auto& comp : spec.workload_file.compilers) a.insert(a.end(), {"--compiler", comp});
    if (!spec.workload_file.cache.empty()) a.insert(a.end(), {"--workload-cache", spec.workload_file.cache});
  }
  if (spec.pin) a.push_back("--pin");
  if (spec.allow_long) a.push_back("--long");
  return a;
}

// Warns about a figure no configuration can reach, with bounds taken from
// the ranges of the repeats (so only what is impossible whatever the noise):
// a GIL configuration faster at N threads than 1, any speedup above
// min(N, cores), CPU below N times one thread's. The report flags the same
// cases with bootstrap intervals.
int warn_impossible(const std::vector<Cell>& cells, long cores) {
  std::map<std::tuple<std::string, std::string, int>, const Cell*> by;
  for (const auto& c : cells) by[{c.config, c.workload, c.threads}] = &c;
  int warnings = 0;
  for (const auto& c : cells) {
    if (c.kind != Kind::kModel || c.threads == 1 || c.wall.empty()) continue;
    const Cell* one = by.count({c.config, c.workload, 1}) ? by[{c.config, c.workload, 1}] : nullptr;
    if (one == nullptr || one->wall.empty()) continue;
    const double n = c.threads;
    const double lo_speedup = n * *std::min_element(one->wall.begin(), one->wall.end()) /
                              *std::max_element(c.wall.begin(), c.wall.end());
    const double hi_inflation = *std::max_element(c.cpu.begin(), c.cpu.end()) /
                                (n * *std::min_element(one->cpu.begin(), one->cpu.end()));
    const ConfigEntry* e = find_config(c.config);
    const bool has_gil = e != nullptr && e->gil != "none" && e->gil != "isolated";
    auto warn = [&](const std::string& what) {
      std::fprintf(stderr, "rclab sweep: warning: %s on %s at %d threads: %s\n", c.config.c_str(), c.workload.c_str(),
                   c.threads, what.c_str());
      ++warnings;
    };
    char buf[160];
    if (has_gil && lo_speedup > 1.0) {
      std::snprintf(buf, sizeof buf, "speedup over its own 1 thread is at least %.2f with a GIL (impossible)", lo_speedup);
      warn(buf);
    }
    if (lo_speedup > std::min<double>(n, double(cores))) {
      std::snprintf(buf, sizeof buf, "speedup at least %.2f exceeds min(N, cores) = %.0f (impossible)", lo_speedup,
                    std::min<double>(n, double(cores)));
      warn(buf);
    }
    // One commit thread serves every worker: its work need not grow with N.
    if (hi_inflation < 1.0 && !c.helper && !one->helper) {
      std::snprintf(buf, sizeof buf, "CPU is at most %.2f times N x its 1-thread CPU (below 1: impossible)", hi_inflation);
      warn(buf);
    }
  }
  return warnings;
}

}  // namespace

int run_sweep(const SweepSpec& spec, const std::string& self) {
  namespace fs = std::filesystem;
  const std::string build = build_id();
  const bool exists = fs::exists(spec.out) && fs::file_size(spec.out) > 0;
  if (exists && !spec.resume) {
    std::fprintf(stderr, "rclab: %s already has records; pass --resume to continue it, or choose another --out\n",
                 spec.out.c_str());
    return 2;
  }
  if (exists) {
    // Committed results are gzip-compressed (the Python tools read them so);
    // a sweep appends plain lines, which would corrupt such a file.
    char magic[2] = {};
    std::ifstream(spec.out, std::ios::binary).read(magic, 2);
    if (magic[0] == '\x1f' && magic[1] == '\x8b') {
      std::fprintf(stderr, "rclab: %s is gzip-compressed; --resume continues plain JSON Lines (gunzip -k it, then "
                           "--out the plain file)\n", spec.out.c_str());
      return 2;
    }
  }
  host_probe();  // measured now if this boot has no figures yet, so that no run's child measures it

  // The cells, and which of them are baselines (measured twice as often).
  std::vector<Cell> cells;
  std::set<std::string> baselines = {"gil"};
  for (const auto& c : spec.configs)
    if (const ConfigEntry* e = find_config(c); e != nullptr && !e->baseline.empty()) baselines.insert(std::string(e->baseline));
  for (const auto& p : spec.peers)
    if (!p.base.empty()) baselines.insert(p.base);
  for (int t : spec.threads) {
    for (const auto& w : spec.workloads) {
      const EmbeddedWorkload* wl = find_workload(w);
      const int n = w == "fib" ? spec.n : std::max(1, int(std::lround(wl->default_n * spec.scale)));
      for (const auto& c : spec.configs) {
        const ConfigEntry* e = find_config(c);
        if (e != nullptr && e->private_only && wl->crosses_threads) continue;  // refused: see below
        cells.emplace_back(Kind::kModel, c, w, n, t);
      }
      for (const auto& p : spec.peers) cells.emplace_back(Kind::kPeer, p.name, w, n, t, &p);
    }
    if (spec.ceiling) cells.emplace_back(Kind::kCeiling, "ceiling", "", 0, t);
  }
  for (const auto& c : spec.configs)
    for (const auto& w : spec.workloads)
      if (const ConfigEntry* e = find_config(c); e != nullptr && e->private_only && find_workload(w)->crosses_threads)
        std::fprintf(stderr, "rclab sweep: %s does not run %s: the workload hands objects between threads, which %s's "
                             "counting does not allow\n", c.c_str(), w.c_str(), e->refcount_name().c_str());
  std::map<std::string, Cell*> by_key;
  for (auto& c : cells) {
    c.is_baseline = c.threads == 1 && (baselines.contains(c.config) || c.kind == Kind::kCeiling);
    c.warmups_left = spec.warmup;
    by_key[cell_key_of(prototype(c, spec, build))] = &c;
  }
  auto needed = [&](const Cell& c) { return c.is_baseline ? 2 * spec.min_repeats : spec.min_repeats; };
  auto ceiling_of = [&](const Cell& c) { return c.is_baseline ? 2 * spec.max_repeats : spec.max_repeats; };

  int other_build = 0, other_host = 0, other_point = 0, resumed = 0;
  if (exists) {
    RecordFile f = read_records(spec.out);
    for (const auto& p : f.problems) std::fprintf(stderr, "rclab sweep: %s\n", p.c_str());
    // The settings a peer's or the ceiling's ok runs reported, per cell: one
    // value each, or the resume would pool runs the report keeps apart.
    std::map<const Cell*, std::set<std::string>> reported;
    for (const auto& r : f.records) {
      auto it = by_key.find(cell_key_of(r));
      if (it == by_key.end()) {
        if (r.value("kind", "model") != "peer" && r.contains("build") && r["build"].value("id", "") != build)
          ++other_build;
        else if (r.contains("machine") && r["machine"].value("host_id", "unknown") != host_identity()["host_id"])
          ++other_host;
        else
          ++other_point;
        continue;
      }
      Cell& c = *it->second;
      if (c.kind != Kind::kModel && r.value("status", "") == "ok")
        reported[&c].insert(r.value("settings", nlohmann::json::object()).dump());
      ++c.recorded;
      ++resumed;
      if (r.value("status", "") == "ok" && r.value("wall_s", -1.0) >= 0) {
        c.wall.push_back(r["wall_s"].get<double>());
        c.cpu.push_back(r["cpu_s"].get<double>());
        c.helper = c.helper || r.value("helper_cpu_s", 0.0) > 0;
      } else {
        ++c.failed;
      }
    }
    for (const auto& [c, values] : reported)
      if (values.size() > 1) {
        std::fprintf(stderr,
                     "rclab: %s: %s's runs at %d threads report %zu different settings (%s, ...): resuming would pool "
                     "them; choose another --out\n",
                     spec.out.c_str(), c->config.c_str(), c->threads, values.size(), values.begin()->c_str());
        return 2;
      }
    if (other_build > 0)
      std::fprintf(stderr,
                   "rclab sweep: %d records in %s come from another build of rclab; they stay in the file but are "
                   "not reused (the report shows each build apart)\n",
                   other_build, spec.out.c_str());
    if (other_host > 0)
      std::fprintf(stderr,
                   "rclab sweep: %d records in %s were measured on another host; they stay in the file but are not "
                   "reused (the report shows each host apart)\n",
                   other_host, spec.out.c_str());
    if (other_point > 0)
      std::fprintf(stderr,
                   "rclab sweep: %d records in %s are of other points (another configuration, workload, n, threads or "
                   "setting such as --pin); they stay in the file and are not counted here\n",
                   other_point, spec.out.c_str());
    std::fprintf(stderr, "rclab sweep: resuming %s: %d runs of this build already there\n", spec.out.c_str(), resumed);
  }
  if (const fs::path dir = fs::path(spec.out).parent_path(); !dir.empty()) fs::create_directories(dir);

  RecordWriter writer(spec.out);
  install_stop_handlers();
  const bool tty = ::isatty(2);
  const nlohmann::json system = system_info();
  const std::string sweep_id = utc_now() + "-" + std::to_string(::getpid());
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  std::mt19937_64 rng(spec.seed);
  const char* stop_env = std::getenv("RCLAB_TEST_STOP_AFTER");
  const int stop_after = stop_env != nullptr ? std::atoi(stop_env) : 0;

  int finished = 0, failed = 0, round = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    // This round: every cell still warming up runs its warm-ups first; then
    // every cell short of its minimum runs up to it; afterwards one run per
    // unconverged cell below its maximum.
    struct Run {
      Cell* cell;
      bool warmup;
    };
    std::vector<Run> todo;
    for (auto& c : cells) {
      if (c.warmups_left > 0) {
        for (int i = 0; i < c.warmups_left; ++i) todo.push_back({&c, true});
        continue;
      }
      const int ok = int(c.wall.size());
      if (ok + c.failed < needed(c)) {
        for (int i = ok + c.failed; i < needed(c); ++i) todo.push_back({&c, false});
      } else if (ok > 0 && ok + c.failed < ceiling_of(c) && !converged(c, spec.target)) {
        todo.push_back({&c, false});
      }
    }
    if (todo.empty()) break;
    std::shuffle(todo.begin(), todo.end(), rng);
    ++round;
    int warmed = 0;
    const int warmups_in_round = int(std::count_if(todo.begin(), todo.end(), [](const Run& r) { return r.warmup; }));

    for (const Run& run : todo) {
      Cell& c = *run.cell;
      std::string exe;
      const std::vector<std::string> args = child_args(c, spec, exe, self);
      const CpuSample before = cpu_sample();
      const Child ch = run_child(exe, args, spec.timeout_s, c.peer ? c.peer->env : std::vector<std::pair<std::string, std::string>>{});
      const CpuSample after = cpu_sample();
      if (ch.stopped) break;  // the run did not finish: it is not recorded
      if (run.warmup) {
        --c.warmups_left;
        ++warmed;
        // Warm-ups are not recorded, but a first round of them can take
        // minutes: say where it is.
        std::fprintf(stderr, "%ssweep: round %d, warm-up %d of %d  (%s%s%s, %d threads)%s", tty ? "\r\033[K" : "",
                     round, warmed, warmups_in_round, c.config.c_str(), c.workload.empty() ? "" : " on ",
                     c.workload.c_str(), c.threads, tty ? "" : "\n");
        std::fflush(stderr);
        continue;
      }

      nlohmann::json rec = nlohmann::json::parse(last_line(ch.out), nullptr, false);
      const bool parsed = rec.is_object() && rec.contains("wall_s");
      const bool clean_exit = ch.started && WIFEXITED(ch.wait_status) && WEXITSTATUS(ch.wait_status) == 0;
      if (!parsed) {
        // The point's own fields, so that the failure is counted where the
        // runs that worked are (by the resume and by the report).
        rec = prototype(c, spec, build);
        rec["schema"] = kSchema;
        if (c.peer) rec["peer"]["name"] = c.peer->name;
        rec["machine"] = machine_info();
        if (c.kind != Kind::kPeer) rec["build"] = build_info();
        rec["time"] = utc_now();
      }
      // A peer's record names the interpreter by the path we ran, and the
      // host by rclab's own reading (peer_fib.py, which runs on 2.7, knows
      // only the CPU's name): model and peer records name hosts alike.
      if (c.peer) {
        rec["peer"]["executable"] = c.peer->python;
        // The workload file it ran, as a model run records it (a built-in
        // workload has none): peer_fib.py is handed the path, not told
        // whether it is a built-in's.
        if (const char* path = find_workload(c.workload)->path; path != nullptr) rec["workload_path"] = path;
        nlohmann::json m = rec.value("machine", nlohmann::json::object());
        if (!m.is_object()) m = nlohmann::json::object();
        m.update(machine_info());
        rec["machine"] = std::move(m);
      }
      ++c.recorded;
      rec["repeat"] = c.recorded;
      rec["seed"] = spec.seed;
      rec["preset"] = spec.preset;
      rec["sweep_id"] = sweep_id;
      rec["disturbance"] = disturbance(before, after, ch.cpu_s);
      rec["system"] = system;
      // ok only with a record to show for it, and one whose run went right:
      // a clean exit without one would otherwise count as measured.
      const bool ok = clean_exit && !ch.timed_out && parsed && rec.value("result_ok", false);
      rec["status"] = ok ? "ok" : "failed";
      if (!ok) {
        ++failed;
        ++c.failed;
        rec["failure"] = clean_exit && !ch.timed_out && !parsed ? "no record on stdout"
                         : clean_exit && parsed                   ? "wrong result"
                                                                  : describe_status(ch);
        rec["stderr_tail"] = last_line(ch.err);
      } else {
        c.wall.push_back(rec["wall_s"].get<double>());
        c.cpu.push_back(rec["cpu_s"].get<double>());
        c.helper = c.helper || rec.value("helper_cpu_s", 0.0) > 0;
      }
      writer.append(rec);
      ++finished;
      // A test hook: stop (SIGSTOP) after this many records, so that a test
      // can signal the sweep at a known point instead of racing it.
      if (stop_after > 0 && finished == stop_after) ::raise(SIGSTOP);

      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "%ssweep: round %d, %d runs, %d failed, elapsed %s  (%s%s%s, %d threads, run %d%s)%s",
                   tty ? "\r\033[K" : "", round, finished, failed, hms(elapsed).c_str(), c.config.c_str(),
                   c.workload.empty() ? "" : " on ", c.workload.c_str(), c.threads,
                   c.recorded, ok ? "" : (": FAILED, " + rec["failure"].get<std::string>()).c_str(), tty ? "" : "\n");
      std::fflush(stderr);
      if (stop_signal() != 0) break;
    }
    if (stop_signal() != 0) break;
  }
  if (tty) std::fputc('\n', stderr);

  if (stop_signal() != 0) {
    std::fprintf(stderr, "rclab sweep: interrupted (%s); %d runs are in %s — rerun with --resume to finish\n",
                 sigabbrev_np(stop_signal()), finished + resumed, spec.out.c_str());
    return 128 + stop_signal();
  }
  int unconverged = 0;
  for (const auto& c : cells)
    if (!c.wall.empty() && !converged(c, spec.target)) ++unconverged;
  std::fprintf(stderr, "rclab sweep: %d runs in %s (%d new, %d failed); %d of %zu cells did not reach +-%.0f%% in %d repeats\n",
               finished + resumed, spec.out.c_str(), finished, failed, unconverged, cells.size(), spec.target * 100,
               spec.max_repeats);
  warn_impossible(cells, cores);
  return failed == 0 ? 0 : 1;
}

}  // namespace rclab::experiments
