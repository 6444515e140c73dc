# -*- coding: utf-8 -*-
"""Hastings' fib benchmark on a real interpreter, as one rclab schema-2 record.

    <python> tools/peer/peer_fib.py --name NAME --threads N --n K [--base BASE] [--family peers] [--long]
    <python> tools/peer/peer_fib.py --name NAME --threads N --workload workloads/X.py [--n K] ...

Run it with the interpreter to measure (CPython 2.7, 3.6, nogil-3.9, 3.9+,
the Gilectomy). N threads start, wait at a barrier, and each computes
fib(n) with `if n < 2: return 1; return fib(n-1) + fib(n-2)`. Wall time
(the best monotonic clock there is, named in `wall_clock`) and process CPU
(getrusage RUSAGE_SELF) are measured around the threads; per-thread CPU
comes from clock_gettime(CLOCK_THREAD_CPUTIME_ID) where the interpreter has
it (3.3+; empty on 2.7). Every thread's result is checked against fib(n)
computed iteratively.

With --workload FILE (one of workloads/*.py, see workloads/README.md) each
thread calls the module's work(n) instead, and every result is checked
against its expect(n), computed once before the threads start. The source
is compiled, passed through marshal as an import from a .pyc would be, and
executed once, on the main thread, in the dict of a fresh module object
named "workload" (a module's own dict, as an imported module's code runs
in: 3.13t defers a module dict's count and makes it immortal when a second
thread starts, so a function made per iteration does not contend on its
globals; a plain dict would), holding the host's names: `Queue` (_queue.SimpleQueue where it
exists, 3.7+; else queue.Queue, or Queue.Queue on 2.7) and, on Python 2,
`range` = xrange. --n defaults to the module's N and may go up to 10**9
(an iteration count there), except for workloads/fib.py, where n is fib's
argument with fib's limits. The record gains
"workload" (the file's stem), "workload_source_sha256" and "workload_queue";
"calls" is threads * n (work's iterations), except for workloads/fib.py,
where it is fib's call count as without --workload. Without --workload the
record says "workload": "fib".

Prints exactly one JSON line on stdout: an rclab schema-2 record of kind
"peer". Exit status: 0 ok; 1 the run went wrong (a wrong
result or an exception in a thread: the record says result_ok false);
2 bad arguments (one line on stderr, no record).

This file must run unchanged on Python 2.7 and 3.6: no f-strings, no
time.thread_time, no threading.Barrier.

For tests only: RCLAB_PEER_TEST_FAULT=kill|hang|raise|wrong makes the run
kill itself with SIGKILL after the barrier, block forever after the barrier,
raise in every thread, or return a wrong result from one thread.
"""
from __future__ import division, print_function

import argparse
import hashlib
import json
import marshal
import os
import platform
import resource
import signal
import sys
import types
import threading
import time

MAX_N = 40        # beyond this, only with --long (fib(40) is minutes on 2.7)
MAX_LONG_N = 60
MAX_WORKLOAD_N = 10 ** 9  # --workload: n is an iteration count
try:
    INTS = (int, long)  # noqa: F821 (Python 2: a big int is a long)
except NameError:
    INTS = (int,)
MAX_THREADS = 4096
TEST_FAULT = os.environ.get("RCLAB_PEER_TEST_FAULT", "")


def fib(n):
    if n < 2: return 1
    return fib(n-1) + fib(n-2)


def fib_value(n):
    a, b = 1, 1
    for _ in range(1, n):
        a, b = b, a + b
    return b


# ---- clocks -----------------------------------------------------------------

def _ctypes_clock(clock_id):
    """clock_gettime through libc (Python 2.7 has no time.monotonic)."""
    try:
        import ctypes
        import ctypes.util

        class timespec(ctypes.Structure):
            _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        gettime = libc.clock_gettime
        gettime.argtypes = [ctypes.c_int, ctypes.POINTER(timespec)]
        gettime.restype = ctypes.c_int
        ts = timespec()

        def clock():
            if gettime(clock_id, ctypes.byref(ts)) != 0:
                raise OSError(ctypes.get_errno(), "clock_gettime")
            return ts.tv_sec + ts.tv_nsec * 1e-9
        clock()
        return clock
    except Exception:
        return None


def wall_clock():
    """(function, name) of the best monotonic clock available."""
    if hasattr(time, "monotonic"):
        return time.monotonic, "time.monotonic"
    clock = _ctypes_clock(1)  # CLOCK_MONOTONIC on Linux
    if clock is not None:
        return clock, "clock_gettime(CLOCK_MONOTONIC) via ctypes"
    return time.time, "time.time (not monotonic)"


