#!/usr/bin/python3
"""tools/peer_fib.py on every real interpreter on this machine, and
tools/peers.py's judgement of runs that go wrong. No assertion depends on
timing: a hung run hangs forever, a crash is a SIGKILL the run sends itself."""
import glob
import hashlib
import json
import math
import os
import re
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
sys.path.insert(0, TOOLS)

import peer_fib  # noqa: E402
import peers  # noqa: E402

PEER_FIB = os.path.join(TOOLS, "peer_fib.py")
WORKLOADS = sorted(glob.glob(os.path.join(os.path.dirname(HERE), "workloads", "*.py")))
WORKLOAD_N = 40  # small: every workload on every interpreter; fib's n is its argument (FIB_N's 12 there)
SYSTEM = "/usr/bin/python3"
PYENV = os.environ.get("PYENV_ROOT", "/root/.pyenv")
INTERPRETERS = [SYSTEM] + sorted(p for p in glob.glob(os.path.join(PYENV, "versions", "*", "bin", "python"))
                                 if os.access(p, os.X_OK))
PY2 = [p for p in INTERPRETERS if re.search(r"/versions/2\.", p)]
N = 12
FIB_N = 233  # fib(12) with fib(0) = fib(1) = 1
TIMEOUT = 300  # only a bound on a run that never ends: nothing here is timed


