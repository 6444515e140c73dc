#!/usr/bin/python3
"""tools/peer_fib.py on every real interpreter on this machine, and
tools/peers.py's judgement of runs that go wrong. No assertion depends on
timing: a hung run hangs forever, a crash is a SIGKILL the run sends itself."""
import glob
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
