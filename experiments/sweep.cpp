#include "experiments/sweep.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
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
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "experiments/machine.h"
#include "experiments/records.h"
#include "experiments/registry.h"

extern char** environ;

namespace rclab::experiments {

namespace {

std::vector<std::string> runnable_configs(bool timeline_only) {
  std::vector<std::string> v;
  for (const auto& e : all_configs())
    if (e.refused.empty() && (!timeline_only || e.milestone || e.name == "gil")) v.emplace_back(e.name);
  return v;
}

// ---------------------------------------------------------------------------
// Stopping: SIGINT and SIGTERM set a flag; the sweep checks it between
// points and while waiting on a child, kills the child, keeps what is done.

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR so we notice at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// ---------------------------------------------------------------------------
// One child process: `rclab run ... --json`, its stdout and stderr captured.

struct Child {
  int wait_status = 0;
  bool timed_out = false;
  bool stopped = false;  // the sweep was interrupted while it ran
  std::string out, err;
};

Child run_child(const std::string& self, const std::vector<std::string>& args, double timeout_s) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(err));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(self.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  const int rc = posix_spawn(&pid, self.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot start " + self + ": " + std::strerror(rc));
  }

  Child c;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&c.out, &c.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (g_stop_signal.load() != 0) {
      c.stopped = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      c.timed_out = true;
      break;
    }
    const int ready = ::poll(fds, 2, int(std::min<long>(left.count(), 200)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;  // timeout or a signal: revents are stale, re-check the flag and the deadline
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, std::size_t(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (c.stopped || c.timed_out) ::kill(pid, SIGKILL);
  for (auto& p : fds)
    if (p.fd >= 0) ::close(p.fd);
  while (::waitpid(pid, &c.wait_status, 0) < 0 && errno == EINTR) {
  }
  // Ctrl-C reaches the whole process group: if the child died while we were
  // being interrupted, its point did not finish; it was not a failure.
  if (g_stop_signal.load() != 0 && !(WIFEXITED(c.wait_status) && WEXITSTATUS(c.wait_status) == 0)) c.stopped = true;
  return c;
}

std::string last_line(const std::string& s) {
  std::size_t end = s.find_last_not_of("\n ");
  if (end == std::string::npos) return {};
  std::size_t start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

std::string describe_status(const Child& c) {
  if (c.timed_out) return "timed out (killed)";
  if (WIFSIGNALED(c.wait_status)) {
    const int sig = WTERMSIG(c.wait_status);
    return std::string("killed by signal ") + std::to_string(sig) + " (" + sigabbrev_np(sig) + ")";
  }
  return "exit status " + std::to_string(WEXITSTATUS(c.wait_status));
}

std::string hms(double s) {
  const long t = long(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}

struct Point {
  std::string config;
  int threads;
  int n;
  int repeat;
  std::string key() const {
    return config + "|" + std::to_string(threads) + "|" + std::to_string(n) + "|" + std::to_string(repeat);
  }
};

std::string key_of(const nlohmann::json& r) {
  try {
    return r.at("config").get<std::string>() + "|" + std::to_string(r.at("threads").get<int>()) + "|" +
           std::to_string(r.at("n").get<int>()) + "|" + std::to_string(r.at("repeat").get<int>());
  } catch (const nlohmann::json::exception&) {
    return {};
  }
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> kPresets = {
      {"default", "every configuration at 1, 2 and 4 threads, 3 repeats, fib(30): about two minutes on 2 cores",
       [] { return runnable_configs(false); }, {1, 2, 4}, 3, 30, "results/latest/default.jsonl"},
      {"timeline", "the Gilectomy timeline configurations at 1, 2 and 4 threads, 5 repeats, fib(30)",
       [] { return runnable_configs(true); }, {1, 2, 4}, 5, 30, "results/latest/timeline.jsonl"},
  };
  return kPresets;
}

const Preset* find_preset(const std::string& name) {
  for (const auto& p : presets())
    if (name == p.name) return &p;
  return nullptr;
}

int run_sweep(const SweepSpec& spec, const std::string& self) {
  namespace fs = std::filesystem;
  std::set<std::string> done;
  const bool exists = fs::exists(spec.out) && fs::file_size(spec.out) > 0;
  if (exists && !spec.resume) {
    std::fprintf(stderr, "rclab: %s already has records; pass --resume to continue it, or choose another --out\n",
                 spec.out.c_str());
    return 2;
  }
  if (exists) {
    RecordFile f = read_records(spec.out);
    for (const auto& p : f.problems) std::fprintf(stderr, "rclab sweep: %s\n", p.c_str());
    for (const auto& r : f.records)
      if (r.value("status", "") == "ok") done.insert(key_of(r));
  }
  if (const fs::path dir = fs::path(spec.out).parent_path(); !dir.empty()) fs::create_directories(dir);

  std::vector<Point> todo;
  for (const auto& c : spec.configs)
    for (int t : spec.threads)
      for (int r = 1; r <= spec.repeat; ++r) {
        Point p{c, t, spec.n, r};
        if (!done.contains(p.key())) todo.push_back(p);
      }
  std::mt19937_64 rng(spec.seed);
  std::shuffle(todo.begin(), todo.end(), rng);

  const int total = int(todo.size()) + int(done.size());
  if (!done.empty())
    std::fprintf(stderr, "rclab sweep: resuming %s: %zu points already done, %zu to run\n", spec.out.c_str(),
                 done.size(), todo.size());
  RecordWriter writer(spec.out);
  install_stop_handlers();
  const bool tty = ::isatty(2);

  int finished = 0, failed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const Point& p : todo) {
    std::vector<std::string> args = {"run", "--config", p.config, "--threads", std::to_string(p.threads),
                                     "--n", std::to_string(p.n),   "--json"};
    if (spec.pin) args.push_back("--pin");
    if (spec.allow_long) args.push_back("--long");
    const Child c = run_child(self, args, spec.timeout_s);
    if (c.stopped) break;  // the point did not finish: it is not recorded

    nlohmann::json rec = nlohmann::json::parse(last_line(c.out), nullptr, false);
    const bool parsed = rec.is_object();
    const bool clean_exit = WIFEXITED(c.wait_status) && WEXITSTATUS(c.wait_status) == 0;
    if (!parsed) {
      rec = {{"config", p.config}, {"threads", p.threads}, {"n", p.n}};
      rec["machine"] = machine_info();
      rec["build"] = build_info();
      rec["time"] = utc_now();
    }
    rec["repeat"] = p.repeat;
    rec["seed"] = spec.seed;
    rec["preset"] = spec.preset;
    // ok only with a record to show for it: a clean exit without one would
    // otherwise be skipped by --resume forever with nothing measured.
    rec["status"] = clean_exit && !c.timed_out && parsed ? "ok" : "failed";
    if (rec["status"] == "failed") {
      ++failed;
      rec["failure"] = clean_exit && !c.timed_out && !parsed ? "no record on stdout" : describe_status(c);
      rec["stderr_tail"] = last_line(c.err);
    }
    writer.append(rec);
    ++finished;

    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double eta = elapsed / finished * double(todo.size() - std::size_t(finished));
    std::fprintf(stderr, "%ssweep: %d/%d points, %d failed, elapsed %s, ETA %s  (%s, %d threads, repeat %d%s)%s",
                 tty ? "\r\033[K" : "", int(done.size()) + finished, total, failed, hms(elapsed).c_str(),
                 hms(eta).c_str(), p.config.c_str(), p.threads, p.repeat,
                 rec["status"] == "failed" ? (": FAILED, " + rec["failure"].get<std::string>()).c_str() : "",
                 tty ? "" : "\n");
    std::fflush(stderr);
    if (g_stop_signal.load() != 0) break;
  }
  if (tty) std::fputc('\n', stderr);

  const int kept = int(done.size()) + finished;
  if (g_stop_signal.load() != 0) {
    std::fprintf(stderr, "rclab sweep: interrupted (%s); %d of %d points are in %s — rerun with --resume to finish\n",
                 sigabbrev_np(g_stop_signal.load()), kept, total, spec.out.c_str());
    return 128 + g_stop_signal.load();
  }
  std::fprintf(stderr, "rclab sweep: %d points in %s, %d failed\n", kept, spec.out.c_str(), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace rclab::experiments
