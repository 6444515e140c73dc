"""The model's call path costs what CPython 3.6's costs.

rclab's ratios are only worth their denominators: if `gil` did less work per
fib call than real CPython 3.6, every refcount operation would weigh more in
the model than in CPython. This counts instructions per call with callgrind
(tools/instr_per_call.py: fib(20) minus fib(0), over the extra calls) for
`gil` and for the real 3.6.15 these machines carry under pyenv, and fails
when they differ by more than 15%. Instruction counts are deterministic, not
timings, so this is not a speed test. When no 3.6.15 is present it compares
against the figure measured on this machine kind (1,079 per call, Debian
12's GCC-built pyenv 3.6.15). Release builds only: an unoptimised model
would rightly fail.

    /usr/bin/python3 tests/instr_per_call_test.py BUILD/experiments/rclab
"""
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "instr_per_call.py")
MEASURED_36 = 1079.3  # tools/instr_per_call.py --python $(pyenv prefix 3.6.15)/bin/python3.6
TOLERANCE = 0.15


def per_call(args):
    out = subprocess.run([sys.executable, TOOL] + args, check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def find_36():
    for p in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.6.*/bin/python3.6"))):
        if os.access(p, os.X_OK):
            return p
    return None


def main():
    rclab = sys.argv[1]
    model = per_call(["--rclab", rclab, "--config", "gil"])
    py36 = find_36()
    real = per_call(["--python", py36]) if py36 else MEASURED_36
    ratio = model / real
    print("gil %.1f instructions per call, CPython 3.6 %.1f (%s): ratio %.3f"
          % (model, real, py36 or "the measured figure", ratio))
    if abs(ratio - 1) > TOLERANCE:
        print("FAIL: the model's call path is not within %d%% of CPython 3.6's" % (TOLERANCE * 100))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
