#!/usr/bin/python3
"""tools/compile_workloads.py --generation py313 with a real CPython 3.13:
`--check` finds the committed workloads/compiled/py313/ current with every
3.13 present (pyenv's 3.13.0 and the built 3.13.15 write the same bytes);
two runs write byte-identical files (and the committed bytes); files outside
the py313 subset are refused, naming file, code object, opcode and offset
(exception handlers' opcodes outside them, BINARY_OP operators, SET_FUNCTION_ATTRIBUTE flags,
constants, names, comparisons and cache counts included); a 3.13 is refused
for another generation; runtime/py313/opcodes.json agrees with the real
3.13's opcode module.

Runs when a real 3.13 is present (tests/conditions.py "cpython-3.13":
pyenv's 3.13.0, else the 3.13.15 scripts/peers.sh builds; the first found
runs the tests, and `--check` and the opcode module are checked with each
one found), and must pass there; skipped as a whole otherwise. The checks
that need no 3.13 (the committed files match MANIFEST.json, other
interpreters refused) are tests/workloads_test.py's; py36's generator is
tests/workloads_generator_test.py's. Nothing here is timed.

    /usr/bin/python3 tests/workloads_generator_py313_test.py
"""
import glob
import json
import os
import subprocess
import sys
import unittest

import conditions
import pyrunner
from generator_cases import GENERATOR, ROOT, TIMEOUT, GeneratorCases, run

OPCODES = os.path.join(ROOT, "runtime", "py313", "opcodes.json")
PY313 = conditions.get("cpython-3.13").value
ALL313 = conditions.pythons313()
GEN = ["--generation", "py313"]


# Checks one source in a 3.13 process with the generator's own check_code,
# against runtime/py313/opcodes.json changed as argv[3] (JSON) says: what a
# real 3.13 never compiles (a COMPARE_OP outside the six comparisons) or a
# wrong opcodes.json (a cache count) can only be shown this way.
IN_PROCESS = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import compile_workloads as cw
gen = cw.load_generation("py313")
change = json.loads(sys.argv[3])
for k, v in change.get("caches", {}).items():
    gen.caches[k] = v
if "compare" in change:
    gen.compare = frozenset(change["compare"])
if "magic" in change:
    gen.magic = change["magic"]
    print(cw.refuse_interpreter(gen))
    sys.exit(0)
code = compile(open(sys.argv[2]).read(), "workloads/bad.py", "exec", dont_inherit=True, optimize=0)
problems, n = cw.check_code("workloads/bad.py", code, gen)
for line in problems:
    print(line)
