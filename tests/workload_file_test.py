#!/usr/bin/python3
"""`rclab run|sweep --workload PATH.py`: a workload file written outside the
tree runs on py36 and py313 with no rebuild, compiled by each generation's
real CPython (tools/compile_workloads.py's file mode) and cached by its
source's sha256; its records name the file and both hashes; a sweep resumes
it only on the same bytes and runs it on a real interpreter too; and every
bad file or compiler is refused before anything runs, one line, exit 2.

Needs pyenv's 3.6.15 and a real 3.13 (tests/conditions.py), which compile
the file; skipped as a whole without them. Nothing here is timed.

    /usr/bin/python3 tests/workload_file_test.py [RCLAB_BINARY]
"""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import conditions
import pyrunner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "compile_workloads.py")
PY36 = conditions.get("cpython-3.6.15").value
PY313 = conditions.get("cpython-3.13").value
TIMEOUT = 300

# Runs unchanged on 2.7, 3.6 and 3.13, inside both generations' subsets.
MINE = """# A user's own pattern: a module-level tuple and list every thread reads.
SHARED = (1, 2, 3)
ITEMS = [5, 7]
N = 2000


def work(n):
    t = 0
    for i in range(n):
        t += SHARED[1]
        t += ITEMS[-1] - ITEMS[0]
    return t


def expect(n):
    return n + n + n + n
"""

def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT, **kw)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


MC_DEFERRED = """# A methodcaller whose method returns a module-level function.
import operator

N = 1000


def helper():
    pass


class C(object):
    def get(self):
        return helper


def work(n):
    mc = operator.methodcaller("get")
    obj = C()
    k = 0
    for i in range(n):
        f = mc(obj)
        k += 1
    return k


def expect(n):
    return n
"""

# Defaults: a call with fewer arguments than parameters (3.6's
# _PyEval_EvalCodeWithName; 3.13's CALL_PY_GENERAL), none at all (3.6's
# second fast path), keywords beside defaults, and an __init__ with one.
DEFAULTS = """N = 1000


def add(a, b=2, c=3):
    return a + b + c


def none_given(x=5):
    return x


class P(object):
    def __init__(self, x, y=7):
        self.x = x
        self.y = y


def work(n):
    t = 0
    for i in range(n):
        t += add(1)
        t += add(1, 1)
        t += add(1, c=1)
        t += none_given()
        t += P(1).y
        t += P(x=1).y
    return t


def expect(n):
    return n * (6 + 5 + 4 + 5 + 7 + 7)
"""

# Generators left before their end: one never started, one left at a
# yield by `break` (3.13 closes both without an exception; 3.6 would throw
# GeneratorExit into the second, which rclab does not model), and one that
# yields a mortal value (a new tuple) to a caller that keeps it.
GEN_LEFT = """N = 1000


def gen(k):
    for i in range(k):
        yield (i, k)


def work(n):
    t = 0
    for i in range(n):
        g = gen(3)
        for pair in gen(4):
            if pair[0] == 2:
                break
            t += pair[1]
    return t


def expect(n):
    return 8 * n
"""

# try/except/finally and `with` on their paths without an exception: a
# return through `with` and through `finally` (3.6 runs the finally block
# with the result and WHY_RETURN on the stack; 3.13 compiled it inline),
# an except clause and its else, and `except ... as e` in a loop. The
# result is wrong if a finally block or an __exit__ is skipped.
TRY_PATHS = """N = 1000


class Res(object):
    def __init__(self):
        self.n = 0

    def __enter__(self):
        self.n += 1
        return self

    def __exit__(self, a, b, c):
        self.n += 10


def with_return(r):
    with r:
        return r.n


def finally_return(x):
    try:
        return x + 1
    finally:
        x += 100


def try_except(d):
    try:
        v = d["a"]
    except KeyError:
        v = 0
    else:
        v += 1
    finally:
        v += 2
    return v


def loop_except(n):
    t = 0
    for i in range(n):
        try:
            t += 1
        except (KeyError, IndexError) as e:
            t += 2
    return t


def work(n):
    t = 0
    r = Res()
    d = {"a": 3}
    for i in range(n):
        t += with_return(r)
        t += finally_return(1)
        t += try_except(d)
        t += loop_except(3)
    return t


def expect(n):
    t = 0
    for i in range(n):
        t += 11 * i + 1 + 2 + 6 + 3
    return t
"""


