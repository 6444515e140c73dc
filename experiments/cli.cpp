// rclab: the driver's command line — definition, validation, dispatch.
//
//   rclab list [--settings | --json]
//   rclab peers FILE [--json]
//   rclab system
//   rclab run --config NAME --threads N --n K [--json] [--long] [--pin] [--trace-capacity C]
//             [--<declared setting> V ...]       (rclab list --settings)
//   rclab ceiling --threads N [--json]
//   rclab trace --config NAME --threads N --n K -o OUT.json [--beazley F] [--capacity C] [settings]
//   rclab sweep [--preset P] [--configs a,b] [--peers FILE] [--threads 1,2,4] [--repeat R]
//               [--max-repeats M] [--target PCT] [--warmup W] [--no-ceiling] [--n K] [--out F]
//               [--resume] [--seed S] [--pin] [--long] [--timeout-s T]
//   rclab report FILE.jsonl [-o DIR]
//   rclab compare A.jsonl [B.jsonl] [--configs a,b]
//   rclab agree A.jsonl B.jsonl
//
// Exit status: 0 success; 1 the run itself went wrong (wrong result, objects
// or blocks left after teardown); 2 bad input, with one line on stderr that
// names the problem.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <algorithm>
#include <map>
#include <set>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "experiments/cli.h"

#include <array>
#include "experiments/fib.h"
#include "experiments/records.h"
#include "experiments/host.h"
#include "experiments/registry.h"
#include "experiments/child.h"
#include "experiments/workloads_embedded.h"
#include "obmalloc/which.h"
#include "experiments/sweep.h"
#include "experiments/trace.h"
#include "experiments/ceiling.h"
#include "experiments/system_info.h"

