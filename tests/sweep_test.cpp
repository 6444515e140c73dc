// `rclab sweep` under crashes and interruptions: a SIGKILL in the middle
// keeps every finished record and --resume completes the sweep without
// duplicates; SIGINT stops cleanly; a cut-short last line is reported with
// its line number; a run that times out is recorded as failed and the sweep
// goes on; records of another build are not reused; the adaptive stop.
//
// No test races a signal against the sweep: the sweep stops itself
// (SIGSTOP) after a known number of records (RCLAB_TEST_STOP_AFTER), and a
// run in flight is held on a FIFO until the test has signalled
// (RCLAB_TEST_HOLD_FIFO), so every interleaving here is forced.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/registry.h"
#include "experiments/sweep.h"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "rclab_sweep_" + std::to_string(::getpid()) + "_" + name;
}

// Starts rclab in its own process group (so the whole group, children
// included, can be signalled), stderr to a file, with `env` added.
pid_t start(const std::vector<std::string>& args, const std::string& err_file,
            const std::vector<std::string>& env = {}) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv{const_cast<char*>(RCLAB_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(RCLAB_BIN, argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

// Waits until the sweep has stopped itself (RCLAB_TEST_STOP_AFTER).
bool wait_stopped(pid_t pid) {
  int st = 0;
  return ::waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st);
}

// Blocks until a reader (a held run) has the FIFO open, then releases it.
// Opening for writing without blocking fails with ENXIO while nobody reads.
int open_held_fifo(const std::string& fifo) {
  for (;;) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != ENXIO) return -1;
    std::this_thread::sleep_for(5ms);
  }
}

int wait_status(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> v;
  for (std::string l; std::getline(f, l);) v.push_back(l);
  return v;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// gil and atomic at 1 and 2 threads, exactly 3 runs each (gil at 1 thread,
// the baseline, twice as many), no warm-up, no ceiling: 15 records of fib(20).
std::vector<std::string> sweep_args(const std::string& out) {
  return {"sweep", "--configs", "gil,atomic", "--threads", "1,2", "--repeat", "3", "--max-repeats", "3",
          "--warmup", "0", "--no-ceiling", "--n", "20", "--out", out};
}
constexpr std::size_t kSweepRecords = 15;

TEST(Sweep, SigkillMidSweepKeepsFinishedPointsAndResumeCompletesWithoutDuplicates) {
  const std::string out = temp_path("kill.jsonl"), err = temp_path("kill.err");
  fs::remove(out);
  const pid_t pid = start(sweep_args(out), err, {"RCLAB_TEST_STOP_AFTER=4"});
  ASSERT_TRUE(wait_stopped(pid)) << slurp(err);
  ::kill(-pid, SIGKILL);  // the sweep, stopped between two runs
  wait_status(pid);

  const auto kept = lines_of(out);
  ASSERT_EQ(kept.size(), 4u);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto j = nlohmann::json::parse(kept[i], nullptr, false);
    ASSERT_TRUE(j.is_object()) << "line " << i + 1 << " is damaged: " << kept[i];
    EXPECT_EQ(j["status"], "ok");
  }

  auto args = sweep_args(out);
  args.push_back("--resume");
  const pid_t again = start(args, err);
  ASSERT_EQ(wait_status(again), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("4 runs of this build already there"), std::string::npos) << slurp(err);

  std::map<std::string, int> seen;
  for (const auto& l : lines_of(out)) {
    const auto j = nlohmann::json::parse(l);
    ASSERT_EQ(j["status"], "ok");
    seen[j["config"].get<std::string>() + "/" + std::to_string(j["threads"].get<int>()) + "/" +
         std::to_string(j["repeat"].get<int>())]++;
  }
  EXPECT_EQ(seen.size(), kSweepRecords);
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k << " recorded " << n << " times";
}

TEST(Sweep, SigintStopsCleanlyAndSaysHowToResume) {
  const std::string out = temp_path("int.jsonl"), err = temp_path("int.err");
  fs::remove(out);
  const pid_t pid = start(sweep_args(out), err, {"RCLAB_TEST_STOP_AFTER=2"});
  ASSERT_TRUE(wait_stopped(pid)) << slurp(err);
  ::kill(pid, SIGINT);  // the sweep only; delivered when it continues
  ::kill(pid, SIGCONT);
  EXPECT_EQ(wait_status(pid), 128 + SIGINT) << slurp(err);
  EXPECT_NE(slurp(err).find("--resume"), std::string::npos) << slurp(err);
  EXPECT_EQ(lines_of(out).size(), 2u);
  for (const auto& l : lines_of(out)) {
    const auto j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_TRUE(j.is_object()) << l;
    EXPECT_EQ(j["status"], "ok") << l;
  }
}