def thread_cpu_clock():
    if hasattr(time, "clock_gettime") and hasattr(time, "CLOCK_THREAD_CPUTIME_ID"):
        cid = time.CLOCK_THREAD_CPUTIME_ID
        return lambda: time.clock_gettime(cid)
    return None


# ---- a barrier for 2.7 (threading.Barrier is 3.2+) --------------------------

class StartBarrier(object):
    """Releases everyone once `parties` threads have called wait(); abort()
    releases the waiters with False (a thread failed to start)."""

    def __init__(self, parties):
        self.parties = parties
        self.count = 0
        self.aborted = False
        self.cond = threading.Condition(threading.Lock())

    def wait(self):
        with self.cond:
            self.count += 1
            if self.count >= self.parties:
                self.cond.notify_all()
            while self.count < self.parties and not self.aborted:
                # untimed: on 2.7 a timed wait polls with sleeps of up to
                # 50 ms, which would land in the measured wall time
                self.cond.wait()
            return not self.aborted

    def abort(self):
        with self.cond:
            self.aborted = True
            self.cond.notify_all()


# ---- what the interpreter is --------------------------------------------------

def config_var(name):
    value = None
    try:
        import sysconfig
        value = sysconfig.get_config_var(name)
    except Exception:
        value = None
    if value is None:
        try:
            from distutils import sysconfig as dsc
            value = dsc.get_config_var(name)
        except Exception:
            value = None
    return "" if value is None else str(value)


def python_images():
    """The executable and any libpython it has mapped (--enable-shared)."""
    paths = [os.path.realpath(sys.executable)] if sys.executable else []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if "libpython" in os.path.basename(path) and path not in paths:
                    paths.append(path)
    except (IOError, OSError):
        pass
    return paths


def file_contains(path, needle, chunk=1 << 20):
    try:
        with open(path, "rb") as f:
            tail = b""
            while True:
                block = f.read(chunk)
                if not block:
                    return False
                if needle in tail + block:
                    return True
                tail = block[-len(needle):]
    except (IOError, OSError):
        return False


def is_gilectomy():
    """The Gilectomy keeps sys.version and sysconfig of its 3.6 fork point;
    what gives it away is the lock and refcount code it exports
    (Objects/refcount.c). Looked up in the binary's bytes, not through
    ctypes: `import ctypes` crashes these 2016 builds."""
    if tuple(sys.version_info[:2]) != (3, 6):  # its fork point: skip reading other binaries
        return False
    return any(file_contains(p, b"py_time_refcounts_stats") and file_contains(p, b"py_recursivelock_stats")
               for p in python_images())


def variant_and_gil():
    """(variant, gil_mode): what kind of interpreter this is, and whether its
    GIL serialises the threads of this run, from the interpreter itself."""
    impl = getattr(sys, "implementation", None)
    impl_name = getattr(impl, "name", "") if impl is not None else ""
    flags = sys.flags
    if impl_name == "nogil" or hasattr(flags, "nogil"):
        # colesbury/nogil: sys.flags.nogil is the preconfig's disable_gil
        # (-X nogil, PYTHONGIL=0, or the default), which enables the GIL or not.
        return "nogil", ("off" if flags.nogil else "on")
    if hasattr(sys, "_is_gil_enabled"):
        # 3.13+: the GIL's real state (a free-threaded build may re-enable it)
        free = config_var("Py_GIL_DISABLED") in ("1", "True")
        return ("free-threaded" if free else ""), ("on" if sys._is_gil_enabled() else "off")
    if is_gilectomy():
        # larryhastings/gilectomy: the GIL is created and taken once and
        # never released or waited for, so threads run together.
        return "gilectomy", "off"
    if platform.python_implementation() == "CPython":
        return "", "on"
    return "", "n/a"


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except (IOError, OSError):
        pass
    try:
        cores = os.cpu_count()
    except AttributeError:
        import multiprocessing
        cores = multiprocessing.cpu_count()
    u = os.uname()
    return {"cpu_model": model, "cores": cores, "kernel": "%s %s" % (u[0], u[2]), "arch": u[4]}


def build_info():
    executable = os.path.realpath(sys.executable) if sys.executable else ""
    cflags = config_var("CFLAGS")
    config_args = config_var("CONFIG_ARGS")
    key = "\0".join([executable, sys.version, cflags, config_args])
    bid = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return {"id": bid, "executable": executable, "version": sys.version,
            "cflags": cflags, "config_args": config_args}


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---- the run --------------------------------------------------------------------