namespace rclab::experiments {
namespace {

// Limits. Threads: 64 cores oversubscribed 64 times is the most anyone has
// asked for; past that a run is almost certainly a typo. n: fib(40) is 331 M
// calls per thread, tens of seconds at the model's speed; every step above
// multiplies the work by 1.6, so --long is required to go further, and 90 is
// where the result stops fitting 64 bits.
constexpr int kMaxThreads = 4096;
constexpr int kDefaultMaxN = 40;

constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;

// Set for one rclab_main() call: validate everything, do nothing (the
// command-line fuzzer), and say nothing.
bool g_dry_run = false;
char** g_argv = nullptr;  // for re-executing with an allocator preloaded
bool g_quiet = false;

// CLI11 reports "abc" for an int option as "Failed parsing abc as a FLOAT"
// and "2.5" as out of range; say what is wrong instead.
const CLI::Validator kWholeNumber(
    [](std::string& s) -> std::string {
      std::size_t used = 0;
      try {
        (void)std::stoll(s, &used);
      } catch (const std::out_of_range&) {
        return "value " + s + " is out of range";
      } catch (const std::invalid_argument&) {
        used = 0;
      }
      if (used == 0 || used != s.size()) return "expects a whole number, got '" + s + "'";
      // CLI11 converts with base 0, so "010" would silently mean 8.
      const std::size_t digits = s.find_first_of("0123456789");
      if (s[digits] == '0' && s.size() > digits + 1) return "expects a whole number without leading zeros, got '" + s + "'";
      return "";
    },
    "INT");

int usage_error(const std::string& msg) {
  if (!g_quiet) std::fprintf(stderr, "rclab: %s\n", msg.c_str());
  return kExitUsage;
}

// Several refusals, one per line (a workload file's violations).
int usage_errors(const std::string& lines) {
  std::size_t start = 0;
  while (start <= lines.size()) {
    const std::size_t nl = lines.find('\n', start);
    usage_error(lines.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return kExitUsage;
}

std::string config_names() {
  std::string s;
  for (const auto& e : all_configs()) {
    if (!e.refused.empty()) continue;
    if (!s.empty()) s += ", ";
    s += e.name;
  }
  return s;
}

// `rclab list --json`: what scripts need instead of scraping the text.
int cmd_list_json() {
  nlohmann::json configs = nlohmann::json::array();
  for (const auto& e : all_configs()) {
    nlohmann::json settings = nlohmann::json::array();
    for (const auto& spec : e.settings) settings.push_back(std::string(spec.name));
    const ConfigEntry* b = e.baseline.empty() ? nullptr : find_config(e.baseline);
    nlohmann::json differs = nlohmann::json::array();
    if (b != nullptr)
      for (std::string_view axis : differing_axes(e, *b)) differs.push_back(std::string(axis));
    configs.push_back({{"name", e.name},
                       {"family", e.family},
                       {"models", e.models},
                       {"baseline", e.baseline},
                       {"differs_from_baseline", differs},
                       {"milestone", e.milestone},
                       {"follows", e.follows},
                       {"policies", policies_json(e)},
                       {"refused", e.refused},
                       {"preload", e.preload},
                       {"private_only", e.private_only},
                       {"settings", settings}});
  }
  nlohmann::json settings = nlohmann::json::array();
  for (const auto& spec : all_settings())
    settings.push_back({{"name", spec.name}, {"option", option_name(spec)}, {"owner", spec.owner}, {"default", spec.def},
                        {"min", spec.min}, {"max", spec.max}, {"unit", spec.unit}, {"help", spec.help}});
  nlohmann::json axes = nlohmann::json::array();
  for (std::string_view a : kAxes) axes.push_back(std::string(a));
  std::cout << nlohmann::json{{"axes", axes}, {"configs", configs}, {"settings", settings}}.dump(1) << '\n';
  return 0;
}

// `rclab peers FILE [--json]`: the peers file as rclab reads it, every check done.
int cmd_peers(const std::string& file, bool json) {
  std::vector<PeerSpec> peers;
  try {
    peers = load_peers(file);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  if (g_dry_run) return 0;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : peers) {
      nlohmann::json env = nlohmann::json::object();
      for (const auto& [k, v] : p.env) env[k] = v;
      out.push_back({{"name", p.name}, {"python", p.python}, {"version", p.version}, {"env", env}, {"base", p.base},
                     {"models", p.models}});
    }
    std::cout << nlohmann::json{{"peers", out}}.dump(1) << '\n';
    return 0;
  }
  for (const auto& p : peers)
    std::printf("%s  %s  (Python %s)%s%s\n", p.name.c_str(), p.python.c_str(), p.version.c_str(),
                p.base.empty() ? "" : ("  read against " + p.base).c_str(),
                p.models.empty() ? "" : ("  models " + p.models).c_str());
  return 0;
}

int cmd_list() {
  // One line per configuration with its whole tuple, columns as wide as
  // their widest entry; then what it models, what it follows and what it is
  // read against, indented beneath.
  constexpr std::size_t kCols = 2 + kAxes.size();
  auto fields = [](const ConfigEntry& e) {
    std::array<std::string, kCols> f;
    f[0] = std::string(e.name);
    f[1] = std::string(e.family);
    const auto axes = e.axes();
    for (std::size_t i = 0; i < kAxes.size(); ++i) f[2 + i] = std::string(kAxes[i]) + "=" + axes[i];
    return f;
  };
  std::array<std::size_t, kCols> w{};
  for (const auto& e : all_configs()) {
    const auto f = fields(e);
    for (std::size_t i = 0; i < kCols; ++i) w[i] = std::max(w[i], f[i].size());
  }
  std::printf("%-*s %-*s axes\n", int(w[0]), "configuration", int(w[1]), "family");
  for (const auto& e : all_configs()) {
    const auto f = fields(e);
    std::string line;
    for (std::size_t i = 0; i < kCols; ++i) {
      line += f[i];
      if (i + 1 < kCols) line += std::string(w[i] - f[i].size() + 1, ' ');
    }
    std::printf("%s\n    %.*s\n", line.c_str(), int(e.models.size()), e.models.data());
    if (!e.baseline.empty()) {
      std::string against = "read against " + std::string(e.baseline) + " (differs in ";
      const ConfigEntry* b = find_config(e.baseline);
      const auto diff = b ? differing_axes(e, *b) : std::vector<std::string_view>{};
      for (std::size_t i = 0; i < diff.size(); ++i) against += (i ? ", " : "") + std::string(diff[i]);
      against += e.milestone ? "; a milestone: several axes at once)" : ")";
      std::printf("    %s\n", against.c_str());
    } else {
      std::printf("    the root of its family\n");
    }
    if (!e.follows.empty()) std::printf("    follows %.*s\n", int(e.follows.size()), e.follows.data());
    if (!e.refused.empty()) std::printf("    REFUSED: %.*s\n", int(e.refused.size()), e.refused.data());
  }
  return 0;
}

// What `run` and `trace` share: one configuration, run once in this process.
struct OneRunArgs {
  std::string config;
  int threads = 1;
  int n = 30;             // fib's default; another workload's is its N
  bool n_given = false;   // --n was on the command line
  std::string workload = "fib";  // a built-in workload's name, or a file (PATH.py) until load_workload_file_of
  WorkloadFileOptions workload_file;  // --compiler, --workload-cache
  bool allow_long = false;
  // The declared settings given on the command line (all_settings()), by name.
  Settings settings;
};

struct RunArgs : OneRunArgs {
  bool json = false;
  bool pin = false;
  long trace_capacity = 0;
};

// One --option per declared setting (common/settings.h), on `cmd`; the
// values land in `values` and only the ones given are copied into a
// Settings after parsing (collect_settings).
struct SettingOptions {
  std::vector<std::pair<SettingSpec, CLI::Option*>> options;
  std::map<std::string, std::int64_t> values;
};

void add_setting_options(CLI::App* cmd, SettingOptions& so) {
  for (const auto& spec : all_settings()) {
    auto& v = so.values[std::string(spec.name)];
    v = spec.def;
    const std::string help = std::string(spec.help) + " (" + std::string(spec.owner) + " only; " + std::string(spec.unit) +
                             ", " + std::to_string(spec.min) + ".." + std::to_string(spec.max) + ", default " +
                             std::to_string(spec.def) + ")";
    CLI::Option* o = cmd->add_option(option_name(spec), v, help)->check(kWholeNumber)->check(CLI::Range(spec.min, spec.max));
    so.options.emplace_back(spec, o);
  }
}

// --compiler and --workload-cache: how a workload file (--workload PATH.py) is compiled.
void add_workload_file_options(CLI::App* cmd, WorkloadFileOptions& o) {
  cmd->add_option("--compiler", o.compilers,
                  "With a workload file: the CPython that compiles it for the configuration's generation (3.6 for "
                  "py36, 3.13 for py313; repeatable, the right one is picked; default: pyenv's, else pythonX.Y on PATH)");
  cmd->add_option("--workload-cache", o.cache,
                  "With a workload file: where compiled files are kept by the source's sha256 (default "
                  "$RCLAB_CACHE/workloads, else ~/.cache/rclab/workloads)");
}

void collect_settings(const SettingOptions& so, Settings& out) {
  for (const auto& [spec, opt] : so.options)
    if (opt->count() > 0) out.set(spec.name, so.values.at(std::string(spec.name)));
}

// A setting given for a configuration none of whose policies declares it is
// refused (it would silently do nothing), as is a combination the policies'
// own check rejects.
std::string settings_problem(const ConfigEntry& e, const Settings& given) {
  for (const auto& entry : given.given()) {
    const std::string& name = entry.first;  // not a structured binding: lambdas below capture it
    const bool declared = std::any_of(e.settings.begin(), e.settings.end(), [&](const SettingSpec& s) { return s.name == name; });
    if (declared) continue;
    const auto all = all_settings();
    const auto spec = std::find_if(all.begin(), all.end(), [&](const SettingSpec& s) { return s.name == name; });
    const auto axes = e.axes();
    std::string tuple;
    for (std::size_t i = 0; i < kAxes.size(); ++i) tuple += (i ? " " : "") + std::string(kAxes[i]) + "=" + axes[i];
    return option_name(*spec) + " is a setting of " + std::string(spec->owner) + "; configuration '" +
           std::string(e.name) + "' (" + tuple + ") has no policy that uses it";
  }
  return e.check_settings ? e.check_settings(given) : std::string();
}

// Why a configuration name cannot be run, or empty.
std::string config_problem(const std::string& name) {
  const ConfigEntry* e = find_config(name);
  if (e == nullptr) return "unknown configuration '" + name + "' (known: " + config_names() + ")";
  if (!e->refused.empty()) return "configuration '" + name + "' is refused: " + std::string(e->refused);
  return {};
}

std::string n_problem(int n, bool allow_long) {
  if (n < 0) return "--n must be >= 0 (got " + std::to_string(n) + ")";
  if (n > kFibMaxN)
    return "--n " + std::to_string(n) + " is too large: fib(n) for n > " + std::to_string(kFibMaxN) +
           " overflows the model's 64-bit ints";
  if (n > kDefaultMaxN && !allow_long)
    return "--n " + std::to_string(n) + " means " + std::to_string(fib_calls(n)) +
           " calls per thread (tens of seconds or more per thread); the limit is " + std::to_string(kDefaultMaxN) +
           ", pass --long to lift it";
  return {};
}

std::string tools_dir();

// --workload PATH.py: compiles the file for the configuration's generation
// (experiments/workloads_embedded.h) and names the workload by its stem from
// here on. "" or why not (lines); an unknown configuration is left to
// one_run_problem. A dry run (the command-line fuzzer) starts no compiler.
std::string load_workload_file_of(OneRunArgs& a) {
  if (!is_workload_file(a.workload) || g_dry_run) return {};
  const ConfigEntry* e = find_config(a.config);
  if (e == nullptr || !e->refused.empty()) return {};
  a.workload_file.tools_dir = tools_dir();
  std::string name;
  const std::string path = a.workload;
  if (auto why = load_workload_file(path, {std::string(e->bytecode)}, a.workload_file, name); !why.empty()) return why;
  a.workload = name;
  return {};
}

// --n not given: fib keeps the command's default, another workload takes its N.
void settle_n(OneRunArgs& a, bool given) {
  a.n_given = given;
  if (given || a.workload == "fib") return;
  if (const EmbeddedWorkload* w = find_workload(a.workload)) a.n = w->default_n;
}

// The largest iteration count a workload other than fib takes.
constexpr int kMaxWorkloadN = 1'000'000'000;

// Why `workload` with this n cannot run under `e`, or empty. fib's n is
// fib's argument (n_problem); another workload's is an iteration count.
std::string workload_problem(const std::string& workload, int n, bool allow_long, const ConfigEntry* e) {
  const EmbeddedWorkload* w = find_workload(workload);
  if (w == nullptr) return "unknown workload '" + workload + "' (known: " + workload_names() + ")";
  if (workload == "fib") {
    if (auto why = n_problem(n, allow_long); !why.empty()) return why;
  } else if (n < 0 || n > kMaxWorkloadN) {
    return "--n " + std::to_string(n) + " is outside 0.." + std::to_string(kMaxWorkloadN) + " (iterations of " +
           workload + "'s work loop)";
  }
  if (e != nullptr && e->private_only && w->crosses_threads)
    return "configuration '" + std::string(e->name) + "' cannot run workload '" + workload +
           "': it hands objects from thread to thread, and its refcount policy (" + e->refcount_name() +
           ") counts a mortal object plainly, only on the thread that made it";
  return {};
}

// Runs one configuration in this process and names the record after it.
// False (with a message) if the run could not even start.
bool run_entry(const ConfigEntry& e, const RunParams& p, RunRecord& r) {
  try {
    r = e.run(p);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "rclab: run failed: %s\n", ex.what());
    return false;
  }
  label_record(r, e, p);
  return true;
}

// Why `a` cannot run, or empty; `e` is its configuration when it can.
std::string one_run_problem(const OneRunArgs& a, const ConfigEntry*& e) {
  if (auto why = config_problem(a.config); !why.empty()) return why;
  e = find_config(a.config);
  if (auto why = workload_problem(a.workload, a.n, a.allow_long, e); !why.empty()) return why;
  return settings_problem(*e, a.settings);
}

RunParams params_of(const OneRunArgs& a) {
  RunParams p;
  p.threads = a.threads;
  p.n = a.n;
  p.workload = a.workload;
  p.settings = a.settings;
  return p;
}

// A configuration that needs another malloc (jemalloc, mimalloc) runs in a
// process that has it: re-execute this one with the library preloaded, once,
// and check that it then really serves malloc. Returns -1 to go on in this
// process, else an exit status.
int ensure_preloaded(const ConfigEntry& e) {
  if (e.preload.empty() || obmalloc::serving_allocator().name == e.preload) return -1;
  const char* lib = preload_library(e.preload);
  if (lib == nullptr || std::getenv("RCLAB_PRELOADED") != nullptr) {
    std::fprintf(stderr, "rclab: configuration '%.*s' needs %.*s to serve malloc, but %s does\n",
                 int(e.name.size()), e.name.data(), int(e.preload.size()), e.preload.data(),
                 obmalloc::serving_allocator().name.c_str());
    return kExitRunFailed;
  }
  std::string preload = lib;
  if (const char* old = std::getenv("LD_PRELOAD"); old != nullptr && *old != '\0') preload += std::string(":") + old;
  ::setenv("LD_PRELOAD", preload.c_str(), 1);
  ::setenv("RCLAB_PRELOADED", "1", 1);
  std::fflush(nullptr);
  ::execv("/proc/self/exe", g_argv);
  std::fprintf(stderr, "rclab: cannot re-execute with %s preloaded: %s\n", lib, std::strerror(errno));
  return kExitRunFailed;
}

int cmd_run(const RunArgs& a) {
  const ConfigEntry* e = nullptr;
  if (auto why = one_run_problem(a, e); !why.empty()) return usage_error(why);
  if (g_dry_run) return 0;
  if (int rc = ensure_preloaded(*e); rc >= 0) return rc;
  // A test hook: wait until a writer opens this FIFO, so a test knows a run
  // is in flight when it signals the sweep (tests/sweep_test.cpp).
  if (const char* fifo = std::getenv("RCLAB_TEST_HOLD_FIFO"); fifo != nullptr) {
    const int fd = ::open(fifo, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char c;
      while (::read(fd, &c, 1) < 0 && errno == EINTR) {
      }
      ::close(fd);
    }
  }

  RunParams p = params_of(a);
  p.pin = a.pin;
  p.trace_capacity = std::size_t(a.trace_capacity);
  RunRecord r;
  if (!run_entry(*e, p, r)) return kExitRunFailed;

  if (a.json)
    std::cout << to_json(r).dump() << '\n';
  else
    std::cout << to_text(r);
  std::cout.flush();

  if (!r.clean()) {
    std::fprintf(stderr, "rclab: run failed: %s%s%s\n", r.result_ok() ? "" : "wrong result; ",
                 r.live_objects != 0 ? "objects leaked or freed twice; " : "",
                 r.live_blocks != 0 ? "memory blocks leaked" : "");
    return kExitRunFailed;
  }
  return 0;
}

struct SweepArgs {
  std::string preset;
  std::string configs;  // comma-separated, split here so that empty items are refused
  std::string threads;
  std::string peers;    // a peers file (JSON)
  int repeat = 0;       // the minimum; 0: from the preset
  int max_repeats = 0;  // 0: from the preset
  double target_pct = 3;
  int warmup = 1;
  bool no_ceiling = false;
  int n = 30;  // used only when --n is given; else the preset's, else 30
  std::string workloads;  // comma-separated, or "all"; else the preset's, else fib
  double scale = 0;       // 0: the preset's, else 1
  std::string out;
  bool resume = false;
  std::string seed = "24301";  // 0x5eed; a string, so "-1" is refused, not wrapped
  bool pin = false;
  bool allow_long = false;
  double timeout_s = 3600;
  WorkloadFileOptions workload_file;  // --compiler, --workload-cache
};

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("rclab") : p.string();
}

// Where report.py, compare.py and peer_fib.py are: beside an installed
// binary (PREFIX/bin/rclab -> PREFIX/share/rclab/tools), else the source
// tree this binary was built from.
std::string tools_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path installed = fs::path(self_exe()).parent_path() / ".." / "share" / "rclab" / "tools";
  if (fs::is_regular_file(installed / "report.py", ec)) return fs::weakly_canonical(installed, ec).string();
  return RCLAB_TOOLS_DIR;
}