// Ctrl-C in a terminal signals the whole process group: the sweep and the
// run it is waiting for. The run in flight (held on a FIFO, so it is surely
// in flight) must not be recorded, not as a failure either, and no process
// of the group may be left behind.
TEST(Sweep, CtrlCToTheWholeGroupKeepsFinishedPointsOnlyAndLeavesNoProcess) {
  const std::string out = temp_path("ctrlc.jsonl"), err = temp_path("ctrlc.err"), fifo = temp_path("ctrlc.fifo");
  fs::remove(out);
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const pid_t pid = start(sweep_args(out), err, {"RCLAB_TEST_HOLD_FIFO=" + fifo});
  const int fd = open_held_fifo(fifo);  // the first run is now waiting on it
  ASSERT_GE(fd, 0);
  ::kill(-pid, SIGINT);
  EXPECT_EQ(wait_status(pid), 128 + SIGINT) << slurp(err);
  ::close(fd);
  for (int i = 0; i < 500 && ::kill(-pid, 0) == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_NE(::kill(-pid, 0), 0) << "a process of the sweep's group is still running";
  EXPECT_EQ(lines_of(out).size(), 0u) << "the interrupted run was recorded";
  fs::remove(fifo);
}

// (Named "...PassedOver", not "...Skipped": a test whose name says Skipped
// is counted as a skipped test by anyone grepping ctest's output for it.)
TEST(Sweep, TruncatedLastLineIsReportedWithItsNumberAndPassedOver) {
  const std::string out = temp_path("trunc.jsonl"), err = temp_path("trunc.err");
  fs::remove(out);
  const std::vector<std::string> base = {"sweep", "--configs", "gil", "--threads", "2", "--warmup", "0",
                                         "--no-ceiling", "--n", "15", "--out", out};
  {
    auto args = base;
    args.insert(args.end(), {"--repeat", "2", "--max-repeats", "2"});
    const pid_t pid = start(args, err);
    ASSERT_EQ(wait_status(pid), 0) << slurp(err);
  }
  {
    std::ofstream f(out, std::ios::app);
    f << R"({"config":"gil","threads":2,"n":15,"rep)";  // a record cut short by a crash
  }
  auto args = base;
  args.insert(args.end(), {"--repeat", "3", "--max-repeats", "3", "--resume"});
  const pid_t pid = start(args, err);
  ASSERT_EQ(wait_status(pid), 0) << slurp(err);
  EXPECT_NE(slurp(err).find(out + ":3: truncated last record; skipped"), std::string::npos) << slurp(err);
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 4u);  // 2 records, the damaged line, the resumed record on its own line
  EXPECT_TRUE(nlohmann::json::parse(lines[3], nullptr, false).is_object()) << lines[3];
}

TEST(Sweep, ResumeOfAGzippedFileIsRefusedAndLeavesItAsItWas) {
  // Committed results are gzip-compressed; appending plain lines to one
  // would corrupt it.
  const std::string out = temp_path("gz.jsonl.gz"), err = temp_path("gz.err");
  const std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  {
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << gz;
  }
  auto args = sweep_args(out);
  args.push_back("--resume");
  const pid_t pid = start(args, err);
  EXPECT_EQ(wait_status(pid), 2) << slurp(err);
  EXPECT_NE(slurp(err).find("is gzip-compressed"), std::string::npos) << slurp(err);
  EXPECT_EQ(lines_of(err).size(), 1u) << slurp(err);
  EXPECT_EQ(slurp(out), gz);
}

