#include "common/perf_counters.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace rclab {

namespace {

struct Event {
  std::uint32_t type;
  std::uint64_t config;
};

// In kCounters' order.
constexpr std::array<Event, kCounters.size()> kEvents = {{
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
}};

int perf_event_open(perf_event_attr* attr) {
  return int(::syscall(SYS_perf_event_open, attr, /*pid=*/0, /*cpu=*/-1, /*group_fd=*/-1, PERF_FLAG_FD_CLOEXEC));
}

std::string paranoid_level() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string v;
  return in >> v ? v : "unknown";
}

// errno of a failed open, in words a reader can act on.
std::string why_not(int err, bool hardware) {
  std::string s = std::string(strerrordesc_np(err)) + " (" + strerrorname_np(err) + ")";
  if ((err == ENOENT || err == EOPNOTSUPP || err == ENODEV) && hardware)
    s += ": the kernel has no such hardware event here (no PMU exposed, as in many VMs)";
  else if (err == EACCES || err == EPERM)
    s += ": kernel.perf_event_paranoid is " + paranoid_level();
  else if (err == ENOSYS)
    s += ": perf_event_open is not available (seccomp or an old kernel)";
  return s;
}

}  // namespace

ThreadCounters::~ThreadCounters() {
  for (int& fd : fd_)
    if (fd >= 0) ::close(fd);
}

void ThreadCounters::open() {
  for (std::size_t i = 0; i < kCounters.size(); ++i) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = kEvents[i].type;
    attr.config = kEvents[i].config;
    attr.disabled = 1;
    attr.exclude_hv = 1;
    // Hardware counts: user code only, which perf_event_paranoid 2 allows and
    // which is the work. Software events happen in the kernel (a switch, a
    // fault), so they are counted there.
    attr.exclude_kernel = kCounters[i].hardware ? 1 : 0;
    fd_[i] = perf_event_open(&attr);
    if (fd_[i] < 0) why_[i] = why_not(errno, kCounters[i].hardware);
  }
}

void ThreadCounters::start() {
  for (int fd : fd_)
    if (fd >= 0) ::ioctl(fd, PERF_EVENT_IOC_RESET, 0), ::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
}

void ThreadCounters::stop() {
  for (int fd : fd_)
    if (fd >= 0) ::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
}

CounterValues ThreadCounters::read() const {
  CounterValues v;
  for (std::size_t i = 0; i < kCounters.size(); ++i) {
    std::uint64_t value = 0;
    if (fd_[i] >= 0 && ::read(fd_[i], &value, sizeof value) == ssize_t(sizeof value)) v[i] = value;
  }
  return v;
}

}  // namespace rclab
