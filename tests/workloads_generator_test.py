#!/usr/bin/python3
"""tools/compile_workloads.py's py36 generation (the default) with pyenv's
CPython 3.6.15: `--check` finds the committed workloads/compiled/py36/
current; two runs (one with the default generation, one with `--generation
py36`) write byte-identical files (and the committed bytes); files outside
the model's subset are refused, naming file, code object, opcode and
offset; --check names stale, missing and extra files; runtime/py36/opcodes.json
is 3.6's.

Runs when pyenv's 3.6.15 is present (tests/conditions.py "cpython-3.6.15"),
and must pass there; skipped as a whole otherwise. The checks that need no
3.6 (the committed files match MANIFEST.json) are tests/workloads_test.py's;
the py313 generation's are tests/workloads_generator_py313_test.py's.
Nothing here is timed.

    /usr/bin/python3 tests/workloads_generator_test.py
"""
import json
import subprocess
import sys
import unittest

import conditions
import pyrunner
from generator_cases import GENERATOR, ROOT, TIMEOUT, GeneratorCases, run

PY36 = conditions.get("cpython-3.6.15").value


@conditions.needs("cpython-3.6.15")
class Generator(GeneratorCases, unittest.TestCase):
    """With 3.6: current, deterministic, and strict about the subset."""

    PYTHON = PY36
    GENERATION = "py36"
    COMMAND = "$(pyenv prefix 3.6.15)/bin/python3.6 tools/compile_workloads.py --generation py36"

    def test_check_says_current(self):
        rc, out, err = run([PY36, GENERATOR, "--check"])
        self.assertEqual(rc, 0, err)
        self.assertIn("current", out)

    def test_two_runs_write_identical_bytes(self):
        """The default generation and --generation py36 write the same."""
        self.two_runs([[PY36, GENERATOR], self.gen()])

    def test_disallowed_opcodes_refused(self):
        cases = [
            # (source, the line that must be printed)
            ("N = 5\ndef work(n):\n    return n % 2\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: BINARY_MODULO at offset 4: opcode not in rclab's subset"),
            ("N = 5\ndef work(n):\n    x = {i for i in range(n)}\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work.<setcomp>: SET_ADD at offset 10: opcode not in rclab's subset"),
            ("import os\n" + self.OK,
             "workloads/bad.py: <module>: IMPORT_NAME at offset 4: module 'os' not among the modules rclab "
             "builds (sys, math, threading, operator)"),
            ("N = 5\ndef work(n, *, k=1):\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: <module>: MAKE_FUNCTION at offset 14: flags 2 (keyword-only defaults or "
             "annotations) not in rclab's subset"),
            # nothing raises: `raise` is outside the subset, and an exception
            # name outside an except clause is no host name
            ("N = 5\ndef work(n):\n    raise KeyError\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: RAISE_VARARGS at offset 2: opcode not in rclab's subset"),
            ("N = 5\ndef work(n):\n    raise KeyError\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_GLOBAL at offset 0: name 'KeyError' is neither the module's nor the "
             "host's (Queue, id, len, object, range, round, tuple)"),
            # an except clause compiles, but only with a builtin exception's name
            ("N = 5\ndef work(n):\n    try:\n        return n\n    except E:\n        return 0\n"
             "def expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_GLOBAL at offset 8: name 'E' is neither the module's nor the "
             "host's (Queue, id, len, object, range, round, tuple)"),
            ("N = 5\ndef work(n):\n    return n in (1, 2)\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: COMPARE_OP at offset 4: comparison 'in' not in rclab's subset"),
            ("N = 5\ndef work(n):\n    x = b'z'\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_CONST at offset 0: constant b'z' of type bytes not in rclab's values"),
            ("N = 5\ndef work(n):\n    return sum(n)\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_GLOBAL at offset 0: name 'sum' is neither the module's nor the "
             "host's (Queue, id, len, object, range, round, tuple)"),
            ("def work(n):\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: <module>: no N (the default argument of work)"),
            ("N = 5\ndef work(n):\n    return n\n",
             "workloads/bad.py: <module>: defines no expect"),
        ]
        self.assert_refused(cases)

    def test_the_one_opcode_list_is_real_3_6s(self):
        """runtime/py36/opcodes.json, which the C++ loader is generated from
        and the generator reads, names 3.6's opcodes by 3.6's numbers."""
        with open(ROOT + "/runtime/py36/opcodes.json") as f:
            subset = json.load(f)
        probe = ("import dis, json; print(json.dumps({'opmap': dis.opmap, 'cmp_op': dis.cmp_op, "
                 "'have_argument': dis.HAVE_ARGUMENT}))")
        real = json.loads(subprocess.run([PY36, "-I", "-S", "-c", probe], stdout=subprocess.PIPE, check=True,
                                         timeout=TIMEOUT).stdout)
        self.assertEqual((subset["generation"], subset["python"]), ("py36", "3.6"))
        for name, code in subset["opcodes"].items():
            self.assertEqual(real["opmap"].get(name), code, name)
        self.assertEqual({int(k): v for k, v in subset["opnames"].items()}, {v: k for k, v in real["opmap"].items()})
        self.assertEqual(subset["cmp_op"], real["cmp_op"])
        self.assertTrue(set(subset["compare_op_modelled"]) <= set(real["cmp_op"]))
        self.assertEqual(subset["have_argument"], real["have_argument"])


if __name__ == "__main__":
    sys.exit(pyrunner.main())
