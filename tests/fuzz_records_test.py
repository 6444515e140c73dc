#!/usr/bin/python3
"""The Python reader against hostile input: every file of the libFuzzer
corpus (fuzz/corpus/records/, shared with the C++ reader's fuzzer) and a few
thousand seeded mutations of fixture lines. The reader may return records
or raise BadInput (the one-line refusal); anything else — a KeyError, a
TypeError, a RecursionError — is a bug. Records the reader accepts go
through the whole analysis (grouping, derived figures, table, calibration),
which must not raise either. Deterministic: fixed seed, no timing."""
import io
import json
import os
import random
import sys
import tempfile
import unittest

import pyrunner

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))

import calibration  # noqa: E402
import derived  # noqa: E402
import points  # noqa: E402
import table  # noqa: E402
from rclab_records import BadInput, read_records  # noqa: E402

CORPUS = os.path.join(ROOT, "fuzz", "corpus", "records")
SEED = 1013
MUTATIONS = 3000
ANALYSED = 150  # full analysis on this many accepted mutants (the bootstrap is the slow part)

TOKENS = [b"NaN", b"-Infinity", b"1e999", b"-1", b"0", b"null", b"true", b'"x"', b"[]", b"{}", b"{", b"]", b",",
          b'"', b"\\u0000", b"\xff", b"\xc3", b"\n", b"99999999999999999999999", b"1.5", b'"threads"', b'"wall_s"']
VALUES = [None, True, False, 0, -1, 1, 2 ** 70, 0.0, 1e-300, 1e300, "", "x", "gil", [], {}, [1.0], {"a": 1},
          "\u00e9\u2603", 3.5]


def fixture_lines():
    lines = []
    for name in ("small.jsonl", "v2_sweep.jsonl"):
        with open(os.path.join(HERE, "fixtures", name), encoding="utf-8") as f:
            lines += [ln for ln in f.read().splitlines() if ln.strip()][:60]
    return lines


def mutate_bytes(rng, line):
    b = bytearray(line.encode())
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        i = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op == 1:
            del b[i:i + rng.randint(1, 20)]
        elif op == 2:
            b[i:i] = rng.choice(TOKENS)
        else:
            j = rng.randrange(len(b) + 1)
            b[i:i] = b[min(i, j):max(i, j)][:50]
    return bytes(b)


def mutate_structure(rng, line):
    """Valid JSON with one field set to a value of another type or range:
    what a schema must catch, and what analysis sees when it does not."""
    rec = json.loads(line)
    target = rec
    keys = list(rec)
    key = rng.choice(keys)
    if isinstance(rec[key], dict) and rec[key] and rng.random() < 0.5:
        target, key = rec[key], rng.choice(list(rec[key]))
    if rng.random() < 0.2:
        target.pop(key)
    else:
        target[key] = rng.choice(VALUES)
    return json.dumps(rec).encode()


class Fuzz(unittest.TestCase):
    def read(self, data):
        with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as f:
            f.write(data)
        try:
            return read_records(f.name, warn=io.StringIO())
        except BadInput as e:
            msg = str(e)
            self.assertNotIn("\n", msg)
            return None
        finally:
            os.unlink(f.name)

    def analyse(self, recs):
        pts, _ = points.group(recs)
        d = derived.derive_all(pts, points.cores_of(recs))
        table.build(pts, d)
        calibration.rows(pts)
        derived.ceiling(pts)

    def test_corpus(self):
        # The corpus is committed (fuzz/corpus/records/): without it this is a broken tree, not a skip.
        self.assertTrue(os.path.isdir(CORPUS), f"no corpus at {CORPUS}")
        files = sorted(os.listdir(CORPUS))
        self.assertGreater(len(files), 10, f"the corpus at {CORPUS} is (nearly) empty")
        accepted = 0
        for name in files:
            with open(os.path.join(CORPUS, name), "rb") as f:
                data = f.read()
            try:
                recs = self.read(data)
                if recs:
                    accepted += 1
                    self.analyse(recs)
            except Exception as e:  # noqa: BLE001
                self.fail(f"corpus file {name}: {type(e).__name__}: {e}")
        print(f"corpus: {len(files)} files, {accepted} with records", file=sys.stderr)

    def test_mutations(self):
        rng = random.Random(SEED)
        lines = fixture_lines()
        accepted = analysed = 0
        for i in range(MUTATIONS):
            picked = rng.sample(lines, 4)
            k = rng.randrange(len(picked))
            mutant = mutate_structure(rng, picked[k]) if rng.random() < 0.5 else mutate_bytes(rng, picked[k])
            data = b"\n".join(ln.encode() for ln in picked[:k]) + (b"\n" if k else b"") + mutant + b"\n" \
                + b"\n".join(ln.encode() for ln in picked[k + 1:])
            try:
                recs = self.read(data)
                if recs:
                    accepted += 1
                    if analysed < ANALYSED:
                        analysed += 1
                        self.analyse(recs)
            except Exception as e:  # noqa: BLE001
                self.fail(f"mutation {i} (seed {SEED}): {type(e).__name__}: {e}\n{mutant[:300]!r}")
        print(f"mutations: {MUTATIONS}, {accepted} accepted, {analysed} analysed", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(pyrunner.main())
