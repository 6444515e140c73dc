#!/usr/bin/python3
"""The repository stays lean: the git-tracked bytes under results/ must not
exceed the size budget that results/README.md states, in one line of the form
`Size budget: N MB` (MB = 10^6 bytes). That line is the one place the budget is
set; this test reads it from there. It also checks, on a throwaway git
repository, that the same function fails for a results/ one byte over the
budget and passes at the budget.

Counts the index (what a commit would hold: `git ls-files` and the blobs'
sizes), not the working tree, so results/latest/ and regenerated report.html
files (.gitignore) never count. In a tree that is not a git checkout it counts
every file under results/ instead, and says so.

    /usr/bin/python3 tests/results_size_test.py
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

import pyrunner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET_LINE = re.compile(r"^Size budget: (\d+) MB\b", re.M)


def budget_bytes(root=ROOT):
    """The budget results/README.md states, in bytes."""
    with open(os.path.join(root, "results", "README.md"), encoding="utf-8") as f:
        m = BUDGET_LINE.search(f.read())
    if not m:
        raise AssertionError("results/README.md states no `Size budget: N MB` line")
    return int(m.group(1)) * 10 ** 6


def tracked_bytes(root=ROOT, folder="results"):
    """(bytes, files, how) of what git tracks under `folder` of `root`."""
    p = subprocess.run(["git", "-C", root, "ls-files", "-s", "-z", "--", folder], capture_output=True, timeout=120)
    if p.returncode != 0:
        total = files = 0
        for d, _, names in os.walk(os.path.join(root, folder)):
            for n in names:
                total += os.path.getsize(os.path.join(d, n))
                files += 1
        return total, files, "every file (not a git checkout)"
    shas = [entry.split(b" ")[1].decode() for entry in p.stdout.split(b"\0") if entry]
    if not shas:
        return 0, 0, "git index"
    q = subprocess.run(["git", "-C", root, "cat-file", "--batch-check=%(objectsize)"], input="\n".join(shas) + "\n",
                       capture_output=True, text=True, check=True, timeout=120)
    return sum(int(x) for x in q.stdout.split()), len(shas), "git index"


def check(root=ROOT, budget=None):
    """None when results/ is within the budget, else the one line saying by how much."""
    budget = budget_bytes(root) if budget is None else budget
    size, files, how = tracked_bytes(root)
    if size > budget:
        return (f"results/ holds {size:,} bytes in {files} files ({how}), over the budget of {budget:,} "
                f"(results/README.md): commit records, report.md and PNG plots only")
    return None


class Size(unittest.TestCase):
    def test_results_within_the_budget(self):
        budget = budget_bytes()
        size, files, how = tracked_bytes()
        print(f"results/: {size:,} bytes in {files} files ({how}); budget {budget:,}", file=sys.stderr)
        self.assertIsNone(check())

    def test_the_check_fails_over_the_budget(self):
        with tempfile.TemporaryDirectory() as d:
            git = ["git", "-C", d, "-c", "user.email=t@t", "-c", "user.name=t"]
            subprocess.run(git + ["init", "-q"], check=True, timeout=60)
            os.makedirs(os.path.join(d, "results"))
            with open(os.path.join(d, "results", "README.md"), "w") as f:
                f.write("# results/\n\nSize budget: 1 MB\n")
            big = os.path.join(d, "results", "big.jsonl")
            with open(big, "wb") as f:
                f.write(b"x" * (10 ** 6 - os.path.getsize(os.path.join(d, "results", "README.md"))))
            subprocess.run(git + ["add", "results"], check=True, timeout=60)
            self.assertIsNone(check(d), "exactly at the budget is within it")
            with open(big, "ab") as f:
                f.write(b"x")
            self.assertIsNone(check(d), "the working tree does not count until it is added")
            subprocess.run(git + ["add", "results"], check=True, timeout=60)
            why = check(d)
            self.assertIsNotNone(why)
            self.assertIn("1,000,001 bytes in 2 files", why)
            untracked = os.path.join(d, "results", "report.html")
            with open(untracked, "wb") as f:
                f.write(b"y" * 10 ** 6)
            self.assertEqual(tracked_bytes(d)[0], 10 ** 6 + 1)

    def test_the_budget_is_stated(self):
        self.assertEqual(budget_bytes() % 10 ** 6, 0)
        self.assertGreater(budget_bytes(), 0)


if __name__ == "__main__":
    sys.exit(pyrunner.main())
