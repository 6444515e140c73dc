#!/usr/bin/python3
"""The model's call path costs what CPython 3.6's costs.

rclab's ratios are only worth their denominators: if `gil` did less work per
fib call than real CPython 3.6, every refcount operation would weigh more in
the model than in CPython. This counts instructions per call with callgrind
(tools/dev/instr_per_call.py: fib(20) minus fib(0), over the extra calls) for
`gil` and for pyenv's real 3.6.15, both live, and fails when they differ by
more than 15%. Instruction counts are deterministic, not timings, so this is
not a speed test. Release builds only (tests/CMakeLists.txt): an
unoptimised model would rightly fail.

Needs pyenv's CPython 3.6.15 and valgrind (tests/conditions.py); skipped as
a whole without either, and must pass with both — there is no stored figure
to fall back on.

    /usr/bin/python3 tests/instr_per_call_test.py BUILD/experiments/rclab
"""
import os
import subprocess
import sys
import unittest

import conditions
import pyrunner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "dev", "instr_per_call.py")
TOLERANCE = 0.15


def per_call(args):
    p = subprocess.run([sys.executable, TOOL] + args, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"instr_per_call.py {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return float(p.stdout.split()[-1])


@conditions.needs("cpython-3.6.15", "valgrind")
class InstructionsPerCall(unittest.TestCase):
    def test_gil_within_15_percent_of_cpython_36(self):
        py36 = conditions.get("cpython-3.6.15").value
        model = per_call(["--rclab", conditions.rclab_bin(), "--config", "gil"])
        real = per_call(["--python", py36])
        ratio = model / real
        print(f"gil {model:.1f} instructions per call, CPython 3.6 {real:.1f} ({py36}): ratio {ratio:.3f}",
              file=sys.stderr)
        self.assertLessEqual(abs(ratio - 1), TOLERANCE,
                             f"the model's call path is not within {TOLERANCE:.0%} of CPython 3.6's "
                             f"({model:.1f} against {real:.1f})")


if __name__ == "__main__":
    sys.exit(pyrunner.main())