@conditions.needs("cpython-3.6.15", "cpython-3.13")
class WorkloadFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rclab-own-workload-")
        self.cache = os.path.join(self.dir, "cache")
        self.rclab = conditions.rclab_bin()
        self.compilers = ["--compiler", PY36, "--compiler", PY313, "--workload-cache", self.cache]

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def rclab_run(self, config, path, *extra):
        return run([self.rclab, "run", "--config", config, "--workload", path, "--threads", "2", "--json"]
                   + self.compilers + list(extra))

    def assert_runs_right(self, path, configs=("gil", "nogil", "py313", "py313t", "py314t-model"), *extra):
        """Each configuration runs the file: right result, nothing alive at teardown."""
        for config in configs:
            with self.subTest(config=config, path=os.path.basename(path)):
                rc, out, err = self.rclab_run(config, path, *extra)
                self.assertEqual(rc, 0, err)
                r = json.loads(out)
                self.assertTrue(r["result_ok"], r)
                self.assertEqual((r["live_objects"], r["live_blocks"]), (0, 0))

    def test_own_file_runs_on_both_generations_without_a_rebuild(self):
        path = self.write("mine.py", MINE)
        src_sha = sha256_of(MINE.encode())
        codes = {}
        for config in ("gil", "py313", "py313t"):
            with self.subTest(config=config):
                rc, out, err = self.rclab_run(config, path)
                self.assertEqual(rc, 0, err)
                r = json.loads(out)
                self.assertEqual(r["workload"], "mine")
                self.assertEqual(r["workload_path"], path)
                self.assertEqual(r["workload_source_sha256"], src_sha)
                self.assertEqual(r["n"], 2000)
                self.assertTrue(r["result_ok"])
                self.assertEqual((r["result"], r["expected"]), (8000, 8000))
                self.assertEqual((r["live_objects"], r["live_blocks"]), (0, 0))
                codes[config] = r["workload_code_sha256"]
        # One marshal per generation, cached under the source's sha256, and
        # what each run ran.
        for gen, config in (("py36", "gil"), ("py313", "py313")):
            cached = os.path.join(self.cache, gen, "mine-%s.marshal" % src_sha)
            with open(cached, "rb") as f:
                self.assertEqual(sha256_of(f.read()), codes[config], gen)
        self.assertEqual(codes["py313"], codes["py313t"])
        self.assertNotEqual(codes["gil"], codes["py313"])
        # Again: from the cache, the marshal untouched.
        stamp = os.stat(os.path.join(self.cache, "py313", "mine-%s.marshal" % src_sha)).st_mtime_ns
        rc, out, err = run(["/usr/bin/python3", TOOL, "--generation", "py313", "--file", path, "--cache", self.cache])
        self.assertEqual(rc, 0, err)
        self.assertTrue(json.loads(out)["cached"])
        self.assertEqual(os.stat(os.path.join(self.cache, "py313", "mine-%s.marshal" % src_sha)).st_mtime_ns, stamp)

    def test_a_methodcaller_result_that_is_deferred_is_counted_once(self):
        """A method called through operator.methodcaller returns a module
        function, which deferring configurations push uncounted: the
        method's result is a stack reference already (py36's tp_call path
        once made it one twice, and shutdown found the globals short)."""
        path = self.write("mc_deferred.py", MC_DEFERRED)
        self.assert_runs_right(path)

    def test_defaults_fill_the_missing_arguments(self):
        path = self.write("defaults.py", DEFAULTS)
        self.assert_runs_right(path)

    def test_try_and_with_paths_without_an_exception(self):
        path = self.write("try_paths.py", TRY_PATHS)
        self.assert_runs_right(path)

    def test_generators_left_before_their_end(self):
        """3.13 closes a generator that never ran, or that waits at a yield
        with only its StopIteration handler around it, without an
        exception: it runs there with nothing left alive. 3.6 closes either
        by throwing GeneratorExit into it: refused while running, one line,
        as everything rclab does not model."""
        path = self.write("gen_left.py", GEN_LEFT)
        self.assert_runs_right(path, ("py313", "py313t", "py314t-model", "py313t-tlbc"))
        # 3.6: `break` is BREAK_LOOP, outside the subset; a generator that
        # never ran is closed by throwing GeneratorExit into it.
        rc, out, err = self.rclab_run("gil", path)
        self.assertEqual(rc, 2, err)
        self.assertIn("BREAK_LOOP", err)
        unstarted = self.write("gen_unstarted.py", GEN_LEFT.replace(
            "        for pair in gen(4):\n            if pair[0] == 2:\n                break\n            t += pair[1]\n",
            "        t += 8\n"))
        rc, out, err = self.rclab_run("py313", unstarted)
        self.assertEqual(rc, 0, err)
        rc, out, err = self.rclab_run("gil", unstarted)
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("GeneratorExit", err)

    def test_exceptions_raise_and_unwind_on_py313_and_stop_py36_in_one_line(self):
        """tests/fixtures/exceptions/: raised, caught, re-raised, chained, through
        finally and with, out of frames, on every mechanism py313 has (their
        counts are tests/py313_test.cpp's), at 2 threads: right results and
        nothing left. py36 raises nothing yet: `raise` is refused by its
        compiler check, and a dict's KeyError stops the run, one line each."""
        fixtures = sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "exceptions", "*.py")))
        self.assertEqual(len(fixtures), 4)
        for path in fixtures:
            self.assert_runs_right(path, ("py313", "py313-nospec", "py313t", "py313t-tlbc", "py313t-buffered",
                                          "py313t-pep683", "py314t-model"), "--n", "300")
        here = [p for p in fixtures if p.endswith("caught_here.py")][0]
        rc, out, err = self.rclab_run("gil", here)
        self.assertEqual((rc, out), (2, ""), err)
        self.assertTrue(err.startswith("rclab: not modelled: KeyError ("), err)
        self.assertEqual(len(err.splitlines()), 1, err)
        raising = [p for p in fixtures if p.endswith("caught_by_caller.py")][0]
        rc, out, err = self.rclab_run("gil", raising)
        self.assertEqual((rc, out), (2, ""), err)
        self.assertIn("RAISE_VARARGS at offset", err)
        # An exception nothing catches stops the run where it leaves the
        # workload, with its class (work(0..3), which the compiler's check
        # runs on the real CPython, return normally).
        uncaught = self.write("uncaught.py", "N = 30\ndef work(n):\n    d = {}\n    if n > 10:\n        return d['x']\n"
                                             "    return n\ndef expect(n):\n    return n\n")
        rc, out, err = self.rclab_run("py313", uncaught)
        self.assertEqual((rc, out), (2, ""), err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("KeyError left a Python function called from C", err)
        # One raised inside a generator's frame stops there (a generator's
        # own exc_state is not modelled), whether it is caught or not.
        in_gen = self.write("in_gen.py", "N = 30\ndef gen(n):\n    d = {}\n    if n > 10:\n        yield d['x']\n"
                                         "    yield n\ndef work(n):\n    for v in gen(n):\n        return v\n"
                                         "def expect(n):\n    return n\n")
        rc, out, err = self.rclab_run("py313", in_gen)
        self.assertEqual((rc, out), (2, ""), err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("an exception raised in a generator", err)

    def test_attribute_stores_that_miss_their_specialisation(self):
        """tests/fixtures/attributes/: a store site that sees two classes
        (STORE_ATTR_INSTANCE_VALUE misses, deopts, re-specialises) on every
        py313 configuration, at 2 threads: right results and nothing left;
        and on py36, which has no specialiser."""
        path = os.path.join(ROOT, "tests", "fixtures", "attributes", "polymorphic_store.py")
        self.assert_runs_right(path, ("py313", "py313-nospec", "py313t", "py313t-tlbc", "py313t-buffered",
                                      "py313t-pep683", "py314t-model", "gil", "nogil"), "--n", "3000")

    def test_class_calls_entering_init(self):
        """tests/fixtures/calls/: a class with a Python __init__ called in the
        loop (py313: CALL_ALLOC_AND_ENTER_INIT and its shim frame) runs right
        with nothing left on seven py313 and two py36 configurations; one
        whose __init__ raises into the caller's handler runs right on the
        specialising py313 configurations and stops in one line where
        __init__ is called from C (3.13t's interpreter)."""
        calls = os.path.join(ROOT, "tests", "fixtures", "calls")
        self.assert_runs_right(os.path.join(calls, "class_with_init.py"),
                               ("py313", "py313-nospec", "py313t", "py313t-tlbc", "py313t-buffered", "py313t-pep683",
                                "py314t-model", "gil", "nogil"), "--n", "3000")
        raising = os.path.join(calls, "init_raises.py")
        self.assert_runs_right(raising, ("py313", "py313-atomic-gil", "py313-nofreelists"), "--n", "3000")
        rc, out, err = self.rclab_run("py313t", raising)
        self.assertEqual((rc, out), (2, ""), err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("ValueError left a Python function called from C", err)

    def test_unpacking_identity_and_comprehensions_run_on_both_generations(self):
        """tests/fixtures/opcodes/: tuple, list and range unpacking, `is None`
        and `is not` branches, a list comprehension, on every py313 mechanism
        (specialised, unspecialised, thread-local bytecode, deferred) and on
        py36 under a GIL and without one, at 2 threads: right results and
        nothing left (py313's counts are tests/py313_test.cpp's)."""
        for name in ("unpack_and_identity", "comprehension"):
            path = os.path.join(ROOT, "tests", "fixtures", "opcodes", name + ".py")
            self.assert_runs_right(path, ("py313", "py313-nospec", "py313t", "py313t-tlbc", "py313t-buffered",
                                          "py313t-pep683", "py314t-model", "gil", "nogil", "atomic"),
                                   "--n", "3000")

    def test_dicts_keyed_by_ints_run_under_every_dict_lock(self):
        """tests/fixtures/dicts/: dicts keyed by ints, private and shared,
        updated in place (`counts[k] += 1`), keyed by id() and read with
        get(), under a configuration of each
        dict lock of each generation (none, optimistic, recursive; 3.13t's
        ft313 and the seqlock; 3.14t's deferred objects): right results, nothing left (the counts are
        tests/py313_test.cpp's and tests/workload_test.cpp's). A list as a key
        stops in one line: CPython's TypeError."""
        for name in ("int_keys", "counter", "get_and_id"):
            path = os.path.join(ROOT, "tests", "fixtures", "dicts", name + ".py")
            self.assert_runs_right(path, ("gil", "optimistic-gil", "nogil", "gilectomy-2016-10", "py313",
                                          "py313t", "py313t-seqlock", "py313t-gilectomy", "py314t-model"),
                                   "--n", "3000")
        bad = self.write("list_key.py", "N = 3\ndef work(n):\n    d = {}\n    d[[n]] = 1\n    return n\n"
                                        "def expect(n):\n    return n\n")
        for config in ("gil", "py313t"):
            with self.subTest(config=config):
                rc, out, err = self.rclab_run(config, bad)
                self.assertEqual((rc, out), (2, ""), err)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn("unhashable type", err)

    def test_the_ftscalingbench_ports_run_on_both_generations(self):
        """workloads/ftscalingbench/ and workloads/cache/: every file, right
        results and nothing left, under a GIL and free-threaded configuration
        of each generation."""
        ports = sorted(glob.glob(os.path.join(ROOT, "workloads", "ftscalingbench", "*.py")))
        self.assertGreaterEqual(len(ports), 4)
        ports += sorted(glob.glob(os.path.join(ROOT, "workloads", "cache", "*.py")))
        for path in ports:
            self.assert_runs_right(path, ("gil", "nogil", "py313", "py313t"), "--n", "3000")

    def test_a_built_in_workload_compiles_to_the_committed_bytes(self):
        """File mode and the committed workloads/compiled/ are one compiler:
        the same file gives the same bytes wherever it lives."""
        for gen, python in (("py36", PY36), ("py313", PY313)):
            with open(os.path.join(ROOT, "workloads", "compiled", gen, "MANIFEST.json")) as f:
                manifest = {w["name"]: w for w in json.load(f)["workloads"]}
            copy = os.path.join(self.dir, "queue.py")
            shutil.copy(os.path.join(ROOT, "workloads", "queue.py"), copy)
            rc, out, err = run(["/usr/bin/python3", TOOL, "--generation", gen, "--file", copy, "--cache", self.cache,
                                "--compiler", python])
            self.assertEqual(rc, 0, err)
            entry = json.loads(out)
            self.assertEqual(entry["marshal_sha256"], manifest["queue"]["marshal_sha256"], gen)
            self.assertTrue(entry["crosses_threads"])
            self.assertEqual(entry["N"], manifest["queue"]["N"])

    def test_refusals_are_one_line_and_exit_2_before_anything_runs(self):
        ok = self.write("fine.py", MINE)
        os.mkdir(os.path.join(self.dir, "folder.py"))
        cases = [
            ("a syntax error", self.write("syntax.py", "N = 3\ndef work(n)\n    return n\n"), [],
             "syntax.py: does not compile: line 2: SyntaxError"),
            ("an opcode outside the subset", self.write(
                "negating.py", "N = 3\ndef work(n):\n    x = -n\n    return n\ndef expect(n):\n    return n\n"),
             [], "negating.py: work: UNARY_NEGATIVE at offset"),
            ("no work", self.write("nowork.py", "N = 3\ndef expect(n):\n    return n\n"), [],
             "nowork.py: <module>: defines no work"),
            ("expect disagrees with work", self.write(
                "wrong.py", "N = 3\ndef work(n):\n    return n + 1\ndef expect(n):\n    return n\n"), [],
             "wrong.py: work(0) returned 1, expect(0) 0"),
            ("no such file", os.path.join(self.dir, "absent.py"), [], "absent.py: cannot read"),
            ("an unreadable file", os.path.join(self.dir, "folder.py"), [], "folder.py: cannot read"),
            ("a name that is no identifier", self.write("My-Load.py", MINE), [], "a lowercase identifier"),
            ("a built-in workload's name", self.write("fib.py", MINE), [], "'fib' is a built-in workload's name"),
            ("a missing compiler", ok, ["--compiler", os.path.join(self.dir, "python9.9")],
             "--compiler %s: no such file" % os.path.join(self.dir, "python9.9")),
            ("a compiler that is no Python", ok, ["--compiler", "/bin/true"], "does not run as a CPython"),
            ("a compiler of the wrong version", ok, ["--compiler", "/usr/bin/python3"],
             "generation py313 needs CPython 3.13"),
        ]
        for what, path, compilers, says in cases:
            with self.subTest(what):
                cmd = [self.rclab, "run", "--config", "py313", "--workload", path, "--json",
                       "--workload-cache", self.cache] + (compilers or ["--compiler", PY313])
                rc, out, err = run(cmd)
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "", "nothing ran")
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(lines[0].startswith("rclab: "), err)
                self.assertIn(says, lines[0])
                self.assertNotIn("Traceback", err)
        # py36's compiler refuses for py36 too: the same lines, its own opcode.
        rc, _, err = run([self.rclab, "run", "--config", "gil", "--workload", cases[1][1]] + self.compilers)
        self.assertEqual(rc, 2)
        self.assertIn("negating.py: work: UNARY_NEGATIVE at offset", err)

    def test_what_compiles_but_the_model_does_not_run_is_refused_in_one_line(self):
        """An int past 64 bits passes the opcode check (values are not seen
        there) and real CPython computes it; the model stops at the add: one
        line, exit 2, no record, no abort."""
        path = self.write("big.py", "BIG = 9223372036854775807\nN = 3\ndef work(n):\n    return BIG + n - BIG\n"
                                    "def expect(n):\n    return n\n")
        for config in ("gil", "py313", "py313t"):
            with self.subTest(config=config):
                rc, out, err = self.rclab_run(config, path)
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertTrue(err.startswith("rclab: not modelled: "), err)

    def test_classes_with_a_new_the_model_does_not_run_are_refused_at_class_creation(self):
        """A subclass of tuple whose instances would have a __dict__, and a
        class defining __init__ beside __new__, compile and run on CPython;
        the model refuses each when the class is made: one line, exit 2."""
        new = "    def __new__(cls, x):\n        return _tuple_new(cls, (x,))\n"
        cases = {
            "no_slots.py": ("class P(tuple):\n" + new, "without `__slots__ = ()`"),
            "new_and_init.py": ("class P(tuple):\n    __slots__ = ()\n" + new +
                                "    def __init__(self, x):\n        pass\n", "both __new__ and __init__"),
        }
        for name, (body, phrase) in sorted(cases.items()):
            path = self.write(name, "_tuple_new = tuple.__new__\n" + body + "N = 3\ndef work(n):\n"
                              "    return P(n)[0]\ndef expect(n):\n    return n\n")
            for config in ("gil", "py313", "py313t"):
                with self.subTest(file=name, config=config):
                    rc, out, err = self.rclab_run(config, path)
                    self.assertEqual(rc, 2, err)
                    self.assertEqual(out, "")
                    self.assertEqual(len(err.splitlines()), 1, err)
                    self.assertTrue(err.startswith("rclab: not modelled: "), err)
                    self.assertIn(phrase, err)

    def test_a_sweep_resumes_only_on_the_same_bytes_and_runs_the_peer_too(self):
        path = self.write("mine.py", MINE)
        peers = self.write("peers.json", json.dumps({"peers": [{"name": "cpython-3.13", "python": PY313}]}))
        out = os.path.join(self.dir, "s.jsonl")
        cmd = [self.rclab, "sweep", "--configs", "gil,py313", "--workloads", path + ",dict_read", "--scale", "0.05",
               "--threads", "1", "--repeat", "1", "--max-repeats", "1", "--warmup", "0", "--no-ceiling", "--peers",
               peers, "--out", out, "--seed", "7"] + self.compilers
        rc, _, err = run(cmd)
        self.assertEqual(rc, 0, err)
        with open(out) as f:
            records = [json.loads(line) for line in f]
        mine = [r for r in records if r["workload"] == "mine"]
        self.assertEqual(sorted((r["kind"], r["config"]) for r in mine),
                         [("model", "gil"), ("model", "gil"), ("model", "py313"), ("peer", "cpython-3.13")])
        for r in mine:
            self.assertEqual(r["status"], "ok", r)
            self.assertEqual(r["workload_source_sha256"], sha256_of(MINE.encode()))
            self.assertEqual(r["workload_path"], path, r["kind"])  # the peer's too
            self.assertEqual(r["n"], 100)
        rc, _, err = run(cmd + ["--resume"])
        self.assertEqual(rc, 0, err)
        self.assertIn("(0 new, 0 failed)", err)
        # Other bytes, same name: every cell of it runs again; dict_read's do not.
        with open(path, "a") as f:
            f.write("# edited\n")
        rc, _, err = run(cmd + ["--resume"])
        self.assertEqual(rc, 0, err)
        self.assertIn("(4 new, 0 failed)", err)


if __name__ == "__main__":
    sys.exit(pyrunner.main())