def run(threads, n, work=None, expected=None, calls=None):
    """Runs `work(n)` (default fib) on `threads` threads at once; each
    result must equal `expected` (default fib_value(n))."""
    if work is None:
        work, expected = fib, fib_value(n)
    results = [None] * threads
    errors = [None] * threads
    thread_cpu = [0.0] * threads
    cpu_clock = thread_cpu_clock()
    start = StartBarrier(threads + 1)

    def worker(i):
        # The thread's own n, made by the thread, as rclab's model makes it
        # (int_from on the worker's thread state): one int object shared by
        # every worker would be counted by all of them whenever a loop reads
        # n (object_lookup_special's i / n), contention the model does not
        # have. A small int is the cached one in both.
        own_n = int(str(n))
        if not start.wait():
            return
        try:
            c0 = cpu_clock() if cpu_clock else 0.0
            if TEST_FAULT == "raise":
                raise RuntimeError("RCLAB_PEER_TEST_FAULT=raise")
            r = work(own_n)
            if TEST_FAULT == "wrong" and i == threads - 1:
                r += 1
            results[i] = r
            if cpu_clock:
                thread_cpu[i] = cpu_clock() - c0
        except BaseException as e:  # recorded: the run fails, never an ok record
            errors[i] = "%s: %s" % (type(e).__name__, e)

    clock, clock_name = wall_clock()
    workers = []
    started = True
    try:
        for i in range(threads):
            t = threading.Thread(target=worker, args=(i,))
            t.daemon = True
            t.start()
            workers.append(t)
    except Exception as e:
        started = False
        start.abort()
        for t in workers:
            t.join()
        for i in range(threads):
            errors[i] = errors[i] or "thread %d not started: %s: %s" % (len(workers), type(e).__name__, e)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = clock()
    if started:
        start.wait()
        if TEST_FAULT == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if TEST_FAULT == "hang":
            while True:
                time.sleep(3600)
        for t in workers:
            t.join()  # untimed, as the barrier: 2.7's timed joins poll
    wall = clock() - w0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)

    user = max(0.0, ru1.ru_utime - ru0.ru_utime)
    sys_ = max(0.0, ru1.ru_stime - ru0.ru_stime)
    result_ok = all(e is None for e in errors) and all(r == expected for r in results)
    wrong = [r for r in results if r != expected and r is not None]
    result = wrong[0] if wrong else (expected if all(r is not None for r in results) else -1)
    return {
        "wall_s": max(0.0, wall),
        "wall_clock": clock_name,
        "cpu_s": user + sys_,
        "cpu_user_s": user,
        "cpu_sys_s": sys_,
        "thread_cpu_s": thread_cpu if cpu_clock else [],
        "helper_cpu_s": 0.0,
        "calls": threads * (2 * expected - 1) if calls is None else calls,
        "result": result,
        "expected": expected,
        "result_ok": result_ok,
        "thread_errors": [e for e in errors if e is not None],
        "max_rss_kb": ru1.ru_maxrss,
    }


class ArgumentError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ArgumentError(message)


def parse_args(argv):
    ap = Parser(prog="peer_fib.py", description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True, help="the peer's name (the record's config)")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--n", type=int, default=None,
                    help="fib's argument; with --workload, work's (default: the module's N)")
    ap.add_argument("--workload", default=None, help="a workloads/*.py file: run its work(n) instead of fib")
    ap.add_argument("--base", default="", help="the peer this one differs from (the record's baseline)")
    ap.add_argument("--family", default="peers")
    ap.add_argument("--long", action="store_true", help="allow n up to %d" % MAX_LONG_N)
    args = ap.parse_args(argv)
    if not args.name.strip():
        raise ArgumentError("--name must not be empty")
    if not args.family.strip():
        raise ArgumentError("--family must not be empty")
    if not 1 <= args.threads <= MAX_THREADS:
        raise ArgumentError("--threads must be in 1..%d, got %d" % (MAX_THREADS, args.threads))
    if args.workload is not None:
        if not args.workload.strip():
            raise ArgumentError("--workload must not be empty")
        if args.n is not None and not 0 <= args.n <= MAX_WORKLOAD_N:
            raise ArgumentError("--n must be in 0..%d with --workload, got %d" % (MAX_WORKLOAD_N, args.n))
        return args
    if args.n is None:
        raise ArgumentError("the following arguments are required: --n")
    limit = MAX_LONG_N if args.long else MAX_N
    if not 0 <= args.n <= limit:
        raise ArgumentError("--n must be in 0..%d%s, got %d"
                            % (limit, "" if args.long else " (more with --long)", args.n))
    return args


# ---- workloads ------------------------------------------------------------------

def host_queue():
    """(class, name) of the thread-safe FIFO given to workloads as `Queue`."""
    try:
        from _queue import SimpleQueue
        return SimpleQueue, "_queue.SimpleQueue"
    except ImportError:
        pass
    try:
        import queue
        return queue.Queue, "queue.Queue"
    except ImportError:
        import Queue
        return Queue.Queue, "Queue.Queue"


_MODULES = []


