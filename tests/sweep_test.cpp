// `rclab sweep` under crashes and interruptions: a SIGKILL in the middle
// keeps every finished record and --resume completes the sweep without
// duplicates; SIGINT stops cleanly; a cut-short last line is reported with
// its line number; a point that times out is recorded as failed and the
// sweep goes on.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "rclab_sweep_" + std::to_string(::getpid()) + "_" + name;
}

// Starts rclab in its own process group (so the whole group, children
// included, can be signalled), stderr to a file.
pid_t start(const std::vector<std::string>& args, const std::string& err_file) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    std::vector<char*> argv{const_cast<char*>(RCLAB_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(RCLAB_BIN, argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
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

bool wait_for_lines(const std::string& path, std::size_t n, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (lines_of(path).size() >= n) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::vector<std::string> sweep_args(const std::string& out) {
  // 2 configs x 2 thread counts x 3 repeats = 12 points of fib(27), from
  // ~30 ms (gil, 1 thread) to ~0.5 s (atomic, 2 threads): seconds in all,
  // so there is always a middle to interrupt.
  return {"sweep", "--configs", "gil,atomic", "--threads", "1,2", "--repeat", "3", "--n", "27", "--out", out};
}

TEST(Sweep, SigkillMidSweepKeepsFinishedPointsAndResumeCompletesWithoutDuplicates) {
  const std::string out = temp_path("kill.jsonl"), err = temp_path("kill.err");
  fs::remove(out);
  const pid_t pid = start(sweep_args(out), err);
  ASSERT_TRUE(wait_for_lines(out, 3, 120s)) << slurp(err);
  ::kill(-pid, SIGKILL);  // the sweep and its running child, at once
  wait_status(pid);

  const auto kept = lines_of(out);
  ASSERT_GE(kept.size(), 3u);
  ASSERT_LT(kept.size(), 12u) << "the sweep finished before it could be killed; nothing was tested";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto j = nlohmann::json::parse(kept[i], nullptr, false);
    ASSERT_TRUE(j.is_object()) << "line " << i + 1 << " is damaged: " << kept[i];
    EXPECT_EQ(j["status"], "ok");
  }

  auto args = sweep_args(out);
  args.push_back("--resume");
  const pid_t again = start(args, err);
  ASSERT_EQ(wait_status(again), 0) << slurp(err);
  EXPECT_NE(slurp(err).find(std::to_string(kept.size()) + " points already done"), std::string::npos) << slurp(err);

  std::map<std::string, int> seen;
  for (const auto& l : lines_of(out)) {
    const auto j = nlohmann::json::parse(l);
    ASSERT_EQ(j["status"], "ok");
    seen[j["config"].get<std::string>() + "/" + std::to_string(j["threads"].get<int>()) + "/" +
         std::to_string(j["repeat"].get<int>())]++;
  }
  EXPECT_EQ(seen.size(), 12u);
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k << " recorded " << n << " times";
}

TEST(Sweep, SigintStopsCleanlyAndSaysHowToResume) {
  const std::string out = temp_path("int.jsonl"), err = temp_path("int.err");
  fs::remove(out);
  const pid_t pid = start(sweep_args(out), err);
  ASSERT_TRUE(wait_for_lines(out, 2, 120s)) << slurp(err);
  ASSERT_LT(lines_of(out).size(), 12u) << "the sweep finished before it could be interrupted";
  ::kill(pid, SIGINT);  // the sweep only: it must stop its child itself
  EXPECT_EQ(wait_status(pid), 128 + SIGINT) << slurp(err);
  EXPECT_NE(slurp(err).find("--resume"), std::string::npos) << slurp(err);
  for (const auto& l : lines_of(out)) {
    const auto j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_TRUE(j.is_object()) << l;
    EXPECT_EQ(j["status"], "ok") << "the point in flight was recorded: " << l;
  }
  for (int i = 0; i < 100 && ::kill(-pid, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_NE(::kill(-pid, 0), 0) << "the sweep left its child running";
}

// Ctrl-C in a terminal signals the whole process group: the sweep and the
// run it is waiting for. The point in flight must not be recorded (not as
// a failure either), and no process of the group may be left behind.
TEST(Sweep, CtrlCToTheWholeGroupKeepsFinishedPointsOnlyAndLeavesNoProcess) {
  const std::string out = temp_path("ctrlc.jsonl"), err = temp_path("ctrlc.err");
  fs::remove(out);
  const pid_t pid = start(sweep_args(out), err);
  ASSERT_TRUE(wait_for_lines(out, 2, 120s)) << slurp(err);
  ASSERT_LT(lines_of(out).size(), 12u) << "the sweep finished before it could be interrupted";
  ::kill(-pid, SIGINT);
  EXPECT_EQ(wait_status(pid), 128 + SIGINT) << slurp(err);
  for (int i = 0; i < 100 && ::kill(-pid, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_NE(::kill(-pid, 0), 0) << "a process of the sweep's group is still running";
  for (const auto& l : lines_of(out)) {
    const auto j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_TRUE(j.is_object()) << l;
    EXPECT_EQ(j["status"], "ok") << "an interrupted point was recorded: " << l;
  }
}

TEST(Sweep, TruncatedLastLineIsReportedWithItsNumberAndSkipped) {
  const std::string out = temp_path("trunc.jsonl"), err = temp_path("trunc.err");
  fs::remove(out);
  {
    const pid_t pid = start({"sweep", "--configs", "gil", "--threads", "1", "--repeat", "2", "--n", "15", "--out", out},
                            err);
    ASSERT_EQ(wait_status(pid), 0) << slurp(err);
  }
  {
    std::ofstream f(out, std::ios::app);
    f << R"({"config":"gil","threads":1,"n":15,"rep)";  // a record cut short by a crash
  }
  const pid_t pid = start({"sweep", "--configs", "gil", "--threads", "1", "--repeat", "3", "--n", "15", "--out", out,
                           "--resume"},
                          err);
  ASSERT_EQ(wait_status(pid), 0) << slurp(err);
  EXPECT_NE(slurp(err).find(out + ":3: truncated last record; skipped"), std::string::npos) << slurp(err);
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 4u);  // 2 records, the damaged line, the resumed record on its own line
  EXPECT_TRUE(nlohmann::json::parse(lines[3], nullptr, false).is_object()) << lines[3];
}

TEST(Sweep, PointThatTimesOutIsRecordedAsFailedAndTheSweepGoesOn) {
  const std::string out = temp_path("timeout.jsonl"), err = temp_path("timeout.err");
  fs::remove(out);
  // fib(40) under atomic counting at 2 threads takes far longer than 0.2 s.
  const pid_t pid = start({"sweep", "--configs", "atomic", "--threads", "2", "--repeat", "2", "--n", "40",
                           "--timeout-s", "0.2", "--out", out},
                          err);
  EXPECT_EQ(wait_status(pid), 1) << slurp(err);  // 1: some points failed
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u) << "both points recorded";
  for (const auto& l : lines) {
    const auto j = nlohmann::json::parse(l);
    EXPECT_EQ(j["status"], "failed");
    EXPECT_EQ(j["failure"], "timed out (killed)");
    EXPECT_EQ(j["config"], "atomic");
  }
}

}  // namespace
