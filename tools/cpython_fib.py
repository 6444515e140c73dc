#!/usr/bin/python3
"""Hastings' benchmark on a real CPython: N threads, released together from a
barrier, each compute fib(n). Prints one JSON record with the fields of
`rclab run --json` that a real interpreter can report, so tools/summarize.py
(and later `rclab report`) can put CPython next to the model.

Usage: cpython_fib.py [--threads N] [--n K]      (run it with the CPython to measure)
"""
import argparse
import json
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    if not 1 <= args.threads <= 4096:
        ap.error("--threads must be in 1..4096")
    if not 0 <= args.n <= 40:
        ap.error("--n must be in 0..40")

    results = [None] * args.threads
    thread_cpu = [0.0] * args.threads
    start = threading.Barrier(args.threads + 1)

    def worker(i):
        start.wait()
        c0 = time.thread_time()
        results[i] = fib(args.n)
        thread_cpu[i] = time.thread_time() - c0

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.monotonic()
    start.wait()
    for t in threads:
        t.join()
    wall = time.monotonic() - w0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)

    expected = fib_value(args.n)
    user, sys_ = ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime
    rec = {
        "schema": 1,
        "config": "cpython-%d.%d" % sys.version_info[:2],
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "threads": args.threads,
        "n": args.n,
        "wall_s": wall,
        "cpu_s": user + sys_,
        "cpu_user_s": user,
        "cpu_sys_s": sys_,
        "thread_cpu_s": thread_cpu,
        "calls": args.threads * (2 * expected - 1),
        "result": results[0],
        "expected": expected,
        "result_ok": all(r == expected for r in results),
        "max_rss_kb": ru1.ru_maxrss,
    }
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
