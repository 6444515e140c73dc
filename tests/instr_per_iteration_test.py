#!/usr/bin/python3
"""Instructions per loop iteration of a workload, for the model, are a
steady state: tools/dev/instr_per_call.py --workload runs work(n) at three
n under callgrind and divides the difference by the extra iterations. Here,
on one cheap workload (dict_write) under `gil`: the figure is positive, the
two estimates (N1..N3 and N1..N2) agree within 2% with no warning, --json
says what ran, and --cache-sim counts the same instructions and adds the
cache and branch events. Bad arguments exit 2 with one line. Instruction
counts are deterministic, not timings, so this is not a speed test.
Release builds only (tests/CMakeLists.txt), like instr_per_call_test.

Needs valgrind (tests/conditions.py); skipped as a whole without it.

    /usr/bin/python3 tests/instr_per_iteration_test.py BUILD/experiments/rclab
"""
import json
import os
import subprocess
import sys
import unittest

import conditions
import pyrunner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "dev", "instr_per_call.py")
WORKLOAD = "dict_write"
NS = "1000,6000,12000"  # a few seconds under callgrind for the model
AGREE = 0.02


def tool(args):
    return subprocess.run([sys.executable, TOOL] + args, capture_output=True, text=True, timeout=600)


@conditions.needs("valgrind")
class InstructionsPerIteration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = ["--rclab", conditions.rclab_bin(), "--config", "gil", "--workload", WORKLOAD, "--ns", NS]

    def measure(self, extra):
        p = tool(self.base + extra)
        self.assertEqual(p.returncode, 0, f"instr_per_call.py {' '.join(self.base + extra)}: {p.stderr.strip()}")
        self.assertNotIn("warning", p.stderr, "the two estimates disagree")
        return p.stdout

    def test_line_and_json_agree_and_are_steady(self):
        line = self.measure([]).split()
        self.assertEqual(line[0], WORKLOAD)
        r = json.loads(self.measure(["--json"]))
        print(f"gil {WORKLOAD}: {r['per_iteration']:.1f} instructions per iteration, "
              f"{r['check']:.1f} from {r['check_ns']}", file=sys.stderr)
        self.assertAlmostEqual(float(line[1]), r["per_iteration"], delta=0.1 + 1e-3 * r["per_iteration"])
        self.assertEqual((r["workload"], r["unit"], r["what"]), (WORKLOAD, "iteration", "gil"))
        self.assertEqual(r["ns"], [int(n) for n in NS.split(",")])
        self.assertEqual([run["n"] for run in r["runs"]], r["ns"])
        self.assertGreater(r["per_iteration"], 0)
        self.assertLessEqual(abs(r["check"] / r["per_iteration"] - 1), AGREE)
        self.assertTrue(r["steady"])

    def test_cache_sim_counts_the_same_instructions(self):
        plain = json.loads(self.measure(["--json"]))
        sim = json.loads(self.measure(["--json", "--cache-sim"]))
        ev = sim["per_iteration_events"]
        for e in ("Ir", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw", "Bc", "Bcm", "Bi", "Bim"):
            self.assertIn(e, ev)
        self.assertAlmostEqual(ev["Ir"], sim["per_iteration"])
        self.assertLessEqual(abs(sim["per_iteration"] / plain["per_iteration"] - 1), 0.01)
        self.assertGreater(ev["Bc"], 0)  # the loop's own branch, at least
        self.assertTrue(any(d.startswith("D1 cache:") for d in sim["cache"]))

    def test_bad_arguments_one_line_exit_2(self):
        rclab = conditions.rclab_bin()
        for args in (["--rclab", rclab, "--config", "gil", "--workload", WORKLOAD, "--ns", "3,2,1"],
                     ["--rclab", rclab, "--config", "gil", "--workload", WORKLOAD, "--n", "5"],
                     ["--rclab", rclab, "--config", "no-such-config", "--workload", WORKLOAD, "--ns", "1,2,3"],
                     ["--rclab", rclab, "--config", "gil", "--workload", "no/such/file.py"],
                     ["--rclab", rclab, "--config", "gil", "--workload", "fib", "--ns", "1,2,40"],
                     ["--python", sys.executable, "--rclab-arg=--pin"],
                     ["--rclab", rclab, "--config", "gil", "--workload", WORKLOAD, "--ns", "1,2,3",
                      "--rclab-arg=--no-such-option"],
                     ["--rclab", rclab, "--config", "gil", "--valgrind-arg=--no-such-option"],
                     ["--rclab", rclab, "--workload", WORKLOAD]):
            with self.subTest(args=args):
                p = tool(args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertTrue(p.stderr.startswith("instr_per_call: "), p.stderr)
                self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    sys.exit(pyrunner.main())
