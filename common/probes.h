// USDT probes (provider `rclab`) for outside tools: perf, bpftrace, SystemTap.
//
// Each probe is a single `nop` plus a note in the ELF file when nobody is
// listening, so they stay compiled in, on the hot paths of locks too.
//   perf buildid-cache --add BIN && perf probe -x BIN sdt_rclab:gil_acquired
//   bpftrace -e 'usdt:BIN:rclab:gil_acquired { @[tid] = count(); }'
// Arguments are integers or pointers (the lock, the thread's state).
#pragma once

#include <sys/sdt.h>  // Debian: systemtap-sdt-dev (scripts/install-deps.sh)

#define RCLAB_PROBE1(name, a) DTRACE_PROBE1(rclab, name, a)
#define RCLAB_PROBE2(name, a, b) DTRACE_PROBE2(rclab, name, a, b)
