// rclab: the driver.
//
//   rclab list
//   rclab run --config NAME --threads N --n K [--json] [--long] [--switch-interval-us U]
//
// Exit status: 0 success; 1 the run itself went wrong (wrong result, objects
// or blocks left after teardown); 2 bad input, with one line on stderr that
// names the problem.
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "experiments/fib_workload.h"
#include "experiments/registry.h"

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
      return used != 0 && used == s.size() ? "" : "expects a whole number, got '" + s + "'";
    },
    "INT");

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "rclab: %s\n", msg.c_str());
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

int cmd_list() {
  for (const auto& e : all_configs()) {
    std::printf("%-15s refcount=%-7s gil=%-9s alloc=%-15s frames=%-11s tstate=%-12s %.*s\n",
                std::string(e.name).c_str(), std::string(e.refcount).c_str(), std::string(e.gil).c_str(),
                e.alloc_name().c_str(), std::string(e.frames).c_str(), std::string(e.tstate).c_str(),
                int(e.models.size()), e.models.data());
  }
  return 0;
}

struct RunArgs {
  std::string config;
  int threads = 1;
  int n = 30;
  bool json = false;
  bool allow_long = false;
  std::int64_t switch_interval_us = 5000;
};

int cmd_run(const RunArgs& a) {
  const ConfigEntry* e = find_config(a.config);
  if (e == nullptr) return usage_error("unknown configuration '" + a.config + "' (known: " + config_names() + ")");
  if (!e->refused.empty())
    return usage_error("configuration '" + a.config + "' is refused: " + std::string(e->refused));
  if (a.n < 0) return usage_error("--n must be >= 0 (got " + std::to_string(a.n) + ")");
  if (a.n > kFibMaxN)
    return usage_error("--n " + std::to_string(a.n) + " is too large: fib(n) for n > " + std::to_string(kFibMaxN) +
                       " overflows the model's 64-bit ints");
  if (a.n > kDefaultMaxN && !a.allow_long)
    return usage_error("--n " + std::to_string(a.n) + " means " + std::to_string(fib_calls(a.n)) +
                       " calls per thread (tens of seconds or more per thread); the limit is " +
                       std::to_string(kDefaultMaxN) + ", pass --long to lift it");

  RunParams p;
  p.threads = a.threads;
  p.n = a.n;
  p.switch_interval_us = a.switch_interval_us;
  RunRecord r = e->run(p);
  r.config = std::string(e->name);
  r.refcount = std::string(e->refcount);
  r.gil = std::string(e->gil);
  r.alloc = e->alloc_name();
  r.frames = std::string(e->frames);
  r.tstate = std::string(e->tstate);

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

int main_impl(int argc, char** argv) {
  CLI::App app{"rclab: reference counting without a GIL, measured on fib(n)", "rclab"};
  app.require_subcommand(1);

  app.add_subcommand("list", "List every configuration and its policies");

  RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run fib(n) on N threads under one configuration");
  run_cmd->add_option("--config", run.config, "Configuration name (see `rclab list`)")->required();
  run_cmd->add_option("--threads", run.threads, "Interpreter threads, each computing fib(n)")
      ->check(kWholeNumber)
      ->check(CLI::Range(1, kMaxThreads))
      ->capture_default_str();
  run_cmd->add_option("--n", run.n, "fib argument (0..40; up to 90 with --long)")
      ->check(kWholeNumber)
      ->capture_default_str();
  run_cmd->add_flag("--json", run.json, "Print one JSON object instead of text");
  run_cmd->add_flag("--long", run.allow_long, "Allow --n above 40 (long runs)");
  run_cmd->add_option("--switch-interval-us", run.switch_interval_us,
                      "GIL switch interval in microseconds (interval GIL only)")
      ->check(kWholeNumber)
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1'000'000)))
      ->capture_default_str();

  // CLI11 reports a stray word as "a subcommand is required"; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (CLI::App* sub : app.get_subcommands({})) known = known || sub->check_name(argv[1]);
    if (!known)
      return usage_error(std::string("unknown subcommand '") + argv[1] + "' (known: list, run; see rclab --help)");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    return usage_error(what + " (see rclab --help)");
  }

  if (app.got_subcommand("list")) return cmd_list();
  return cmd_run(run);
}

}  // namespace
}  // namespace rclab::experiments

int main(int argc, char** argv) { return rclab::experiments::main_impl(argc, argv); }
