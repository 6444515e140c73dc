// The driver's command line: every bad input is refused with exit status 2
// and one line on stderr naming the problem; good input prints a record.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/perf_counters.h"

#include "experiments/registry.h"

#ifndef RCLAB_BIN
#error "RCLAB_BIN must name the rclab executable"
#endif

namespace {

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A directory of this test process's own: "@TMP@" in arguments stands for
// it, so refused outputs never share a path with another run.
std::string tmp_dir() {
  static const std::string dir = [] {
    std::string d = ::testing::TempDir() + "rclab_cli_" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

std::string with_tmp(std::string args) {
  for (std::size_t at; (at = args.find("@TMP@")) != std::string::npos;) args.replace(at, 5, tmp_dir());
  return args;
}

Outcome rclab(const std::string& raw_args) {
  const std::string args = with_tmp(raw_args);
  // Unique per process, so `ctest -j` runs cannot mix their outputs.
  const std::string tag = std::to_string(::getpid());
  const std::string out = ::testing::TempDir() + "rclab_cli_out." + tag;
  const std::string err = ::testing::TempDir() + "rclab_cli_err." + tag;
  const std::string cmd = std::string(RCLAB_BIN) + " " + args + " >" + out + " 2>" + err + " </dev/null";
  const int raw = std::system(cmd.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

struct BadInput {
  const char* name;
  const char* args;
  const char* says;  // a word the message must contain
};

void PrintTo(const BadInput& b, std::ostream* os) { *os << "rclab " << b.args; }

class RefusedInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(RefusedInput, ExitsTwoWithOneLine) {
  const Outcome o = rclab(GetParam().args);
  EXPECT_FALSE(std::filesystem::exists(with_tmp("@TMP@/never.jsonl"))) << "a refused sweep wrote its output";
  EXPECT_FALSE(std::filesystem::exists(with_tmp("@TMP@/never.json"))) << "a refused trace wrote its output";
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_EQ(o.err.rfind("rclab: ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find(GetParam().says), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty()) << o.out;
}

// One row per refused input; docs/bad-inputs.md lists the same rows.
INSTANTIATE_TEST_SUITE_P(
    Cli, RefusedInput,
    ::testing::Values(BadInput{"NoSubcommand", "", "subcommand"},
                      BadInput{"UnknownSubcommand", "frobnicate", "frobnicate"},
                      BadInput{"MissingConfig", "run --threads 1 --n 5", "--config"},
                      BadInput{"UnknownConfig", "run --config nosuch --n 5", "unknown configuration"},
                      BadInput{"RefusedConfig", "run --config plain-nogil --n 5", "refused"},
                      BadInput{"SettingOfAnotherPolicy", "run --config gil --n 5 --log-capacity 10",
                               "a setting of buffered counting"},
                      BadInput{"LogCapBelowTheLogsNeeded",
                               "run --config buffered --n 5 --log-capacity 1000000 --log-cap-mib 1", "cannot hold"},
                      BadInput{"LogCapacityZero", "run --config buffered --n 5 --log-capacity 0", "--log-capacity"},
                      BadInput{"LogCapZero", "run --config buffered --n 5 --log-cap-mib 0", "--log-cap-mib"},
                      BadInput{"ZeroThreads", "run --config gil --threads 0 --n 5", "--threads"},
                      BadInput{"NegativeThreads", "run --config gil --threads -1 --n 5", "--threads"},
                      BadInput{"AbsurdThreads", "run --config gil --threads 100000 --n 5", "--threads"},
                      BadInput{"NonNumericThreads", "run --config gil --threads abc --n 5", "whole number"},
                      BadInput{"FractionalThreads", "run --config gil --threads 2.5 --n 5", "whole number"},
                      BadInput{"HugeThreads", "run --config gil --threads 99999999999999999999 --n 5",
                               "out of range"},
                      BadInput{"NegativeN", "run --config gil --n -1", "--n"},
                      BadInput{"LongNWithoutFlag", "run --config gil --n 41", "--long"},
                      BadInput{"OverflowingN", "run --config gil --n 92 --long", "overflow"},
                      BadInput{"NonNumericN", "run --config gil --n xyz", "whole number"},
                      BadInput{"UnknownWorkload", "run --config gil --workload nosuch", "unknown workload"},
                      BadInput{"NegativeWorkloadN", "run --config gil --workload queue --n -1", "iterations"},
                      BadInput{"AbsurdWorkloadN", "run --config gil --workload queue --n 2000000000", "iterations"},
                      BadInput{"WorkloadCrossingThreadsUnderPrivateCounting",
                               "run --config shared-immortal --workload queue", "hands objects"},
                      BadInput{"SweepUnknownWorkload", "sweep --configs gil --workloads fib,nosuch --out @TMP@/never.jsonl",
                               "unknown workload"},
                      BadInput{"SweepWorkloadTwice", "sweep --configs gil --workloads fib,fib --out @TMP@/never.jsonl",
                               "twice"},
                      BadInput{"SweepZeroScale", "sweep --configs gil --workloads all --scale 0 --out @TMP@/never.jsonl",
                               "--scale"},
                      BadInput{"FractionalN", "run --config gil --n 3.5", "whole number"},
                      BadInput{"UnknownFlag", "run --config gil --n 5 --frobnicate", "--frobnicate"},
                      BadInput{"ZeroSwitchInterval", "run --config gil --n 5 --switch-interval-us 0",
                               "--switch-interval-us"},
                      BadInput{"SwitchIntervalWithoutGil", "run --config atomic --n 5 --switch-interval-us 100",
                               "gil=none"},
                      BadInput{"CheckIntervalWithoutTicksGil", "run --config gil --n 5 --check-interval 10",
                               "gil=interval"},
                      BadInput{"ZeroCheckInterval", "run --config gil-ticks --n 5 --check-interval 0",
                               "--check-interval"},
                      BadInput{"TraceWithoutLocks", "trace --config atomic --n 5 -o @TMP@/never.json", "no lock to trace"},
                      BadInput{"TraceNoOutput", "trace --config gil --n 5", "--out"},
                      BadInput{"TraceZeroCapacity", "trace --config gil --n 5 --capacity 0 -o @TMP@/never.json",
                               "--capacity"},
                      BadInput{"SweepUnknownConfig", "sweep --configs gil,nosuch --out @TMP@/never.jsonl",
                               "unknown configuration 'nosuch'"},
                      BadInput{"SweepRefusedConfig", "sweep --configs plain-nogil --out @TMP@/never.jsonl",
                               "refused"},
                      BadInput{"SweepDuplicateConfig", "sweep --configs gil,gil --out @TMP@/never.jsonl",
                               "twice"},
                      BadInput{"SweepEmptyThreads", "sweep --configs gil --threads '' --out @TMP@/never.jsonl",
                               "empty item"},
                      BadInput{"SweepBadThreads", "sweep --configs gil --threads 1,x --out @TMP@/never.jsonl",
                               "not a whole number"},
                      BadInput{"SweepZeroThreads", "sweep --configs gil --threads 0,2 --out @TMP@/never.jsonl",
                               "outside"},
                      BadInput{"SweepDuplicateThreads", "sweep --configs gil --threads 2,2 --out @TMP@/never.jsonl",
                               "twice"},
                      BadInput{"SweepRepeatZero", "sweep --configs gil --repeat 0 --out @TMP@/never.jsonl",
                               "--repeat"},
                      BadInput{"SweepNoOut", "sweep --configs gil", "--out"},
                      BadInput{"SweepNoConfigs", "sweep --out @TMP@/never.jsonl", "--configs"},
                      BadInput{"SweepUnknownPreset", "sweep --preset nosuch", "unknown preset"},
                      BadInput{"SweepLongN", "sweep --configs gil --n 45 --out @TMP@/never.jsonl", "--long"},
                      BadInput{"SweepNegativeN", "sweep --configs gil --n -5 --out @TMP@/never.jsonl", ">= 0"},
                      BadInput{"SweepTimeoutNaN", "sweep --configs gil --timeout-s nan --out @TMP@/never.jsonl",
                               "--timeout-s"},
                      BadInput{"LeadingZeroN", "run --config gil --n 030", "leading zeros"},
                      BadInput{"ReportMissingFile", "report /nonexistent/rclab.jsonl", "no such file"},
                      BadInput{"ReportNoFile", "report", "file"},
                      BadInput{"CompareMissingFile", "compare /nonexistent/a.jsonl /nonexistent/b.jsonl", "no such file"},
                      BadInput{"CompareOneFileWithoutConfigs", "compare " RCLAB_FIXTURE, "--configs"},
                      BadInput{"CompareUnknownConfig", "compare " RCLAB_FIXTURE " --configs gil,nosuch", "nosuch"},
                      BadInput{"CompareSameConfigTwice", "compare " RCLAB_FIXTURE " --configs gil,gil", "twice"},
                      BadInput{"SweepEmptyConfigItem", "sweep --configs gil,,atomic --out @TMP@/never.jsonl",
                               "empty item"},
                      BadInput{"SweepTrailingComma", "sweep --configs gil, --out @TMP@/never.jsonl", "empty item"},
                      BadInput{"SweepOnlyAComma", "sweep --configs , --out @TMP@/never.jsonl", "empty item"},
                      BadInput{"SweepEmptyThreadItem", "sweep --configs gil --threads 1,,2 --out @TMP@/never.jsonl",
                               "empty item"},
                      BadInput{"SweepNegativeSeed", "sweep --configs gil --seed -1 --out @TMP@/never.jsonl", "--seed"},
                      BadInput{"SweepUnwritableOut", "sweep --configs gil --out /proc/rclab/never.jsonl", "cannot create"},
                      BadInput{"SweepOutIsADirectory", "sweep --configs gil --out @TMP@", "directory"},
                      BadInput{"SweepMaxBelowMin", "sweep --configs gil --repeat 5 --max-repeats 3 --out @TMP@/never.jsonl",
                               "--max-repeats"},
                      BadInput{"SweepMissingPeersFile", "sweep --peers @TMP@/nosuch.json --out @TMP@/never.jsonl",
                               "--peers"},
                      BadInput{"SweepPeersNotJson", "sweep --peers " RCLAB_FIXTURE " --out @TMP@/never.jsonl", "--peers"},
                      BadInput{"TraceUnwritableOut", "trace --config gil --n 5 -o /proc/rclab/never.json", "cannot create"},
                      BadInput{"AgreeMissingFile", "agree /nonexistent/a.jsonl " RCLAB_FIXTURE, "no such file"},
                      BadInput{"AgreeOneFile", "agree " RCLAB_FIXTURE, "files"},
                      BadInput{"AgreeShareAboveOne", "agree " RCLAB_FIXTURE " " RCLAB_FIXTURE " --max-other-cpu 2",
                               "--max-other-cpu"},
                      BadInput{"ReportOutIsAFile", "report " RCLAB_FIXTURE " -o " RCLAB_FIXTURE, "is a file"},
                      BadInput{"ScalingMissingFile", "scaling /nonexistent/rclab.jsonl", "no such file"},
                      BadInput{"ScalingUnknownConfig", "scaling " RCLAB_FIXTURE " --configs gil,nosuch", "nosuch"},
                      BadInput{"ScalingOneThread", "scaling " RCLAB_FIXTURE " --threads 1", "above 1 thread"}),
    [](const auto& info) { return std::string(info.param.name); });

// Every declared setting (common/settings.h) is refused below its minimum,
// above its maximum, and for a configuration none of whose policies
// declares it: the refusals derive from the declaration, like the options.
// tools/dev/gen_bad_inputs.py writes the same three rows per setting into
// docs/bad-inputs.md from `rclab list --settings`.
TEST(Cli, EveryDeclaredSettingIsRefusedOutOfRangeAndWhereItDoesNotApply) {
  const auto settings = rclab::experiments::all_settings();
  ASSERT_FALSE(settings.empty());
  for (const auto& spec : settings) {
    const rclab::experiments::ConfigEntry* owner = nullptr;
    const rclab::experiments::ConfigEntry* other = nullptr;
    for (const auto& e : rclab::experiments::all_configs()) {
      if (!e.refused.empty() || !e.preload.empty()) continue;
      const bool has = std::any_of(e.settings.begin(), e.settings.end(), [&](const auto& s) { return s.name == spec.name; });
      (has ? owner : other) = (has ? owner : other) ? (has ? owner : other) : &e;
    }
    ASSERT_TRUE(owner && other) << spec.name;
    const std::string opt = rclab::option_name(spec);
    for (const std::string& args :
         {"run --config " + std::string(owner->name) + " --n 5 " + opt + " " + std::to_string(spec.min - 1),
          "run --config " + std::string(owner->name) + " --n 5 " + opt + " " + std::to_string(spec.max + 1),
          "run --config " + std::string(other->name) + " --n 5 " + opt + " " + std::to_string(spec.def)}) {
      const Outcome o = rclab(args);
      EXPECT_EQ(o.status, 2) << args << ": " << o.err;
      EXPECT_EQ(lines(o.err), 1) << args << ": " << o.err;
      EXPECT_NE(o.err.find(opt), std::string::npos) << args << ": " << o.err;
    }
    // And in range, for its owner, it runs and is recorded.
    const Outcome ok = rclab("run --config " + std::string(owner->name) + " --n 5 --json " + opt + " " +
                             std::to_string(spec.def));
    ASSERT_EQ(ok.status, 0) << ok.err;
    EXPECT_EQ(nlohmann::json::parse(ok.out)["settings"][std::string(spec.name)], spec.def);
  }
}

TEST(Cli, RunJsonPrintsOneCompleteRecord) {
  const Outcome o = rclab("run --config atomic --threads 2 --n 15 --json");
  ASSERT_EQ(o.status, 0) << o.err;
  ASSERT_EQ(lines(o.out), 1) << o.out;
  const auto j = nlohmann::json::parse(o.out);
  for (const char* key : {"schema", "config", "threads", "n", "wall_s", "cpu_s", "cpu_user_s", "cpu_sys_s",
                          "thread_cpu_s", "calls", "result", "result_ok", "increfs", "decrefs", "live_objects",
                          "max_rss_kb", "helper_cpu_s"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["config"], "atomic");
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["result"], 987);
  EXPECT_EQ(j["result_ok"], true);
  EXPECT_EQ(j["live_objects"], 0);
  EXPECT_EQ(j["calls"], 2 * 1973);
  EXPECT_EQ(j["thread_cpu_s"].size(), 2u);
}

// Every counter that opens is in the record, per thread and in total, with a
// plausible value; every one that does not is in `missing` with why. The
// kernel's software counters open wherever perf_event_open is allowed, as on
// every machine of this project's kind (hardware ones do not there: no PMU).
TEST(Cli, CountersThatOpenAreInTheRecordWithPlausibleValues) {
  const Outcome o = rclab("run --config gil --threads 2 --n 22 --json");
  ASSERT_EQ(o.status, 0) << o.err;
  const auto c = nlohmann::json::parse(o.out)["counters"];
  const auto thread_cpu = nlohmann::json::parse(o.out)["thread_cpu_s"];
  for (const auto& info : rclab::kCounters) {
    const std::string name(info.name);
    EXPECT_NE(c.contains(name), c["missing"].contains(name)) << name << ": in the record xor missing";
    if (c["missing"].contains(name)) {
      EXPECT_FALSE(c["missing"][name].get<std::string>().empty()) << name;
    }
    if (!c.contains(name)) continue;
    std::uint64_t sum = 0;
    for (const auto& t : c["per_thread"]) sum += t.value(name, std::uint64_t(0));
    EXPECT_EQ(c[name].get<std::uint64_t>(), sum) << name << ": the total is the threads' sum";
  }
  if (c["missing"].contains("task_clock_ns"))
    GTEST_SKIP() << "this kernel opens no software counter: " << c["missing"]["task_clock_ns"];
  // task-clock counts what the thread's CPU clock does, over the same span.
  ASSERT_EQ(c["per_thread"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const double counted = c["per_thread"][i]["task_clock_ns"].get<double>() * 1e-9, clock = thread_cpu[i];
    EXPECT_GT(counted, 0) << i;
    EXPECT_GT(counted, 0.5 * clock) << i;
    EXPECT_LT(counted, 2.0 * clock + 1e-3) << i;
  }
  EXPECT_GE(c["page_faults"].get<std::int64_t>(), 0);
  EXPECT_EQ(c["available"], !c["missing"].contains("instructions"));
}

// The one peers reader refuses, before any work, an interpreter that is
// missing, not executable, or not a Python; a good file is printed.
TEST(Cli, PeersFileNamingNoPythonIsRefusedBeforeAnyWork) {
  const std::string dir = tmp_dir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  const std::string not_python = write("not_python.sh", "#!/bin/sh\necho hello\n");
  std::filesystem::permissions(not_python, std::filesystem::perms::owner_all);
  const std::string not_exec = write("not_exec.py", "print(1)\n");
  struct Case {
    std::string python, says;
  };
  for (const Case& c : {Case{dir + "/nosuch/python3", "does not exist"}, Case{not_exec, "not an executable"},
                        Case{not_python, "not a Python"}, Case{"python3", "must be a path"}}) {
    const std::string file = write("peers.json", "{\"peers\": [{\"name\": \"p\", \"python\": \"" + c.python + "\"}]}");
    for (const std::string& cmd : {"peers " + file, "sweep --peers " + file + " --configs gil --threads 1 --out " + dir +
                                                        "/never.jsonl"}) {
      const Outcome o = rclab(cmd);
      EXPECT_EQ(o.status, 2) << cmd << ": " << o.err;
      EXPECT_EQ(lines(o.err), 1) << o.err;
      EXPECT_NE(o.err.find(c.says), std::string::npos) << o.err;
      EXPECT_NE(o.err.find("'p'"), std::string::npos) << "names the peer: " << o.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir + "/never.jsonl"));
  }
  const std::string good = write("good.json", "{\"peers\": [{\"name\": \"sys\", \"python\": \"/usr/bin/python3\"}]}");
  const Outcome o = rclab("peers --json " + good);
  ASSERT_EQ(o.status, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["peers"][0]["name"], "sys");
  EXPECT_EQ(j["peers"][0]["version"].get<std::string>().rfind("3.", 0), 0u) << j.dump();
}

// jemalloc and mimalloc configurations re-execute the driver with the
// library preloaded, and the record says which malloc really served the run.
// A sanitizer build refuses them (exit 2, one line).
TEST(Cli, PreloadedAllocatorsReallyServeTheRun) {
  for (const char* alloc : {"jemalloc", "mimalloc"}) {
    const Outcome o = rclab(std::string("run --config atomic-") + alloc + " --threads 2 --n 12 --json");
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find("sanitizer"), std::string::npos) << o.err;
#else
    ASSERT_EQ(o.status, 0) << o.err;
    const auto j = nlohmann::json::parse(o.out);
    EXPECT_EQ(j["malloc"]["name"], alloc) << j["malloc"].dump();
    EXPECT_EQ(j["result_ok"], true);
    EXPECT_EQ(j["live_objects"], 0);
#endif
  }
  const Outcome plain = rclab("run --config atomic --n 5 --json");
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_NE(nlohmann::json::parse(plain.out)["malloc"]["name"], "jemalloc");
}

TEST(Cli, RunTextAndListAndHelp) {
  Outcome o = rclab("run --config gil --threads 1 --n 10");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("fib(10) = 89  ok"), std::string::npos) << o.out;

  o = rclab("list");
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.out.find("gil "), std::string::npos);
  EXPECT_NE(o.out.find("atomic "), std::string::npos);

  o = rclab("list --json");
  EXPECT_EQ(o.status, 0) << o.err;
  const auto list = nlohmann::json::parse(o.out);
  EXPECT_EQ(list["axes"].size(), rclab::experiments::kAxes.size());
  EXPECT_EQ(list["configs"].size(), rclab::experiments::all_configs().size());
  for (const auto& e : list["configs"]) {
    const auto* entry = rclab::experiments::find_config(e["name"].get<std::string>());
    ASSERT_NE(entry, nullptr) << e["name"];
    EXPECT_EQ(e["baseline"], entry->baseline);
    EXPECT_EQ(e["policies"].size(), list["axes"].size()) << e["name"];
    if (!entry->baseline.empty() && !entry->milestone) {
      EXPECT_EQ(e["differs_from_baseline"].size(), 1u) << e["name"];
    }
  }
  EXPECT_FALSE(list["settings"].empty());

  o = rclab("run --help");
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.out.find("--threads"), std::string::npos);
}

}  // namespace