def load_workload(path):
    """Executes a workload's source in a fresh module dict with the host's
    names; returns (module dict, name, source sha256, queue name). Raises
    ArgumentError (exit 2) for a file that cannot be read or run, or lacks
    N, work or expect."""
    try:
        with open(path, "rb") as f:
            src = f.read()
    except (IOError, OSError) as e:
        raise ArgumentError("--workload %s: %s" % (path, e.strerror or e))
    name = os.path.splitext(os.path.basename(path))[0]
    queue_class, queue_name = host_queue()
    try:
        import builtins
    except ImportError:
        import __builtin__ as builtins
    # The module object stays alive for the process (_MODULES): Python 2's
    # module_dealloc would set every value of its dict to None.
    module_object = types.ModuleType("workload")
    _MODULES.append(module_object)
    # In sys.modules, as an imported module is and as rclab's runtime lists
    # its own (runtime/modules.h): sys.modules[__name__] finds it.
    sys.modules["workload"] = module_object
    module = module_object.__dict__
    module["__builtins__"] = builtins
    module["Queue"] = queue_class
    if sys.version_info[0] == 2:
        module["range"] = xrange  # noqa: F821 (Python 2 only): a loop must not build a list
    try:
        # dont_inherit: this file's __future__ imports (division) must not leak in
        code = compile(src, path, "exec", 0, True)
        # Through marshal, as an import from a .pyc loads it and as rclab's
        # model loads workloads/compiled/: on 3.12+ marshal interns the
        # constant strings, which makes them immortal, while compile()'s
        # stay mortal and are counted on every LOAD_CONST (dict_read's work
        # and expect: 40 increfs per iteration from compile(), 28 through
        # marshal, on a 3.13.15 --enable-pystats build). Before 3.12 no
        # object is immortal and the round trip changes no count.
        code = marshal.loads(marshal.dumps(code))
        exec(code, module)
    except Exception as e:
        raise ArgumentError("--workload %s: %s: %s" % (path, type(e).__name__, str(e).replace("\n", " ")))
    for attr in ("work", "expect"):
        if not callable(module.get(attr)):
            raise ArgumentError("--workload %s: defines no %s(n)" % (path, attr))
    n = module.get("N")
    if not isinstance(n, INTS) or isinstance(n, bool) or not 0 <= n <= MAX_WORKLOAD_N:
        raise ArgumentError("--workload %s: N must be an int in 0..%d" % (path, MAX_WORKLOAD_N))
    return module, name, hashlib.sha256(src).hexdigest(), queue_name


def main(argv):
    try:
        args = parse_args(argv)
        workload = load_workload(args.workload) if args.workload else None
        if workload is not None:
            module = workload[0]
            if args.n is None:
                args.n = module["N"]
            if workload[1] == "fib":  # n is fib's argument there: fib's limits
                limit = MAX_LONG_N if args.long else MAX_N
                if not 0 <= args.n <= limit:
                    raise ArgumentError("--n must be in 0..%d for the fib workload%s, got %d"
                                        % (limit, "" if args.long else " (more with --long)", args.n))
            expected = module["expect"](args.n)
            if not isinstance(expected, INTS) or isinstance(expected, bool):
                raise ArgumentError("--workload %s: expect(%d) returned %r, not an int"
                                    % (args.workload, args.n, expected))
    except ArgumentError as e:
        sys.stderr.write("peer_fib.py: %s\n" % str(e).replace("\n", " "))
        return 2
    variant, gil_mode = variant_and_gil()
    if workload is None:
        measured = run(args.threads, args.n)
    else:
        module, wname = workload[0], workload[1]
        calls = args.threads * (2 * expected - 1) if wname == "fib" else args.threads * args.n
        measured = run(args.threads, args.n, module["work"], expected, calls)
    rec = {
        "schema": 2,
        "kind": "peer",
        "config": args.name,
        "family": args.family,
        "baseline": args.base,
        "policies": {},
        "settings": {"pin": False, "gil_mode": gil_mode},
        "threads": args.threads,
        "n": args.n,
        "peer": {"name": args.name, "executable": sys.executable, "version": sys.version,
                 "implementation": platform.python_implementation(), "variant": variant,
                 "gil_mode": gil_mode},
        "build": build_info(),
        "machine": machine_info(),
        "counters": {"available": False, "reason": "not measured for peers"},
        "time": utc_now(),
    }
    rec.update(measured)
    if workload is None:
        rec["workload"] = "fib"
    else:
        rec.update({"workload": workload[1], "workload_source_sha256": workload[2],
                    "workload_queue": workload[3]})
    sys.stdout.write(json.dumps(rec, sort_keys=True) + "\n")
    sys.stdout.flush()
    return 0 if rec["result_ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