// Splits "a,b,c"; refuses an empty item ("a,,b", "a,", ",") by naming the option.
bool split_list(const std::string& option, const std::string& s, std::vector<std::string>& out, std::string& why) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) {
      why = option + " '" + s + "' has an empty item";
      return false;
    }
    out.push_back(item);
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

// Why `path` cannot be written (created or appended to), or empty. Checked
// before any work, so a sweep or a trace never runs only to fail at the end.
// It tries for real — permission bits say little to root, and nothing about
// /proc or a read-only mount — and leaves nothing behind.
std::string unwritable(const std::string& option, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) return option + " is empty";
  if (fs::is_directory(path, ec)) return option + " " + path + " is a directory";
  if (fs::exists(path, ec)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return option + " " + path + " is not writable: " + std::strerror(errno);
    ::close(fd);
    return {};
  }
  // Create the missing directories, then the file, then undo both.
  std::vector<fs::path> created;
  for (fs::path d = fs::path(path).parent_path(); !d.empty() && !fs::exists(d, ec); d = d.parent_path())
    created.insert(created.begin(), d);
  std::string why;
  for (const auto& d : created) {
    if (!fs::create_directory(d, ec) || ec) {
      why = option + " " + path + ": cannot create " + d.string() + ": " + ec.message();
      break;
    }
  }
  if (why.empty()) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) why = option + " " + path + ": cannot create it: " + std::strerror(errno);
    else ::close(fd), ::unlink(path.c_str());
  }
  for (auto it = created.rbegin(); it != created.rend(); ++it) fs::remove(*it, ec);
  return why;
}

