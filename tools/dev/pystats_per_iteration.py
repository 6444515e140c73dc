#!/usr/bin/env python3
"""Reference counts per loop iteration of a workload on a real CPython built
with --enable-pystats: what the py313 generation's exact counts are checked
against (docs/design.md §5b and §12b).

Runs itself under that CPython (--python), loads the workload file as the
peer runner does (tools/peer/peer_fib.py's load_workload: through marshal, in
a module listed in sys.modules), warms work() up so that the specialiser has
settled, then counts work(N1) and work(N2) with sys._stats_on/_stats_off and
prints (count(N2) - count(N1)) / (N2 - N1) for increfs and decrefs. Py_STATS
counts only the operations on mortal objects, in two groups (the eval loop's
"interpreter" ones and the rest): the figure is their sum.

    tools/dev/pystats_per_iteration.py --python PYSTATS_PYTHON workloads/ftscalingbench/*.py

The model's side of the comparison: a build with RCLAB_COUNT_IMMORTAL
defined (runtime/object_ops.h) counts the operations on immortal objects
in every configuration, so a run record's increfs - immortal_increfs (and
decrefs - immortal_decrefs) over `rclab run --config py313 --threads 1
--n N` for two N are the same figures:

    cmake -S . -B /tmp/build-count -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS=-DRCLAB_COUNT_IMMORTAL && cmake --build /tmp/build-count --target rclab
"""

import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def measure(path, n1, n2, warm):
    """Runs inside the pystats CPython: {'increfs': x, 'decrefs': y} per iteration."""
    sys.path.insert(0, os.path.join(ROOT, "tools", "peer"))
    import peer_fib
    module, _, _, _ = peer_fib.load_workload(path)
    work = module["work"]

    def counts(n):
        for f in glob.glob("/tmp/py_stats/*"):
            os.remove(f)
        sys._stats_clear()
        sys._stats_on()
        work(n)
        sys._stats_off()
        sys._stats_dump()  # to /tmp/py_stats/, one file
        files = glob.glob("/tmp/py_stats/*")
        if len(files) != 1:
            raise SystemExit("pystats_per_iteration: expected one file in /tmp/py_stats, found %d" % len(files))
        totals = {"increfs": 0, "decrefs": 0}
        with open(files[0]) as f:
            for line in f:
                if line.startswith("Object ") and ":" in line:
                    key, value = line.rsplit(":", 1)
                    for kind in totals:
                        if key.endswith(kind):  # "Object increfs", "Object interpreter increfs"
                            totals[kind] += int(value)
        return totals

    os.makedirs("/tmp/py_stats", exist_ok=True)
    work(warm)
    a, b = counts(n1), counts(n2)
    return {k: (b[k] - a[k]) / float(n2 - n1) for k in a}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", required=True, help="a CPython 3.12+ configured with --enable-pystats")
    p.add_argument("--ns", default="2000,4000", help="N1,N2 (default 2000,4000)")
    p.add_argument("--warm", type=int, default=5000, help="work(WARM) first, uncounted (default 5000)")
    p.add_argument("--json", action="store_true", help="one JSON object per workload")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    try:
        n1, n2 = (int(x) for x in a.ns.split(","))
    except ValueError:
        p.error("--ns: two whole numbers, N1,N2")
    if not 0 <= n1 < n2:
        p.error("--ns: N1 < N2")
    if a.inside:
        print(json.dumps(measure(a.files[0], n1, n2, a.warm)))
        return 0
    for path in a.files:
        if not os.path.isfile(path):
            p.error("%s: no such file" % path)
    for path in a.files:
        r = subprocess.run([a.python, os.path.abspath(__file__), "--inside", "--python", a.python, "--ns", a.ns,
                            "--warm", str(a.warm), path], capture_output=True, text=True)
        if r.returncode != 0:
            err = r.stderr.strip().splitlines()
            print("pystats_per_iteration: %s: %s" % (path, err[-1] if err else "failed"), file=sys.stderr)
            return 2
        figures = json.loads(r.stdout)
        name = os.path.splitext(os.path.basename(path))[0]
        if a.json:
            print(json.dumps(dict(workload=name, **figures)))
        else:
            print("%-24s %6.2f increfs %6.2f decrefs per iteration" % (name, figures["increfs"], figures["decrefs"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