"""


@conditions.needs("cpython-3.13")
class Generator313(GeneratorCases, unittest.TestCase):
    """With a real 3.13: current, deterministic, and strict about the py313 subset."""

    PYTHON = PY313
    GENERATION = "py313"
    COMMAND = "$(pyenv prefix 3.13.0)/bin/python3.13 tools/compile_workloads.py --generation py313"

    def test_check_says_current_with_every_3_13(self):
        """The committed bytes are what each 3.13 here writes: pyenv's 3.13.0
        and the built 3.13.15 agree byte for byte."""
        self.assertIn(PY313, ALL313)
        for python in ALL313:
            with self.subTest(python=python):
                rc, out, err = run([python, GENERATOR] + GEN + ["--check"])
                self.assertEqual(rc, 0, err)
                n = len(glob.glob(os.path.join(ROOT, "workloads", "*.py")))
                self.assertEqual(out, "compile_workloads.py: %d workloads current in workloads/compiled/py313\n" % n)

    def test_two_runs_write_identical_bytes(self):
        m = self.two_runs([self.gen(), self.gen()])
        self.assertEqual((m["generation"], m["python"], m["magic"]), ("py313", "3.13", "f30d0d0a"))
        self.assertTrue(m["python_version"].startswith("3.13."))

    def test_outside_the_subset_refused(self):
        handlers = "only in exception handlers (from offset -, the first the exception table names)"
        cases = [
            # (source, a line that must be printed)
            ("N = 5\ndef work(n):\n    return n % 2\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: BINARY_OP at offset 6: operator NB_REMAINDER (%) not in rclab's subset"),
            ("import os\n" + self.OK,
             "workloads/bad.py: <module>: IMPORT_NAME at offset 6: module 'os' not among the modules rclab "
             "builds (sys, math, threading, operator)"),
            # try/except compiles (its handler's opcodes are handler opcodes),
            # but only with a builtin exception's name (or a module global)
            ("N = 5\ndef work(n):\n    try:\n        return n\n    except E:\n        return 0\n"
             "def expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_GLOBAL at offset 10: name 'E' is neither the module's nor the "
             "host's (Queue, id, len, object, range, round, tuple)"),
            # `raise` runs; `assert` loads AssertionError with its own opcode
            ("N = 5\ndef work(n):\n    assert n >= 0\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_ASSERTION_ERROR at offset 14: opcode not in rclab's subset"),
            # 3.13 inlines comprehensions (PEP 709): a list's run, a set's does not
            ("N = 5\ndef work(n):\n    x = {i for i in range(n)}\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: BUILD_SET at offset 28: opcode not in rclab's subset"),
            ("N = 5\ndef work(n):\n    x = {i for i in range(n)}\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: SET_ADD at offset 38: opcode not in rclab's subset"),
            # ... and not outside a function, where it has hidden fast locals
            ("X = [i for i in (1, 2)]\nN = 5\ndef work(n):\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: <module>: a comprehension outside a function (its hidden locals) not in "
             "rclab's subset"),
            ("N = 5\ndef work(n, *, k=1):\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: <module>: SET_FUNCTION_ATTRIBUTE at offset 16: flag 2 (kwdefaults) not in "
             "rclab's subset"),
            ("N = 5\ndef work(n):\n    return n in (1, 2)\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: CONTAINS_OP at offset 6: opcode not in rclab's subset"),
            ("N = 5\ndef work(n):\n    a, *b = (n, 1)\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: UNPACK_EX at offset 8: opcode not in rclab's subset"),
            ("N = 5\ndef work(n):\n    if n:\n        return 1\n    return 0\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: TO_BOOL at offset 4: " + handlers),
            ("N = 5\ndef work(n):\n    x = b'z'\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_CONST at offset 2: constant b'z' of type bytes not in rclab's values"),
            ("N = 5\ndef work(n):\n    return n\ndef expect(n):\n    return 2j\n",
             "workloads/bad.py: expect: RETURN_CONST at offset 2: constant 2j of type complex not in rclab's values"),
            # the code object is named by its qualified name
            ("N = 5\ndef work(n):\n    def g():\n        return 1j\n    return g\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work.<locals>.g: RETURN_CONST at offset 2: constant 1j of type complex not in "
             "rclab's values"),
            ("N = 5\ndef work(n):\n    return sum(n)\ndef expect(n):\n    return n\n",
             "workloads/bad.py: work: LOAD_GLOBAL at offset 2: name 'sum' is neither the module's nor the "
             "host's (Queue, id, len, object, range, round, tuple)"),
            ("def work(n):\n    return n\ndef expect(n):\n    return n\n",
             "workloads/bad.py: <module>: no N (the default argument of work)"),
            ("N = 5\ndef work(n):\n    return n\n",
             "workloads/bad.py: <module>: defines no expect"),
        ]
        self.assert_refused(cases)

    def in_process(self, source, change):
        path = os.path.join(self.write_bad(source), "bad.py")
        rc, out, err = run([PY313, "-I", "-S", "-c", IN_PROCESS, os.path.dirname(GENERATOR), path,
                            json.dumps(change)])
        self.assertEqual(rc, 0, err)
        return out.splitlines()

    def test_a_comparison_outside_compare_op_modelled(self):
        """COMPARE_OP's argval (the oparg is (cmp << 5) | flags) against
        compare_op_modelled: every comparison a real 3.13 compiles is one of
        the six, so the check is shown with >= taken out of the list."""
        src = "N = 5\ndef work(n):\n    return n >= 2\ndef expect(n):\n    return n\n"
        self.assertEqual(self.in_process(src, {}), [])
        lines = self.in_process(src, {"compare": ["<", "<=", "==", "!=", ">"]})
        self.assertEqual(lines, ["workloads/bad.py: work: COMPARE_OP at offset 6: comparison '>=' not in rclab's "
                                 "subset"])

    def test_cache_counts_against_opcodes_json(self):
        """Each instruction's CACHE units (dis's cache_info and co_code's
        CACHE code units) must be opcodes.json's "caches"."""
        src = "N = 5\ndef work(n):\n    return work(n)\ndef expect(n):\n    return n\n"
        self.assertEqual(self.in_process(src, {}), [])
        lines = self.in_process(src, {"caches": {"CALL": 2, "LOAD_GLOBAL": 0}})
        self.assertEqual(lines, [
            "workloads/bad.py: work: LOAD_GLOBAL at offset 2: 4 cache entries (4 CACHE units in co_code), "
            "runtime/py313/opcodes.json says 0",
            "workloads/bad.py: work: CALL at offset 14: 3 cache entries (3 CACHE units in co_code), "
            "runtime/py313/opcodes.json says 2"])

    def test_another_bytecode_magic_refused(self):
        lines = self.in_process(self.OK, {"magic": 3570})
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith("compile_workloads.py: generation py313 needs bytecode magic 3570 "
                                            "(runtime/py313/opcodes.json), this 3.13."), lines)
        self.assertIn(" writes 3571; run ", lines[0])

    def test_a_3_13_is_refused_for_another_generation(self):
        for args, want in [(["--generation", "py36"], "compile_workloads.py: generation py36 needs CPython 3.6 "),
                           ([], "compile_workloads.py: generation py36 needs CPython 3.6 "),
                           (["--generation", "py99"], "compile_workloads.py: no generation 'py99' ")]:
            with self.subTest(args=args):
                rc, out, err = run([PY313, GENERATOR, "--check"] + args)
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertEqual(err.count("\n"), 1, err)
                self.assertTrue(err.startswith(want), err)

    def test_the_one_opcode_list_is_real_3_13s(self):
        """runtime/py313/opcodes.json, which the py313 loader is generated
        from and the generator reads, against each 3.13's opcode module:
        numbers, cache entries, specialised forms and their bases, names,
        HAVE_ARGUMENT, comparisons, BINARY_OP's NB_ operators,
        SET_FUNCTION_ATTRIBUTE's flags and the bytecode magic."""
        with open(OPCODES) as f:
            subset = json.load(f)
        probe = ("import dis, opcode, json, importlib.util as u; print(json.dumps({"
                 "'opmap': opcode.opmap, 'specialized': opcode._specialized_opmap, "
                 "'caches': opcode._inline_cache_entries, 'specializations': opcode._specializations, "
                 "'have_argument': opcode.HAVE_ARGUMENT, 'cmp_op': list(opcode.cmp_op), "
                 "'nb_ops': [n for n, _ in opcode._nb_ops], 'function_attr': list(dis.FUNCTION_ATTR_FLAGS), "
                 "'magic': int.from_bytes(u.MAGIC_NUMBER[:2], 'little')}))")
        self.assertEqual((subset["generation"], subset["python"]), ("py313", "3.13"))
        for python in ALL313:
            with self.subTest(python=python):
                real = json.loads(subprocess.run([python, "-I", "-S", "-c", probe], stdout=subprocess.PIPE,
                                                 check=True, timeout=TIMEOUT).stdout)
                for name, code in subset["opcodes"].items():
                    self.assertEqual(real["opmap"].get(name), code, name)
                    self.assertNotIn(name, real["specialized"], "a base opcode: " + name)
                    self.assertEqual(subset["caches"].get(name, 0), real["caches"].get(name, 0), name)
                self.assertLessEqual(set(subset["caches"]), set(subset["opcodes"]))
                for name, spec in subset["specialized"].items():
                    self.assertEqual(real["specialized"].get(name), spec["code"], name)
                    self.assertIn(spec["base"], subset["opcodes"], name)
                    self.assertIn(name, real["specializations"].get(spec["base"], []), name)
                names = {code: name for name, code in real["opmap"].items() if code < 256}
                names.update({code: name for name, code in real["specialized"].items()})
                self.assertEqual({int(k): v for k, v in subset["opnames"].items()}, names)
                self.assertEqual(subset["have_argument"], real["have_argument"])
                self.assertEqual(subset["cmp_op"], real["cmp_op"])
                self.assertLessEqual(set(subset["compare_op_modelled"]), set(real["cmp_op"]))
                for nb, arg in subset["binary_op_modelled"].items():
                    self.assertEqual(real["nb_ops"][arg], nb)
                for flag in subset["set_function_attribute_modelled"]:
                    self.assertIn(flag, [1 << i for i in range(len(real["function_attr"]))])
                self.assertEqual(subset["set_function_attribute_modelled"],
                                 sorted(1 << real["function_attr"].index(a) for a in ("defaults", "closure")))
                self.assertEqual(subset["magic"], real["magic"])


if __name__ == "__main__":
    sys.exit(pyrunner.main())