int cmd_sweep(SweepArgs a, bool threads_given, bool configs_given, bool n_given) {
  SweepSpec s;
  const Preset* preset = nullptr;
  if (!a.preset.empty()) {
    preset = find_preset(a.preset);
    if (preset == nullptr) {
      std::string known;
      for (const auto& p : presets()) known += std::string(known.empty() ? "" : ", ") + p.name;
      return usage_error("unknown preset '" + a.preset + "' (known: " + known + ")");
    }
    s.preset = preset->name;
  }
  std::string why;
  if (configs_given) {
    if (!split_list("--configs", a.configs, s.configs, why)) return usage_error(why);
  } else if (preset != nullptr) {
    s.configs = preset->configs();
  }
  if (!a.peers.empty()) {
    try {
      s.peers = load_peers(a.peers);
    } catch (const std::invalid_argument& e) {
      return usage_error(e.what());
    }
    s.tools_dir = tools_dir();
    s.workloads_dir = tools_dir() + "/../workloads";
  }
  if (!a.workloads.empty()) {
    if (a.workloads == "all") {
      s.workloads.clear();  // the spec's default (fib) is replaced, not added to
      for (const EmbeddedWorkload& w : embedded_workloads()) s.workloads.emplace_back(w.name);
    } else if (!split_list("--workloads", a.workloads, s.workloads, why)) {
      return usage_error(why);
    }
    std::set<std::string> seen_w;
    for (const auto& w : s.workloads) {
      if (is_workload_file(w)) {  // loaded below, once the configurations are known
        if (!seen_w.insert(w).second) return usage_error("--workloads lists '" + w + "' twice");
        continue;
      }
      if (find_workload(w) == nullptr)
        return usage_error("--workloads: unknown workload '" + w + "' (known: " + workload_names() + ", or all)");
      if (!seen_w.insert(w).second) return usage_error("--workloads lists '" + w + "' twice");
    }
  } else if (preset != nullptr) {
    s.workloads = preset->workloads;
  }
  s.scale = a.scale > 0 ? a.scale : preset != nullptr ? preset->scale : 1.0;
  if (s.configs.empty() && s.peers.empty())
    return usage_error("give --configs, --peers or --preset (see rclab sweep --help)");
  std::set<std::string> seen;
  for (const auto& c : s.configs) {
    if (auto why2 = config_problem(c); !why2.empty()) return usage_error("--configs: " + why2);
    if (!seen.insert(c).second) return usage_error("--configs lists '" + c + "' twice");
  }
  if (threads_given) {
    std::vector<std::string> items;
    if (!split_list("--threads", a.threads, items, why)) return usage_error(why);
    std::set<int> seen_t;
    for (const auto& t : items) {
      std::size_t used = 0;
      int v = 0;
      try {
        v = std::stoi(t, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != t.size()) return usage_error("--threads: '" + t + "' is not a whole number");
      if (v < 1 || v > kMaxThreads)
        return usage_error("--threads: " + t + " is outside 1.." + std::to_string(kMaxThreads));
      if (!seen_t.insert(v).second) return usage_error("--threads lists " + t + " twice");
      s.threads.push_back(v);
    }
  } else {
    s.threads = preset ? preset->threads : std::vector<int>{1, 2};
  }
  s.min_repeats = a.repeat > 0 ? a.repeat : preset ? preset->min_repeats : 5;
  s.max_repeats = a.max_repeats > 0 ? a.max_repeats : preset ? preset->max_repeats : std::max(20, s.min_repeats);
  if (s.max_repeats < s.min_repeats)
    return usage_error("--max-repeats " + std::to_string(s.max_repeats) + " is below --repeat " +
                       std::to_string(s.min_repeats));
  s.target = a.target_pct / 100;
  s.warmup = a.warmup;
  s.ceiling = !a.no_ceiling;
  s.n = n_given ? a.n : preset ? preset->n : 30;
  if (auto why2 = n_problem(s.n, a.allow_long); !why2.empty()) return usage_error(why2);
  s.out = !a.out.empty() ? a.out : preset ? preset->out : "";
  if (s.out.empty()) return usage_error("give --out FILE.jsonl (or a --preset, which has one)");
  if (auto why2 = unwritable("--out", s.out); !why2.empty()) return usage_error(why2);
  s.resume = a.resume;
  if (a.seed.empty() || a.seed.find_first_not_of("0123456789") != std::string::npos)
    return usage_error("--seed expects a whole number >= 0, got '" + a.seed + "'");
  try {
    s.seed = std::stoull(a.seed);
  } catch (const std::exception&) {
    return usage_error("--seed " + a.seed + " is out of range (0.." + std::to_string(UINT64_MAX) + ")");
  }
  s.pin = a.pin;
  s.allow_long = a.allow_long;
  s.timeout_s = a.timeout_s;
  if (g_dry_run) return 0;
  // Workload files, compiled for every generation the configurations run
  // (the newest when only peers run them: it gives the file's name and N).
  s.workload_file = a.workload_file;
  s.workload_file.tools_dir = tools_dir();
  std::vector<std::string> generations;
  for (const auto& c : s.configs)
    if (const std::string_view g = find_config(c)->bytecode;
        std::find(generations.begin(), generations.end(), g) == generations.end())
      generations.emplace_back(g);
  if (generations.empty()) generations.emplace_back(embedded_generations().back());
  for (auto& w : s.workloads) {
    if (!is_workload_file(w)) continue;
    std::string name;
    if (auto why2 = load_workload_file(w, generations, s.workload_file, name); !why2.empty()) return usage_errors(why2);
    // Two spellings of one file (a.py, ./a.py) load it once, under one name.
    if (std::count(s.workloads.begin(), s.workloads.end(), name) > 0)
      return usage_error("--workloads lists '" + name + "' twice (" + w + ")");
    w = name;
  }
  try {
    return run_sweep(s, self_exe());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rclab sweep: %s\n", e.what());
    return 1;
  }
}

struct TraceArgs : OneRunArgs {
  TraceArgs() {
    threads = 2;
    n = 25;
  }
  std::string out, beazley;
  long capacity = 1'000'000;
};

int cmd_trace(const TraceArgs& a) {
  const ConfigEntry* e = nullptr;
  if (auto why = one_run_problem(a, e); !why.empty()) return usage_error(why);
  if (e->gil == "none" && e->alloc != "global" && e->frames != "global")
    return usage_error("configuration '" + a.config + "' has no lock to trace (no GIL, no global allocator or freelist lock)");
  if (auto why = unwritable("-o", a.out); !why.empty()) return usage_error(why);
  if (!a.beazley.empty())
    if (auto why = unwritable("--beazley", a.beazley); !why.empty()) return usage_error(why);
  if (g_dry_run) return 0;
  if (int rc = ensure_preloaded(*e); rc >= 0) return rc;

  RunParams p = params_of(a);
  p.trace_capacity = std::size_t(a.capacity);
  RunRecord r;
  if (!run_entry(*e, p, r)) return kExitRunFailed;
  std::vector<TracedThread> threads;
  std::vector<ThreadSummary> rows;
  std::uint64_t dropped = 0;
  for (std::size_t i = 0; i < r.traces.size(); ++i) {
    threads.push_back({int(i), &r.traces[i]->events()});
    rows.push_back(summarize(int(i), r.traces[i]->events()));
    dropped += r.traces[i]->dropped();
  }
  try {
    write_file_atomically(a.out, chrome_trace(threads, "rclab " + a.config).dump() + "\n");
    if (!a.beazley.empty()) write_file_atomically(a.beazley, beazley_text(threads));
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "rclab: %s\n", ex.what());
    return kExitRunFailed;
  }
  std::printf("%s: %d threads, fib(%d) %s, wall %.4f s, %llu GIL switches\n%s", a.config.c_str(), a.threads, a.n,
              r.result_ok() ? "ok" : "WRONG", r.wall_s, (unsigned long long)r.gil_switches,
              summary_table(rows).c_str());
  std::printf("trace: %s%s%s\n", a.out.c_str(), a.beazley.empty() ? "" : ", ", a.beazley.c_str());
  if (dropped > 0)
    std::fprintf(stderr, "rclab trace: %llu events did not fit the buffers (--capacity %ld) and are missing\n",
                 (unsigned long long)dropped, a.capacity);
  return r.clean() ? 0 : kExitRunFailed;
}