TEST(Sweep, RunThatTimesOutIsRecordedAsFailedAndTheSweepGoesOn) {
  const std::string out = temp_path("timeout.jsonl"), err = temp_path("timeout.err"), fifo = temp_path("timeout.fifo");
  fs::remove(out);
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Every run waits on a FIFO nobody writes to: each must time out.
  const pid_t pid = start({"sweep", "--configs", "atomic", "--threads", "2", "--repeat", "2", "--max-repeats", "2",
                           "--warmup", "0", "--no-ceiling", "--n", "10", "--timeout-s", "0.2", "--out", out},
                          err, {"RCLAB_TEST_HOLD_FIFO=" + fifo});
  EXPECT_EQ(wait_status(pid), 1) << slurp(err);  // 1: some runs failed
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u) << "both runs recorded";
  for (const auto& l : lines) {
    const auto j = nlohmann::json::parse(l);
    EXPECT_EQ(j["status"], "failed");
    EXPECT_EQ(j["failure"], "timed out (killed)");
    EXPECT_EQ(j["config"], "atomic");
  }
  fs::remove(fifo);
}

// --resume after a rebuild measures again: records whose build id is not
// this binary's are kept but do not count.
TEST(Sweep, ResumeDoesNotReuseRecordsOfAnotherBuild) {
  const std::string out = temp_path("rebuild.jsonl"), err = temp_path("rebuild.err");
  fs::remove(out);
  const std::vector<std::string> args = {"sweep", "--configs", "gil", "--threads", "2", "--repeat", "2",
                                         "--max-repeats", "2", "--warmup", "0", "--no-ceiling", "--n", "12",
                                         "--out", out};
  ASSERT_EQ(wait_status(start(args, err)), 0) << slurp(err);
  {
    // Pretend another build made them.
    std::string text = slurp(out), id = nlohmann::json::parse(lines_of(out)[0])["build"]["id"];
    for (std::size_t at; (at = text.find(id)) != std::string::npos;) text.replace(at, id.size(), "0123456789abcdef");
    std::ofstream(out) << text;
  }
  auto again = args;
  again.push_back("--resume");
  ASSERT_EQ(wait_status(start(again, err)), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("2 records in " + out + " come from another build"), std::string::npos) << slurp(err);
  EXPECT_EQ(lines_of(out).size(), 4u) << "the two runs were measured again";
}

// The resume's cells are the report's points (schema's x-rclab-point-key):
// runs made with another setting are another point and are not counted, so
// the resumed sweep measures the new point in full. Before, the resume keyed
// on (configuration, workload, threads, n, build) and pooled them.
TEST(Sweep, ResumeWithAChangedSettingMeasuresTheNewPointInFull) {
  const std::string out = temp_path("setting.jsonl"), err = temp_path("setting.err");
  fs::remove(out);
  const std::vector<std::string> args = {"sweep", "--configs", "gil", "--threads", "2", "--repeat", "2",
                                         "--max-repeats", "2", "--warmup", "0", "--no-ceiling", "--n", "12",
                                         "--out", out};
  ASSERT_EQ(wait_status(start(args, err)), 0) << slurp(err);
  auto pinned = args;
  pinned.insert(pinned.end(), {"--pin", "--resume"});
  ASSERT_EQ(wait_status(start(pinned, err)), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("resuming " + out + ": 0 runs"), std::string::npos) << slurp(err);
  EXPECT_NE(slurp(err).find("2 records in " + out + " are of other points"), std::string::npos) << slurp(err);
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 4u) << "two unpinned runs, then two pinned ones";
  int pinned_runs = 0;
  for (const auto& l : lines) pinned_runs += nlohmann::json::parse(l)["settings"]["pin"].get<bool>();
  EXPECT_EQ(pinned_runs, 2);
  // Resumed again with the same setting, it finds its two runs and adds none.
  ASSERT_EQ(wait_status(start(pinned, err)), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("resuming " + out + ": 2 runs"), std::string::npos) << slurp(err);
  EXPECT_EQ(lines_of(out).size(), 4u);
}

// A host is part of the point: runs measured on another host stay in the
// file and are measured again here.
TEST(Sweep, ResumeDoesNotReuseRecordsOfAnotherHost) {
  const std::string out = temp_path("host.jsonl"), err = temp_path("host.err");
  fs::remove(out);
  const std::vector<std::string> args = {"sweep", "--configs", "gil", "--threads", "2", "--repeat", "2",
                                         "--max-repeats", "2", "--warmup", "0", "--no-ceiling", "--n", "12",
                                         "--out", out};
  ASSERT_EQ(wait_status(start(args, err)), 0) << slurp(err);
  {
    std::string text = slurp(out), id = nlohmann::json::parse(lines_of(out)[0])["machine"]["host_id"];
    for (std::size_t at; (at = text.find(id)) != std::string::npos;) text.replace(at, id.size(), "intel-6-85-7-0x1-00000000");
    std::ofstream(out) << text;
  }
  auto again = args;
  again.push_back("--resume");
  ASSERT_EQ(wait_status(start(again, err)), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("2 records in " + out + " were measured on another host"), std::string::npos) << slurp(err);
  EXPECT_EQ(lines_of(out).size(), 4u);
}

