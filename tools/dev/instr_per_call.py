#!/usr/bin/python3
"""Instructions per fib call, counted by callgrind, for rclab's model and for
a real interpreter, measured the same way: the instructions of a run of
fib(N) minus those of a run of fib(0), divided by the N-run's extra calls
(2*fib(N) - 2). Start-up, set-up and teardown cancel out; what remains is
the call path. Hardware counters are not on every machine; callgrind is.

  instr_per_call.py --rclab BUILD/experiments/rclab --config gil [--n 20]
  instr_per_call.py --python /path/to/python [--n 20]

Prints one line: `<what> <instructions per call>` (and --json a record of
both runs' totals). Exit 2 on bad arguments or a missing valgrind.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The benchmark as the peers run it (tools/peer/peer_fib.py), called from a
# function as real programs do; runs unchanged on Python 2 and 3.
FIB_SOURCE = """import sys
def fib(n):
    if n < 2: return 1
    return fib(n-1) + fib(n-2)
def main():
    fib(int(sys.argv[1]))
main()
"""


def fib_value(n):
    a, b = 1, 1
    for _ in range(n - 1):
        a, b = b, a + b
    return b if n >= 1 else 1


def calls(n):
    return 2 * fib_value(n) - 1


def callgrind_total(cmd, env=None):
    """Total instructions (Ir) of one run under callgrind."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        if p.returncode != 0:
            raise RuntimeError("run failed (%d): %s" % (p.returncode, " ".join(cmd)))
        with open(out) as f:
            for line in f:
                m = re.match(r"^(?:summary|totals):\s+(\d+)", line)
                if m:
                    return int(m.group(1))
    raise RuntimeError("callgrind wrote no totals for: " + " ".join(cmd))


def measure(cmd_for_n, n, env=None):
    big = callgrind_total(cmd_for_n(n), env)
    small = callgrind_total(cmd_for_n(0), env)
    return {"n": n, "instructions_n": big, "instructions_0": small,
            "calls": calls(n) - calls(0), "per_call": (big - small) / float(calls(n) - calls(0))}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--rclab", help="the rclab binary (with --config)")
    what.add_argument("--python", help="a real interpreter")
    ap.add_argument("--config", help="rclab configuration (with --rclab)")
    ap.add_argument("--n", type=int, default=20, help="fib(N) against fib(0) (default 20)")
    ap.add_argument("--json", action="store_true", help="print a JSON object instead of one line")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if shutil.which("valgrind") is None:
        print("instr_per_call: valgrind is not installed (scripts/install-deps.sh installs it)", file=sys.stderr)
        return 2
    if not 2 <= a.n <= 25:
        print("instr_per_call: --n must be in 2..25 (callgrind is ~50x slower than native)", file=sys.stderr)
        return 2
    if a.rclab:
        if not a.config:
            print("instr_per_call: --rclab needs --config", file=sys.stderr)
            return 2
        if not os.access(a.rclab, os.X_OK):
            print("instr_per_call: %s: not an executable" % a.rclab, file=sys.stderr)
            return 2
        label = a.config
        cmd = lambda n: [a.rclab, "run", "--config", a.config, "--threads", "1", "--n", str(n)]
        env = None
    else:
        if not os.access(a.python, os.X_OK):
            print("instr_per_call: %s: not an executable" % a.python, file=sys.stderr)
            return 2
        label = a.python
        src = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
        src.write(FIB_SOURCE)
        src.close()
        cmd = lambda n: [a.python, "-S", src.name, str(n)]
        env = dict(os.environ, PYTHONHASHSEED="0")
    try:
        r = measure(cmd, a.n, env)
    except RuntimeError as e:
        print("instr_per_call: %s" % e, file=sys.stderr)
        return 1
    finally:
        if a.python:
            os.unlink(src.name)
    r["what"] = label
    if a.json:
        print(json.dumps(r))
    else:
        print("%s %.1f" % (label, r["per_call"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