// report and compare are Python (matplotlib, scipy): checked here, run there.
int exec_tool(const char* script, const std::vector<std::string>& args) {
  if (g_dry_run) return 0;
  const std::string py = tools_python();
  const std::string path = tools_dir() + "/" + script;
  std::vector<char*> argv{const_cast<char*>(py.c_str()), const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(py.c_str(), argv.data());
  std::fprintf(stderr, "rclab: cannot run %s %s: %s\n", py.c_str(), path.c_str(), std::strerror(errno));
  return 1;
}

std::string missing_file(const std::vector<std::string>& files) {
  for (const auto& f : files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec)) return f;
  }
  return {};
}

}  // namespace

int rclab_main(int argc, char** argv, bool dry_run) {
  g_argv = argv;
  g_dry_run = g_quiet = dry_run;
  CLI::App app{"rclab: reference counting without a GIL, measured on fib(n)", "rclab"};
  app.require_subcommand(1);

  bool list_settings = false, list_json = false;
  CLI::App* list_cmd =
      app.add_subcommand("list", "List every configuration: its family, its whole policy tuple, its baseline");
  list_cmd->add_flag("--settings", list_settings,
                     "List the settings the policies declare instead (tab-separated: name, option, owner, default, "
                     "min, max, unit, help)");
  list_cmd->add_flag("--json", list_json,
                     "Everything `list` and `list --settings` say, as one JSON object: axes, configs (name, family, "
                     "models, baseline, the axes it differs from it in, milestone, follows, policies, refused, "
                     "preload, settings), settings");
  std::string peers_file;
  bool peers_json = false;
  CLI::App* peers_cmd = app.add_subcommand(
      "peers", "Read and check a peers file as `sweep --peers` does (each interpreter run once for its version); "
               "print what it names");
  peers_cmd->add_option("file", peers_file, "The peers file: {\"peers\": [{\"name\", \"python\", \"env\", \"base\", "
                                            "\"models\"}, ...]}")
      ->required();
  peers_cmd->add_flag("--json", peers_json, "Print {\"peers\": [{name, python, version, env, base, models}, ...]}");
  app.add_subcommand("system", "Show how this machine is set up for measuring (governor, boost, ASLR, isolated CPUs, load, steal), with advice");
  int ceiling_threads = 1;
  bool ceiling_json = false;
  CLI::App* ceiling_cmd = app.add_subcommand(
      "ceiling", "Run the machine's ceiling: N threads of a compute loop that share nothing (what a sweep interleaves)");
  ceiling_cmd->add_option("--threads", ceiling_threads, "Threads")
      ->check(kWholeNumber)
      ->check(CLI::Range(1, kMaxThreads))
      ->capture_default_str();
  ceiling_cmd->add_flag("--json", ceiling_json, "Print one JSON record");

  RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a workload (fib(n) by default) on N threads under one configuration");
  run_cmd->add_option("--config", run.config, "Configuration name (see `rclab list`)")->required();
  run_cmd->add_option("--threads", run.threads, "Interpreter threads, each computing fib(n)")
      ->check(kWholeNumber)
      ->check(CLI::Range(1, kMaxThreads))
      ->capture_default_str();
  CLI::Option* run_n = run_cmd->add_option("--n", run.n,
                                           "work(n)'s argument: fib's n (0..40, up to 90 with --long; default 30), "
                                           "or another workload's iterations (default: its N)")
                           ->check(kWholeNumber);
  run_cmd->add_option("--workload", run.workload, "What every thread runs: " + workload_names() +
                                                      " (workloads/README.md), or a file PATH.py (docs/own-workload.md)")
      ->capture_default_str();
  add_workload_file_options(run_cmd, run.workload_file);
  run_cmd->add_flag("--json", run.json, "Print one JSON object instead of text");
  run_cmd->add_flag("--long", run.allow_long, "Allow --n above 40 (long runs)");
  run_cmd->add_flag("--pin", run.pin, "Pin worker i to the i-th CPU this process may use (mod their count)");
  run_cmd->add_option("--trace-capacity", run.trace_capacity,
                      "Record lock events in memory (up to N per thread) and drop them: measures tracing's cost")
      ->check(kWholeNumber)
      ->check(CLI::Range(0L, 100'000'000L));
  SettingOptions run_settings;
  add_setting_options(run_cmd, run_settings);

  SweepArgs sw;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep", "Run many points (config x threads x repeat), each in its own process, into a JSON Lines file");
  std::string preset_help = "A named set of configs, threads, repeats, n and output file:";
  for (const auto& p : presets()) preset_help += std::string("\n  ") + p.name + ": " + p.what + " -> " + p.out;
  sweep_cmd->add_option("--preset", sw.preset, preset_help);
  auto* configs_opt = sweep_cmd->add_option("--configs", sw.configs, "Comma-separated configurations");
  auto* threads_opt = sweep_cmd->add_option("--threads", sw.threads, "Comma-separated thread counts (1,2,4)");
  sweep_cmd->add_option("--peers", sw.peers,
                        "Real interpreters to interleave: a JSON file {\"peers\": [{\"name\", \"python\", \"env\", "
                        "\"base\", \"models\"}]}; each runs tools/peer/peer_fib.py");
  sweep_cmd->add_option("--repeat", sw.repeat,
                        "Least measured runs per cell (baselines at 1 thread get twice as many; default 5)")
      ->check(kWholeNumber)
      ->check(CLI::Range(1, 1000));
  sweep_cmd->add_option("--max-repeats", sw.max_repeats,
                        "Most measured runs per cell while its median's 95% CI is wider than --target (default 20)")
      ->check(kWholeNumber)
      ->check(CLI::Range(1, 1000));
  sweep_cmd->add_option("--target", sw.target_pct, "Half-width of the median's 95% CI to reach, in percent (default 3)")
      ->check(CLI::Range(0.1, 100.0));
  sweep_cmd->add_option("--warmup", sw.warmup, "Unrecorded runs per cell before measuring (default 1)")
      ->check(kWholeNumber)
      ->check(CLI::Range(0, 100));
  sweep_cmd->add_flag("--no-ceiling", sw.no_ceiling, "Do not interleave the machine's ceiling (a share-nothing loop)");
  auto* sweep_n_opt = sweep_cmd->add_option("--n", sw.n, "fib argument (default: the preset's, else 30)")->check(kWholeNumber);
  sweep_cmd->add_option("--workloads", sw.workloads,
                        "Comma-separated workloads, or all (" + workload_names() +
                            "; default: the preset's, else fib); an item PATH.py is a workload file "
                            "(docs/own-workload.md)");
  add_workload_file_options(sweep_cmd, sw.workload_file);
  sweep_cmd->add_option("--scale", sw.scale,
                        "Each workload but fib runs its N times this (default: the preset's, else 1)")
      ->check(CLI::Range(0.001, 100.0));
  sweep_cmd->add_option("--out", sw.out, "JSON Lines file the records are appended to");
  sweep_cmd->add_flag("--resume", sw.resume, "Continue --out: runs of this build already there count");
  sweep_cmd->add_option("--seed", sw.seed, "Seed of the shuffled order (a whole number >= 0)");
  sweep_cmd->add_flag("--pin", sw.pin, "Pin each run's threads to CPUs");
  sweep_cmd->add_flag("--long", sw.allow_long, "Allow --n above 40");
  sweep_cmd->add_option("--timeout-s", sw.timeout_s, "Kill and record as failed a point running longer (default 3600)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            // CLI::Range lets NaN through (every comparison with it is false).
            char* end = nullptr;
            const double v = std::strtod(s.c_str(), &end);
            if (end == s.c_str() || *end != '\0' || !std::isfinite(v) || v < 0.1 || v > 1e6)
              return "expects seconds between 0.1 and 1000000, got '" + s + "'";
            return "";
          },
          "SECONDS"));

  std::string report_file, report_dir;
  CLI::App* report_cmd = app.add_subcommand("report", "Markdown table and CPU/wall/speedup plots from a sweep file");
  report_cmd->add_option("file", report_file, "Sweep records (JSON Lines)")->required();
  report_cmd->add_option("-o,--out-dir", report_dir, "Where report.md and the plots go (default: the file's folder)");
  std::string report_max_other_cpu;
  report_cmd->add_option("--max-other-cpu", report_max_other_cpu,
                         "Leave out runs during which other processes took more than SHARE (0..1) of the CPUs");

  std::string scaling_file, scaling_threads, scaling_configs;
  CLI::App* scaling_cmd = app.add_subcommand(
      "scaling", "ftscalingbench's table from a sweep file: t1*N/tN per workload, configuration and real "
                 "interpreter, 'faster'/'slower', with 95% intervals");
  scaling_cmd->add_option("file", scaling_file, "Sweep records (JSON Lines)")->required();
  scaling_cmd->add_option("--threads", scaling_threads, "Comma-separated thread counts (default: every N > 1 in the file)");
  scaling_cmd->add_option("--configs", scaling_configs,
                          "Comma-separated configurations and peers, in the order shown (default: all)");

  TraceArgs tr;
  CLI::App* trace_cmd = app.add_subcommand(
      "trace", "Run with the GIL's events recorded in memory; write Chrome Trace JSON and per4m's summary");
  trace_cmd->add_option("--config", tr.config, "Configuration with a GIL")->required();
  trace_cmd->add_option("--threads", tr.threads, "Threads")->check(kWholeNumber)->check(CLI::Range(1, kMaxThreads))
      ->capture_default_str();
  CLI::Option* trace_n = trace_cmd->add_option("--n", tr.n, "work(n)'s argument (fib: 0..40, default 25; another workload: its N)")
                             ->check(kWholeNumber);
  trace_cmd->add_option("--workload", tr.workload, "What every thread runs: " + workload_names() + ", or a file PATH.py")
      ->capture_default_str();
  add_workload_file_options(trace_cmd, tr.workload_file);
  trace_cmd->add_option("-o,--out", tr.out, "Chrome Trace Event JSON (Perfetto, chrome://tracing, VizTracer)")
      ->required();
  trace_cmd->add_option("--beazley", tr.beazley, "Also write Beazley's text format: thread ticks tick_count EVENT time");
  trace_cmd->add_option("--capacity", tr.capacity, "Events kept per thread; more are counted and reported as dropped")
      ->check(kWholeNumber)
      ->check(CLI::Range(1L, 100'000'000L))
      ->capture_default_str();
  SettingOptions trace_settings;
  add_setting_options(trace_cmd, trace_settings);

  std::vector<std::string> agree_files;
  CLI::App* agree_cmd = app.add_subcommand(
      "agree", "Do two sweeps agree? Each derived figure's 95% interval in both files, and whether they overlap");
  agree_cmd->add_option("files", agree_files, "A.jsonl B.jsonl")->required()->expected(2);
  std::string max_other_cpu;  // checked by the tools, which say why in one line
  const char* kMaxOtherCpuHelp = "Leave out runs during which other processes took more than SHARE (0..1) of the CPUs";
  agree_cmd->add_option("--max-other-cpu", max_other_cpu, kMaxOtherCpuHelp);

  std::vector<std::string> compare_files;
  std::vector<std::string> compare_configs;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "Per matching point: ratio of medians and a Mann-Whitney U p-value (two files, or two configs)");
  compare_cmd->add_option("files", compare_files, "A.jsonl [B.jsonl]")->required()->expected(1, 2);
  compare_cmd->add_option("--configs", compare_configs, "Two configurations to compare within one file: A,B")
      ->delimiter(',');

  // CLI11 reports a stray word as "a subcommand is required"; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (CLI::App* sub : app.get_subcommands({})) known = known || sub->check_name(argv[1]);
    if (!known)
      return usage_error(std::string("unknown subcommand '") + argv[1] +
                         "' (known: list, peers, run, trace, sweep, report, compare, agree, system, ceiling; see rclab --help)");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return g_quiet ? 0 : app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return g_quiet ? 0 : app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    return usage_error(what + " (see rclab --help)");
  }

  if (app.got_subcommand("list")) {
    if (g_dry_run) return 0;
    if (list_json && list_settings) return usage_error("list: --json already includes the settings; give one of them");
    if (list_json) return cmd_list_json();
    if (!list_settings) return cmd_list();
    for (const auto& spec : all_settings())
      std::printf("%.*s\t%s\t%.*s\t%lld\t%lld\t%lld\t%.*s\t%.*s\n", int(spec.name.size()), spec.name.data(),
                  option_name(spec).c_str(), int(spec.owner.size()), spec.owner.data(), (long long)spec.def,
                  (long long)spec.min, (long long)spec.max, int(spec.unit.size()), spec.unit.data(),
                  int(spec.help.size()), spec.help.data());
    return 0;
  }
  if (app.got_subcommand("peers")) return cmd_peers(peers_file, peers_json);
  if (app.got_subcommand("system")) {
    if (!g_dry_run) {
      const nlohmann::json& h = host_identity();
      const nlohmann::json probe = host_probe();
      std::printf("%stools_dir         %s\n", system_text().c_str(), tools_dir().c_str());
      std::printf("host              %s (%s family %d model %d stepping %d, microcode %s%s%s)\n",
                  h["host_id"].get<std::string>().c_str(), h["vendor"].get<std::string>().c_str(),
                  h["family"].get<int>(), h["model"].get<int>(), h["stepping"].get<int>(),
                  h["microcode"].get<std::string>().c_str(), h["hypervisor"].get<std::string>().empty() ? "" : ", under ",
                  h["hypervisor"].get<std::string>().c_str());
      std::printf("caches            %s\n", h["caches"].dump().c_str());
      std::printf("lock add          %.2f ns uncontended%s\n", probe["lock_add_ns"].get<double>(),
                  probe.value("cached", false) ? " (measured earlier this boot)" : "");
      if (probe.contains("line_round_trip_ns"))
        std::printf("line round trip   %.1f ns between two cores\n", probe["line_round_trip_ns"].get<double>());
      else
        std::printf("line round trip   not measured: fewer than two CPUs\n");
    }
    return 0;
  }
  if (app.got_subcommand("ceiling")) {
    if (g_dry_run) return 0;
    const nlohmann::json r = run_ceiling(ceiling_threads);
    if (ceiling_json)
      std::cout << r.dump() << '\n';
    else
      std::printf("ceiling  %d threads: wall %.4f s, cpu %.4f s (%s)\n", ceiling_threads, r["wall_s"].get<double>(),
                  r["cpu_s"].get<double>(), r["result_ok"].get<bool>() ? "ok" : "WRONG");
    return r["result_ok"].get<bool>() ? 0 : kExitRunFailed;
  }
  if (app.got_subcommand("run")) {
    collect_settings(run_settings, run.settings);
    if (auto why = load_workload_file_of(run); !why.empty()) return usage_errors(why);
    settle_n(run, run_n->count() > 0);
    return cmd_run(run);
  }
  if (app.got_subcommand("trace")) {
    collect_settings(trace_settings, tr.settings);
    if (auto why = load_workload_file_of(tr); !why.empty()) return usage_errors(why);
    settle_n(tr, trace_n->count() > 0);
    return cmd_trace(tr);
  }
  if (app.got_subcommand("sweep"))
    return cmd_sweep(sw, threads_opt->count() > 0, configs_opt->count() > 0, sweep_n_opt->count() > 0);
  if (app.got_subcommand("report")) {
    if (auto f = missing_file({report_file}); !f.empty()) return usage_error("report: no such file: " + f);
    std::vector<std::string> args{report_file};
    if (!report_dir.empty()) {
      std::error_code ec;
      if (std::filesystem::exists(report_dir, ec) && !std::filesystem::is_directory(report_dir, ec))
        return usage_error("report: -o " + report_dir + " is a file, not a directory");
      if (auto why = unwritable("-o", report_dir + "/report.md"); !why.empty()) return usage_error("report: " + why);
      args.insert(args.end(), {"-o", report_dir});
    }
    if (!report_max_other_cpu.empty()) args.insert(args.end(), {"--max-other-cpu", report_max_other_cpu});
    return exec_tool("report.py", args);
  }
  if (app.got_subcommand("scaling")) {
    if (auto f = missing_file({scaling_file}); !f.empty()) return usage_error("scaling: no such file: " + f);
    std::vector<std::string> args{scaling_file};
    if (!scaling_threads.empty()) args.insert(args.end(), {"--threads", scaling_threads});
    if (!scaling_configs.empty()) args.insert(args.end(), {"--configs", scaling_configs});
    return exec_tool("scaling.py", args);
  }
  if (app.got_subcommand("agree")) {
    if (auto f = missing_file(agree_files); !f.empty()) return usage_error("agree: no such file: " + f);
    std::vector<std::string> args = agree_files;
    if (!max_other_cpu.empty()) args.insert(args.end(), {"--max-other-cpu", max_other_cpu});
    return exec_tool("agree.py", args);
  }
  if (auto f = missing_file(compare_files); !f.empty()) return usage_error("compare: no such file: " + f);
  if (compare_files.size() == 1 && compare_configs.size() != 2)
    return usage_error("compare: give two files, or one file and --configs A,B");
  if (compare_configs.size() == 2 && compare_configs[0] == compare_configs[1])
    return usage_error("compare: --configs names '" + compare_configs[0] + "' twice: give two different configurations");
  for (const auto& c : compare_configs)
    if (c.empty()) return usage_error("compare: --configs has an empty item");
  if (compare_files.size() == 2 && !compare_configs.empty())
    return usage_error("compare: --configs is for comparing two configurations within one file");
  std::vector<std::string> args = compare_files;
  if (!compare_configs.empty()) args.insert(args.end(), {"--configs", compare_configs[0] + "," + compare_configs[1]});
  return exec_tool("compare.py", args);
}

}  // namespace rclab::experiments