// Each run records what disturbed it, and the machine's state.
TEST(Sweep, EveryRecordCarriesItsDisturbanceAndTheSystem) {
  const std::string out = temp_path("dist.jsonl"), err = temp_path("dist.err");
  fs::remove(out);
  ASSERT_EQ(wait_status(start({"sweep", "--configs", "gil", "--threads", "1", "--repeat", "1", "--max-repeats", "1",
                               "--warmup", "1", "--n", "12", "--out", out},
                              err)),
            0)
      << slurp(err);
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 4u) << "gil and the ceiling, each the 1-thread baseline twice; warm-ups unrecorded";
  for (const auto& l : lines) {
    const auto j = nlohmann::json::parse(l);
    EXPECT_EQ(j["schema"], 2);
    for (const char* f : {"loadavg_1m", "steal_frac", "other_cpu_frac", "cpu_mhz"})
      EXPECT_TRUE(j["disturbance"].contains(f)) << f;
    EXPECT_TRUE(j["system"].contains("aslr"));
    EXPECT_EQ(j["build"]["id"].get<std::string>().size(), 16u);
  }
}

}  // namespace

// The adaptive stop's rule on synthetic samples: a tight sample converges,
// a noisy one does not, and too few values never claim 95%.
TEST(SweepStatistics, MedianCiAndTheAdaptiveStop) {
  using rclab::experiments::ci_within;
  using rclab::experiments::median_ci;
  std::vector<double> tight;
  for (int i = 0; i < 10; ++i) tight.push_back(1.0 + 0.002 * (i % 5));
  EXPECT_TRUE(ci_within(tight, 0.03));
  std::vector<double> noisy = {1.0, 1.5, 0.7, 1.2, 0.9, 1.4, 0.8, 1.3, 1.1, 0.6};
  EXPECT_FALSE(ci_within(noisy, 0.03));
  // n = 10: the 95% CI of the median is [x(2), x(9)] (P(B(10,1/2) < 2) = 1.1%).
  const auto [lo, hi] = median_ci(noisy);
  EXPECT_DOUBLE_EQ(lo, 0.7);
  EXPECT_DOUBLE_EQ(hi, 1.4);
  // n = 5 cannot reach 95% with order statistics: the whole range.
  const auto [lo5, hi5] = median_ci({3, 1, 2, 5, 4});
  EXPECT_DOUBLE_EQ(lo5, 1);
  EXPECT_DOUBLE_EQ(hi5, 5);
  // A bimodal sample (walls of 1.5 s and 3.6 s) never converges.
  EXPECT_FALSE(ci_within({1.5, 3.6, 1.5, 3.7, 1.6, 3.5, 1.5, 3.6, 1.5, 3.6, 1.6, 3.7}, 0.03));
}

// Every preset runs configurations the registry has, and the calibration
// preset runs what schema/calibration.json pairs (the file the reports read):
// each model, and a model read against its baseline brings that along.
TEST(SweepPresets, EveryPresetsConfigurationsExistAndCalibrationFollowsItsFile) {
  using rclab::experiments::find_config;
  using rclab::experiments::find_preset;
  using rclab::experiments::presets;
  for (const auto& p : presets())
    for (const auto& name : p.configs()) EXPECT_NE(find_config(name), nullptr) << p.name << ": " << name;
  const auto cal = find_preset("calibration")->configs();
  for (const char* name : {"gil", "gil-ticks", "gilectomy-2016-10", "nogil", "py313"})
    EXPECT_NE(std::find(cal.begin(), cal.end(), name), cal.end()) << name;
  const std::string nogil_base(find_config("nogil")->baseline);
  EXPECT_NE(std::find(cal.begin(), cal.end(), nogil_base), cal.end()) << "nogil's baseline " << nogil_base;
  const auto py313 = find_preset("py313")->configs();
  for (const char* name : {"py313", "py313-atomic-gil", "gil"})
    EXPECT_NE(std::find(py313.begin(), py313.end(), name), py313.end()) << name;
}