def run_direct(python, args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([python, PEER_FIB] + args, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


class RecordsOnEveryInterpreter(unittest.TestCase):
    def check_record(self, rec, python, threads):
        self.assertEqual(rec["schema"], 2)
        self.assertEqual(rec["kind"], "peer")
        self.assertEqual(rec["config"], "probe")
        self.assertEqual(rec["family"], "peers")
        self.assertEqual(rec["baseline"], "probe-base")
        self.assertEqual(rec["policies"], {})
        self.assertEqual(set(rec["settings"]), {"pin", "gil_mode"})
        self.assertIs(rec["settings"]["pin"], False)
        self.assertIn(rec["settings"]["gil_mode"], ("on", "off", "n/a"))
        self.assertEqual(rec["threads"], threads)
        self.assertEqual(rec["n"], N)
        for f in ("wall_s", "cpu_s", "cpu_user_s", "cpu_sys_s", "helper_cpu_s"):
            self.assertTrue(number(rec[f]), f)
        self.assertAlmostEqual(rec["cpu_s"], rec["cpu_user_s"] + rec["cpu_sys_s"], places=9)
        self.assertEqual(rec["helper_cpu_s"], 0)
        tc = rec["thread_cpu_s"]
        if re.search(r"/versions/2\.", python):
            self.assertEqual(tc, [])  # no CLOCK_THREAD_CPUTIME_ID before 3.3
        else:
            self.assertEqual(len(tc), threads)
            self.assertTrue(all(number(x) for x in tc))
        self.assertEqual(rec["expected"], FIB_N)
        self.assertEqual(rec["result"], FIB_N)
        self.assertIs(rec["result_ok"], True)
        self.assertEqual(rec["calls"], threads * (2 * FIB_N - 1))
        self.assertEqual(rec["thread_errors"], [])
        self.assertEqual(rec["workload"], "fib")  # no --workload: peer_fib's own fib
        self.assertNotIn("workload_source_sha256", rec)
        self.assertIsInstance(rec["max_rss_kb"], int)
        self.assertGreater(rec["max_rss_kb"], 0)
        self.assertIn(rec["wall_clock"], ("time.monotonic", "clock_gettime(CLOCK_MONOTONIC) via ctypes"))
        self.assertEqual(rec["counters"], {"available": False, "reason": "not measured for peers"})
        peer = rec["peer"]
        self.assertEqual(peer["name"], "probe")
        self.assertEqual(os.path.realpath(peer["executable"]), os.path.realpath(python))
        self.assertTrue(peer["version"])
        self.assertEqual(peer["implementation"], "CPython")
        self.assertEqual(peer["gil_mode"], rec["settings"]["gil_mode"])
        if peer["variant"] == "":
            self.assertEqual(peer["gil_mode"], "on")  # stock CPython builds have their GIL
        b = rec["build"]
        self.assertRegex(b["id"], r"^[0-9a-f]{16}$")
        self.assertEqual(b["executable"], os.path.realpath(python))
        self.assertEqual(b["version"], peer["version"])
        self.assertIsInstance(b["cflags"], str)
        self.assertIsInstance(b["config_args"], str)
        self.assertEqual(set(rec["machine"]), {"cpu_model", "cores", "kernel", "arch"})
        self.assertGreaterEqual(rec["machine"]["cores"], 1)
        self.assertRegex(rec["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_fib12_at_1_and_2_threads(self):
        self.assertIn(SYSTEM, INTERPRETERS)
        for python in INTERPRETERS:
            ids = set()
            for threads in (1, 2):
                with self.subTest(python=python, threads=threads):
                    rc, out, err = run_direct(python, ["--name", "probe", "--threads", str(threads),
                                                       "--n", str(N), "--base", "probe-base"])
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(out.count("\n"), 1, "exactly one line on stdout")
                    self.assertTrue(out.endswith("\n"))
                    rec = json.loads(out)
                    self.check_record(rec, python, threads)
                    ids.add(rec["build"]["id"])
            self.assertEqual(len(ids), 1, "%s: build.id must be stable across runs" % python)

    def test_through_run_peer_point(self):
        rec = peers.run_peer_point(SYSTEM, {}, ["--name", "probe", "--threads", "2", "--n", str(N),
                                                "--base", "probe-base"], TIMEOUT)
        self.assertEqual(rec["status"], "ok", rec.get("failure"))
        self.check_record(rec, SYSTEM, 2)

    def test_build_ids_differ_between_interpreters(self):
        ids = {}
        for python in INTERPRETERS:
            rc, out, err = run_direct(python, ["--name", "probe", "--threads", "1", "--n", "1"])
            self.assertEqual(rc, 0, err)
            ids[python] = json.loads(out)["build"]["id"]
        real = {os.path.realpath(p) for p in INTERPRETERS}
        self.assertEqual(len(set(ids.values())), len(real))

    @unittest.skipUnless(os.environ.get("RCLAB_PEERS"), "RCLAB_PEERS (a peers file) not set")
    def test_peers_file_interpreters(self):
        """The hand-built peers (Gilectomy, nogil) when a peers file names them:
        gil_mode must follow the interpreter, not the peer's name."""
        for p in peers.load_peers(os.environ["RCLAB_PEERS"]):
            if not os.access(p["python"], os.X_OK):
                continue
            for threads in (1, 2):
                with self.subTest(peer=p["name"], threads=threads):
                    rec = peers.run_peer_point(p["python"], p["env"], peers.peer_args(p, threads, N), TIMEOUT)
                    self.assertEqual(rec["status"], "ok", rec.get("failure"))
                    self.assertEqual((rec["result"], rec["calls"]), (FIB_N, threads * (2 * FIB_N - 1)))
                    variant, gil = rec["peer"]["variant"], rec["settings"]["gil_mode"]
                    if variant == "nogil":
                        self.assertEqual(gil, "on" if p["env"].get("PYTHONGIL") == "1" else "off")
                    elif variant == "free-threaded":  # 3.13+ --disable-gil: off unless PYTHON_GIL=1
                        self.assertEqual(gil, "on" if p["env"].get("PYTHON_GIL") == "1" else "off")
                    elif variant == "gilectomy":
                        self.assertEqual(gil, "off")
                    else:
                        self.assertEqual(gil, "on")


class BadArguments(unittest.TestCase):
    BAD = [
        ["--name", "x", "--threads", "0", "--n", "5"],
        ["--name", "x", "--threads", "4097", "--n", "5"],
        ["--name", "x", "--threads", "-1", "--n", "5"],
        ["--name", "x", "--threads", "1", "--n", "41"],
        ["--name", "x", "--threads", "1", "--n", "-1"],
        ["--name", "x", "--threads", "1", "--n", "61", "--long"],
        ["--name", "x", "--threads", "two", "--n", "5"],
        ["--name", "x", "--threads", "1", "--n", "5.5"],
        ["--threads", "1", "--n", "5"],
        ["--name", "", "--threads", "1", "--n", "5"],
        ["--name", "x", "--threads", "1"],
        ["--name", "x", "--threads", "1", "--n", "5", "--family", ""],
        ["--name", "x", "--threads", "1", "--n", "5", "--bogus"],
        ["--name", "x", "--threads", "1", "--n", "5", "extra"],
    ]

    def test_refused_with_exit_2_and_one_stderr_line(self):
        for python in [SYSTEM] + PY2:
            for args in self.BAD:
                with self.subTest(python=python, args=args):
                    rc, out, err = run_direct(python, args)
                    self.assertEqual(rc, 2)
                    self.assertEqual(out, "", "no record for bad arguments")
                    self.assertEqual(err.count("\n"), 1, err)
                    self.assertTrue(err.startswith("peer_fib.py: "), err)

    def test_long_allows_more_than_40(self):
        a = peer_fib.parse_args(["--name", "x", "--threads", "4096", "--n", "45", "--long"])
        self.assertEqual((a.threads, a.n, a.long), (4096, 45, True))

    def test_bad_arguments_through_run_peer_point(self):
        rec = peers.run_peer_point(SYSTEM, {}, ["--name", "x", "--threads", "0", "--n", "5"], TIMEOUT)
        self.assertEqual(rec["status"], "failed")
        self.assertIn("bad arguments", rec["failure"])
        self.assertIn("--threads", rec["failure"])


class FailedPoints(unittest.TestCase):
    ARGS = ["--name", "probe", "--threads", "2", "--n", str(N), "--base", "probe-base"]

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def script(self, name, body, mode=0o755):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, mode)
        return path

    def failed(self, python, env=None, timeout=TIMEOUT):
        rec = peers.run_peer_point(python, env or {}, self.ARGS, timeout)
        self.assertEqual(rec["status"], "failed")
        self.assertIs(rec["result_ok"], False)
        self.assertTrue(rec["failure"] and "\n" not in rec["failure"], rec["failure"])
        # still placed: the point it failed at
        self.assertEqual((rec["schema"], rec["kind"], rec["config"], rec["baseline"], rec["threads"], rec["n"]),
                         (2, "peer", "probe", "probe-base", 2, N))
        return rec

    def test_missing_interpreter(self):
        rec = self.failed(os.path.join(self.tmp.name, "no-such-python"))
        self.assertIn("not found", rec["failure"])

    def test_not_executable(self):
        rec = self.failed(self.script("python", "#!/bin/sh\n", mode=0o644))
        self.assertIn("not executable", rec["failure"])

    def test_no_record(self):
        rec = self.failed("/bin/true")
        self.assertIn("no record", rec["failure"])

    def test_garbage(self):
        rec = self.failed("/bin/echo")  # prints its arguments: one line, not JSON
        self.assertIn("not a peer record", rec["failure"])

    def test_json_that_is_not_a_peer_record(self):
        rec = self.failed(self.script("python", "#!/bin/sh\necho '{\"schema\": 2, \"kind\": \"model\"}'\n"))
        self.assertIn("not a peer record", rec["failure"])

    def test_two_lines(self):
        rec = self.failed(self.script("python", "#!/bin/sh\n%s \"$@\"\necho extra\n" % SYSTEM))
        self.assertIn("2 lines", rec["failure"])

    def test_killed_mid_run(self):
        rec = self.failed(SYSTEM, {"RCLAB_PEER_TEST_FAULT": "kill"})
        self.assertIn("killed by SIGKILL", rec["failure"])

    def test_wrapper_killed_by_a_signal(self):
        # an interpreter that dies by a signal before printing anything
        rec = self.failed(self.script("python", "#!/bin/sh\nexec %s -c 'import os; os.kill(os.getpid(), 9)'\n"
                                      % SYSTEM))
        self.assertIn("killed by SIGKILL", rec["failure"])

    def test_timeout(self):
        rec = self.failed(SYSTEM, {"RCLAB_PEER_TEST_FAULT": "hang"}, timeout=2)
        self.assertIn("timed out", rec["failure"])

    def test_exception_in_a_thread_is_never_an_ok_record(self):
        for python in [SYSTEM] + PY2:
            with self.subTest(python=python):
                rc, out, err = run_direct(python, self.ARGS, {"RCLAB_PEER_TEST_FAULT": "raise"})
                self.assertEqual(rc, 1)
                rec = json.loads(out)
                self.assertIs(rec["result_ok"], False)
                self.assertEqual(len(rec["thread_errors"]), 2)
                rec = self.failed(python, {"RCLAB_PEER_TEST_FAULT": "raise"})
                self.assertIn("RuntimeError", rec["failure"])

    def test_wrong_result_is_never_an_ok_record(self):
        for python in [SYSTEM] + PY2:
            with self.subTest(python=python):
                rc, out, err = run_direct(python, self.ARGS, {"RCLAB_PEER_TEST_FAULT": "wrong"})
                self.assertEqual(rc, 1)
                rec = json.loads(out)
                self.assertIs(rec["result_ok"], False)
                self.assertEqual(rec["result"], FIB_N + 1)
                rec = self.failed(python, {"RCLAB_PEER_TEST_FAULT": "wrong"})
                self.assertIn("wrong result", rec["failure"])


def workload_n(path):
    return N if os.path.basename(path) == "fib.py" else WORKLOAD_N


def expected_queue(python):
    """The FIFO peer_fib gives workloads as `Queue` under `python`."""
    m = re.search(r"/versions/(\d+)\.(\d+)", os.path.realpath(python))
    if m and (int(m.group(1)), int(m.group(2))) < (3, 7):
        return "Queue.Queue" if m.group(1) == "2" else "queue.Queue"
    return "_queue.SimpleQueue"


class Workloads(unittest.TestCase):
    """--workload: each workloads/*.py on every interpreter, 2 threads, a
    small n; every thread's work(n) must equal expect(n)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def workload(self, name, body):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(body)
        return path

    def test_every_workload_on_every_interpreter(self):
        self.assertEqual(len(WORKLOADS), 8, WORKLOADS)
        for python in INTERPRETERS:
            for path in WORKLOADS:
                name = os.path.splitext(os.path.basename(path))[0]
                n = workload_n(path)
                with self.subTest(python=python, workload=name):
                    rc, out, err = run_direct(python, ["--name", "probe", "--threads", "2", "--workload", path,
                                                       "--n", str(n)])
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(out.count("\n"), 1, "exactly one line on stdout")
                    rec = json.loads(out)
                    self.assertIs(rec["result_ok"], True, rec.get("thread_errors"))
                    self.assertEqual(rec["result"], rec["expected"])
                    self.assertEqual(rec["thread_errors"], [])
                    self.assertEqual((rec["workload"], rec["n"], rec["threads"]), (name, n, 2))
                    with open(path, "rb") as f:
                        self.assertEqual(rec["workload_source_sha256"], hashlib.sha256(f.read()).hexdigest())
                    self.assertEqual(rec["workload_queue"], expected_queue(python))
                    if name == "fib":
                        self.assertEqual((rec["expected"], rec["calls"]), (FIB_N, 2 * (2 * FIB_N - 1)))
                    else:
                        self.assertEqual(rec["calls"], 2 * n)
                    self.assertEqual(set(rec["settings"]), {"pin", "gil_mode"})
                    self.assertEqual(os.path.realpath(rec["peer"]["executable"]), os.path.realpath(python))

    def test_host_names_and_default_n(self):
        # range is xrange on Python 2 (set in the module, not globally); Queue is the host's;
        # --n defaults to the module's N.
        path = self.workload("probe.py", "N = 7\nQ = Queue()\n"
                             "def work(n):\n    Q.put(n)\n    return n + len(range.__name__) + Q.get() - n\n"
                             "def expect(n):\n    return n + len(range.__name__)\n")
        for python in INTERPRETERS:
            with self.subTest(python=python):
                rc, out, err = run_direct(python, ["--name", "probe", "--threads", "1", "--workload", path])
                self.assertEqual(rc, 0, err)
                rec = json.loads(out)
                py2 = python in PY2
                self.assertEqual((rec["n"], rec["result"], rec["result_ok"]), (7, 7 + (6 if py2 else 5), True))
                self.assertEqual((rec["workload"], rec["calls"]), ("probe", 7))

    def test_wrong_result_and_exceptions_fail_the_run(self):
        path = WORKLOADS[0]
        for python in [SYSTEM] + PY2:
            for fault in ("wrong", "raise"):
                with self.subTest(python=python, fault=fault):
                    rc, out, err = run_direct(python, ["--name", "probe", "--threads", "2", "--workload", path,
                                                       "--n", "5"], {"RCLAB_PEER_TEST_FAULT": fault})
                    self.assertEqual(rc, 1)
                    self.assertIs(json.loads(out)["result_ok"], False)

    def test_bad_workloads_refused(self):
        bad = {
            "missing": os.path.join(self.tmp.name, "no-such.py"),
            "syntax": self.workload("syntax.py", "def work(n)\n"),
            "raises": self.workload("raises.py", "N = 1\nX = undefined_name\n"),
            "no_expect": self.workload("no_expect.py", "N = 1\ndef work(n):\n    return n\n"),
            "no_N": self.workload("no_n.py", "def work(n):\n    return n\ndef expect(n):\n    return n\n"),
            "bad_expect": self.workload("bad_expect.py", "N = 1\ndef work(n):\n    return n\n"
                                        "def expect(n):\n    return None\n"),
        }
        argsets = [["--workload", p] for p in bad.values()]
        argsets += [["--workload", ""], ["--workload", WORKLOADS[0], "--n", str(10 ** 9 + 1)],
                    ["--workload", WORKLOADS[0], "--n", "-1"],
                    ["--workload", os.path.join(os.path.dirname(WORKLOADS[0]), "fib.py"), "--n", "41"]]
        for python in [SYSTEM] + PY2:
            for args in argsets:
                with self.subTest(python=python, args=args):
                    rc, out, err = run_direct(python, ["--name", "x", "--threads", "1"] + args)
                    self.assertEqual(rc, 2, err)
                    self.assertEqual(out, "")
                    self.assertEqual(err.count("\n"), 1, err)
                    self.assertTrue(err.startswith("peer_fib.py: "), err)

    def test_large_n_allowed_for_workloads_only(self):
        a = peer_fib.parse_args(["--name", "x", "--threads", "1", "--workload", "w.py", "--n", str(10 ** 9)])
        self.assertEqual((a.n, a.workload), (10 ** 9, "w.py"))
        self.assertIsNone(peer_fib.parse_args(["--name", "x", "--threads", "1", "--workload", "w.py"]).n)

    def test_through_peers_command(self):
        path = [p for p in WORKLOADS if p.endswith("/queue.py")][0]
        with tempfile.TemporaryDirectory() as d:
            pf, out = os.path.join(d, "peers.json"), os.path.join(d, "out.jsonl")
            with open(pf, "w") as f:
                json.dump({"peers": [{"name": "sys", "python": SYSTEM},
                                     {"name": "gone", "python": os.path.join(d, "nope"), "base": "sys"}]}, f)
            p = subprocess.run([SYSTEM, os.path.join(TOOLS, "peers.py"), pf, "--threads", "2", "--repeat", "1",
                                "--workload", path, "--n", "50", "--out", out],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
            self.assertEqual(p.returncode, 1)  # the missing peer failed
            with open(out) as f:
                recs = {r["config"]: r for r in map(json.loads, f)}
            self.assertEqual(recs["sys"]["status"], "ok", recs["sys"].get("failure"))
            self.assertEqual((recs["sys"]["workload"], recs["sys"]["n"], recs["sys"]["result"]), ("queue", 50, 50))
            self.assertEqual((recs["gone"]["status"], recs["gone"]["workload"], recs["gone"]["n"]),
                             ("failed", "queue", 50))

    def test_failed_point_without_n_is_placed_at_the_workloads_N(self):
        path = [p for p in WORKLOADS if p.endswith("/queue.py")][0]
        rec = peers.run_peer_point(os.path.join(self.tmp.name, "nope"), {},
                                   ["--name", "x", "--threads", "1", "--workload", path], TIMEOUT)
        self.assertEqual((rec["status"], rec["workload"]), ("failed", "queue"))
        with open(path) as f:
            self.assertIn("\nN = %d\n" % rec["n"], f.read())
        self.assertEqual(peers.peer_args({"name": "a"}, 2, None, workload="w.py"),
                         ["--name", "a", "--threads", "2", "--family", "peers", "--workload", "w.py"])


class PeersFile(unittest.TestCase):
    def load(self, data):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(data, f)
        try:
            return peers.load_peers(f.name)
        finally:
            os.unlink(f.name)

    def test_defaults(self):
        ps = self.load({"peers": [{"name": "a", "python": SYSTEM}, {"name": "b", "python": SYSTEM, "base": "a",
                                                                     "env": {"X": "1"}}]})
        self.assertEqual(ps[0]["env"], {})
        self.assertEqual(ps[0]["base"], "")
        self.assertEqual(peers.peer_args(ps[1], 2, 25), ["--name", "b", "--threads", "2", "--n", "25",
                                                          "--family", "peers", "--base", "a"])

    def test_refused(self):
        for data in [{}, {"peers": []}, {"peers": [{"name": "a"}]},
                     {"peers": [{"name": "a", "python": SYSTEM}, {"name": "a", "python": SYSTEM}]},
                     {"peers": [{"name": "a", "python": SYSTEM, "base": "zz"}]},
                     {"peers": [{"name": "a", "python": SYSTEM, "env": {"X": 1}}]}]:
            with self.subTest(data=data):
                with self.assertRaises(ValueError):
                    self.load(data)

    def test_command_appends_a_record_per_point(self):
        with tempfile.TemporaryDirectory() as d:
            pf, out = os.path.join(d, "peers.json"), os.path.join(d, "out.jsonl")
            with open(pf, "w") as f:
                json.dump({"peers": [{"name": "sys", "python": SYSTEM},
                                     {"name": "gone", "python": os.path.join(d, "nope"), "base": "sys"}]}, f)
            p = subprocess.run([SYSTEM, os.path.join(TOOLS, "peers.py"), pf, "--threads", "1,2", "--n", "5",
                                "--repeat", "2", "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=TIMEOUT)
            self.assertEqual(p.returncode, 1)  # the missing peer's points failed
            with open(out) as f:
                recs = [json.loads(line) for line in f]
            self.assertEqual(len(recs), 8)
            self.assertEqual(sorted((r["config"], r["threads"], r["repeat"]) for r in recs),
                             sorted((c, t, k) for c in ("sys", "gone") for t in (1, 2) for k in (1, 2)))
            for r in recs:
                self.assertEqual(r["status"], "ok" if r["config"] == "sys" else "failed")
                self.assertEqual(len({r["sweep_id"] for r in recs}), 1)
                self.assertEqual(set(r["disturbance"]), {"loadavg_1m", "steal_frac", "other_cpu_frac", "cpu_mhz"})
                self.assertEqual(r["baseline"], "sys" if r["config"] == "gone" else "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
