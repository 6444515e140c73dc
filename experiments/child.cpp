#include "experiments/child.h"

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
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace rclab::experiments {

namespace {

// ---------------------------------------------------------------------------
// Stopping: SIGINT and SIGTERM set a flag; the sweep checks it between
// points and while waiting on a child, kills the child, keeps what is done.

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

}  // namespace

int stop_signal() { return g_stop_signal.load(); }

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

Child run_child(const std::string& exe, const std::vector<std::string>& args, double timeout_s,
                const std::vector<std::pair<std::string, std::string>>& env) {
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
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The environment: ours, with the additions replacing same-named entries.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : env) replaced = replaced || k == name;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Child c;
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    c.started = false;
    c.err = "cannot start " + exe + ": " + std::strerror(rc);
    return c;
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&c.out, &c.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (stop_signal() != 0) {
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
  rusage ru{};
  while (::wait4(pid, &c.wait_status, 0, &ru) < 0 && errno == EINTR) {
  }
  c.cpu_s = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  // Ctrl-C reaches the whole process group: if the child died while we were
  // being interrupted, its point did not finish; it was not a failure.
  if (stop_signal() != 0 && !(WIFEXITED(c.wait_status) && WEXITSTATUS(c.wait_status) == 0)) c.stopped = true;
  return c;
}

std::string tools_python() {
  const char* python = std::getenv("RCLAB_PYTHON");
  return python != nullptr ? python : "/usr/bin/python3";
}

std::string last_line(const std::string& s) {
  std::size_t end = s.find_last_not_of("\n ");
  if (end == std::string::npos) return {};
  std::size_t start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

std::string describe_status(const Child& c) {
  if (!c.started) return c.err;
  if (c.timed_out) return "timed out (killed)";
  if (WIFSIGNALED(c.wait_status)) {
    const int sig = WTERMSIG(c.wait_status);
    return std::string("killed by signal ") + std::to_string(sig) + " (" + sigabbrev_np(sig) + ")";
  }
  return "exit status " + std::to_string(WEXITSTATUS(c.wait_status));
}

}  // namespace rclab::experiments
