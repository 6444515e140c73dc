// Child processes of rclab, and stopping: `rclab sweep` runs every run as
// a child (`rclab run --json`, a peer's interpreter, the ceiling), and
// `--workload PATH.py` runs tools/compile_workloads.py under a real CPython.
// SIGINT and SIGTERM, once install_stop_handlers() ran, set a flag that
// run_child polls: the child is killed and the caller keeps what is done.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rclab::experiments {

struct Child {
  int wait_status = 0;
  bool timed_out = false;
  bool stopped = false;  // interrupted (SIGINT/SIGTERM) while it ran
  bool started = true;   // false: the executable could not be started at all
  double cpu_s = 0;      // the child's own CPU (wait4's rusage)
  std::string out, err;
};

// Runs `exe args...` with `env` added to this process's environment,
// capturing stdout and stderr; kills it at the timeout or on SIGINT/SIGTERM.
Child run_child(const std::string& exe, const std::vector<std::string>& args, double timeout_s,
                const std::vector<std::pair<std::string, std::string>>& env = {});

// SIGINT and SIGTERM set the flag stop_signal() reads (no SA_RESTART).
void install_stop_handlers();
// The signal that asked this process to stop, or 0.
int stop_signal();

// The Python that runs rclab's tools (report.py, compile_workloads.py):
// $RCLAB_PYTHON, else Debian's /usr/bin/python3.
std::string tools_python();

// The last non-blank line of `s`.
std::string last_line(const std::string& s);
// "exit status 3", "killed by signal 9 (KILL)", "timed out (killed)", ...
std::string describe_status(const Child& c);

}  // namespace rclab::experiments
