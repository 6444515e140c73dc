#include "common/perf_counters.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rclab {

namespace {

struct CounterSpec {
  const char* name;
  std::uint32_t type;
  std::uint64_t config;
};

constexpr CounterSpec kSpecs[] = {
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    // A software counter: available even where the VM has no PMU.
    {"context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
};

int perf_event_open(perf_event_attr* attr) {
  return int(::syscall(SYS_perf_event_open, attr, /*pid=*/0, /*cpu=*/-1, /*group_fd=*/-1, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

ThreadCounters::~ThreadCounters() {
  for (int& fd : fd_)
    if (fd >= 0) ::close(fd);
}

void ThreadCounters::open() {
  for (int i = 0; i < kCount; ++i) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = kSpecs[i].type;
    attr.config = kSpecs[i].config;
    attr.disabled = 1;
    attr.exclude_kernel = 1;  // allowed at perf_event_paranoid 2, and the work is user code
    attr.exclude_hv = 1;
    if (kSpecs[i].type == PERF_TYPE_SOFTWARE) attr.exclude_kernel = 0;  // switches happen in the kernel
    fd_[i] = perf_event_open(&attr);
    if (fd_[i] < 0) {
      if (!why_.empty()) why_ += "; ";
      why_ += std::string(kSpecs[i].name) + ": " + std::strerror(errno);
    }
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
  std::optional<std::uint64_t>* slots[kCount] = {&v.instructions, &v.cycles, &v.cache_misses, &v.context_switches};
  for (int i = 0; i < kCount; ++i) {
    std::uint64_t value = 0;
    if (fd_[i] >= 0 && ::read(fd_[i], &value, sizeof value) == ssize_t(sizeof value)) *slots[i] = value;
  }
  return v;
}

}  // namespace rclab
