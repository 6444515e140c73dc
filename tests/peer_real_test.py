#!/usr/bin/python3
"""The hand-built real interpreters (the Gilectomy, nogil-3.9, free-threaded
builds...) named in the peers file, through `rclab sweep --peers`: every peer
runs fib(12) at 1 and 2 threads, right, and its record's gil_mode follows the
interpreter, not the peer's name.

Runs when the peers file exists (tests/conditions.py "peers-file": $RCLAB_PEERS,
else the cache folder scripts/peers.sh writes to); skipped as a whole otherwise.
When it exists every peer in it must work: a broken peer fails here.

    /usr/bin/python3 tests/peer_real_test.py [BUILD/experiments/rclab]

The peers come from `rclab peers --json FILE` (the one peers-file reader; the
tests never parse the file themselves).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import conditions
import pyrunner

N = 12
FIB_N = 233  # fib(12) with fib(0) = fib(1) = 1
TIMEOUT = 1800  # a bound on a run that never ends; nothing is timed


@conditions.needs("peers-file")
class HandBuiltPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.file = conditions.get("peers-file").value
        cls.rclab = conditions.rclab_bin()

    def peers(self):
        p = subprocess.run([self.rclab, "peers", self.file, "--json"], capture_output=True, text=True,
                           timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, f"rclab peers {self.file}: {p.stderr.strip()}")
        return json.loads(p.stdout)["peers"]

    def test_every_peer_runs_right_with_its_gil_mode(self):
        peers = {q["name"]: q for q in self.peers()}
        self.assertTrue(peers, f"{self.file} names no peer")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.jsonl")
            p = subprocess.run([self.rclab, "sweep", "--peers", self.file, "--threads", "1,2", "--n", str(N),
                                "--repeat", "1", "--max-repeats", "1", "--warmup", "0", "--no-ceiling",
                                "--out", out], capture_output=True, text=True, timeout=TIMEOUT)
            with open(out) as f:
                recs = [json.loads(line) for line in f if line.strip()]
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertEqual({(r["config"], r["threads"]) for r in recs},
                         {(name, t) for name in peers for t in (1, 2)})
        for r in recs:
            with self.subTest(peer=r["config"], threads=r["threads"]):
                self.assertEqual(r["status"], "ok", r.get("failure"))
                self.assertEqual((r["kind"], r["result"], r["calls"]), ("peer", FIB_N, r["threads"] * (2 * FIB_N - 1)))
                env = peers[r["config"]].get("env") or {}
                variant, gil = r["peer"]["variant"], r["settings"]["gil_mode"]
                if variant == "nogil":
                    self.assertEqual(gil, "on" if env.get("PYTHONGIL") == "1" else "off")
                elif variant == "gilectomy":
                    self.assertEqual(gil, "off")
                elif variant == "free-threaded":
                    self.assertEqual(gil, "on" if env.get("PYTHON_GIL") == "1" else "off")
                else:
                    self.assertEqual(gil, "on")


if __name__ == "__main__":
    sys.exit(pyrunner.main())
