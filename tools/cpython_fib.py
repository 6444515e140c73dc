#!/usr/bin/python3
"""Hastings' benchmark on a real CPython: N threads, released together from a
barrier, each compute fib(n). Prints one JSON record with the fields of
`rclab run --json` that a real interpreter can report, so `rclab report`
and `rclab compare` can put CPython next to the model.

Usage: cpython_fib.py [--threads N] [--n K] [--repeat R]   (run it with the CPython to measure)

With --repeat, prints R records (repeat 1..R, status ok), each from a fresh
set of threads, ready to append to a sweep's file.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import sys
import threading
import time


def fib(n):
    if n < 2: return 1
    return fib(n-1) + fib(n-2)


def fib_value(n):
    a, b = 1, 1
    for _ in range(1, n):
        a, b = b, a + b
    return b


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu_model": model, "cores": os.cpu_count(), "kernel": f"{platform.system()} {platform.release()}",
            "arch": platform.machine()}


def run_once(threads, n):
    results = [None] * threads
    thread_cpu = [0.0] * threads
    start = threading.Barrier(threads + 1)

    def worker(i):
        start.wait()
        c0 = time.thread_time()
        results[i] = fib(n)
        thread_cpu[i] = time.thread_time() - c0

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.monotonic()
    start.wait()
    for t in workers:
        t.join()
    wall = time.monotonic() - w0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)

    expected = fib_value(n)
    user, sys_ = ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime
    rec = {
        "schema": 1,
        "config": "cpython-%d.%d" % sys.version_info[:2],
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "threads": threads,
        "n": n,
        "wall_s": wall,
        "cpu_s": user + sys_,
        "cpu_user_s": user,
        "cpu_sys_s": sys_,
        "thread_cpu_s": thread_cpu,
        "calls": threads * (2 * expected - 1),
        "result": results[0],
        "expected": expected,
        "result_ok": all(r == expected for r in results),
        "max_rss_kb": ru1.ru_maxrss,
        "machine": machine_info(),
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=0)
    args = ap.parse_args()
    if not 1 <= args.threads <= 4096:
        ap.error("--threads must be in 1..4096")
    if not 0 <= args.n <= 40:
        ap.error("--n must be in 0..40")
    if not 0 <= args.repeat <= 1000:
        ap.error("--repeat must be in 0..1000")
    for i in range(max(1, args.repeat)):
        rec = run_once(args.threads, args.n)
        if args.repeat:
            rec["repeat"] = i + 1
            rec["status"] = "ok" if rec["result_ok"] else "failed"
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
