#!/usr/bin/python3
"""rclab compare: two sweeps, or two configurations in one sweep, point by point.

Usage: compare.py A.jsonl B.jsonl
       compare.py FILE.jsonl --configs A,B

For every point present on both sides — (config, threads, n) across two
files, or (threads, n) between two configurations — prints the median wall
and CPU time of each side, the ratio B/A of the medians, and the two-sided
Mann-Whitney U p-value of the repeats (scipy.stats.mannwhitneyu: no
normality assumed, fine for the skewed timings of a shared machine). With
few repeats even a total separation cannot reach p < 0.05 (3 against 3:
the smallest possible p is 0.10); such rows are flagged rather than read.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rclab_records import fail, group, median, read_records  # noqa: E402

PROG = "compare"
ALPHA = 0.05


def smallest_p(n1, n2):
    """The smallest two-sided p the exact test can give: complete separation."""
    return min(1.0, 2.0 / math.comb(n1 + n2, n1))


def compare_samples(a, b):
    from scipy.stats import mannwhitneyu
    if len(a) < 1 or len(b) < 1:
        return None
    if min(a) == max(a) == min(b) == max(b):
        return 1.0
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        fail(PROG, message)


def main():
    ap = Parser(prog="rclab compare", description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--configs")
    args = ap.parse_args()
    if len(args.files) > 2:
        fail(PROG, "give at most two files")
    for f in args.files:
        if not os.path.isfile(f):
            fail(PROG, f"no such file: {f}")
    if len(args.files) == 1:
        if not args.configs or len(args.configs.split(",")) != 2:
            fail(PROG, "with one file, give --configs A,B")
        ca, cb = args.configs.split(",")
        pts = group(read_records(args.files[0]))
        known = sorted({k[0] for k in pts})
        for c in (ca, cb):
            if c not in known:
                fail(PROG, f"configuration '{c}' is not in {args.files[0]} (it has: {', '.join(known)})")
        side_a = {(n, t): p for (c, n, t), p in pts.items() if c == ca}
        side_b = {(n, t): p for (c, n, t), p in pts.items() if c == cb}
        rows = [((f"{ca} → {cb}", t, n), side_a[(n, t)]["ok"], side_b[(n, t)]["ok"])
                for (n, t) in sorted(set(side_a) & set(side_b))]
        title = f"{cb} against {ca} in {args.files[0]}"
    else:
        if args.configs:
            fail(PROG, "--configs is for comparing two configurations within one file")
        pa, pb = (group(read_records(f)) for f in args.files)
        rows = [((c, t, n), pa[(c, n, t)]["ok"], pb[(c, n, t)]["ok"]) for (c, n, t) in sorted(set(pa) & set(pb))]
        title = f"{args.files[1]} against {args.files[0]}"
    if not rows:
        fail(PROG, "no point appears on both sides")

    print(f"# {title}\n")
    print("ratio = median(B) / median(A); p = two-sided Mann-Whitney U over the repeats.\n")
    print("| point | threads | n | runs A/B | wall A | wall B | wall ratio | p | CPU ratio | p | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    weak = 0
    for (name, t, n), a, b in rows:
        if not a or not b:
            print(f"| {name} | {t} | {n} | {len(a)}/{len(b)} | — | — | — | — | — | — | no successful runs on one side |")
            continue
        wa, wb = [r["wall_s"] for r in a], [r["wall_s"] for r in b]
        ca_, cb_ = [r["cpu_s"] for r in a], [r["cpu_s"] for r in b]
        pw, pc = compare_samples(wa, wb), compare_samples(ca_, cb_)
        note = ""
        if smallest_p(len(a), len(b)) >= ALPHA:
            weak += 1
            note = f"too few repeats: p cannot go below {smallest_p(len(a), len(b)):.2f}"
        print(f"| {name} | {t} | {n} | {len(a)}/{len(b)} | {median(a, 'wall_s'):.4f} | {median(b, 'wall_s'):.4f} | "
              f"{median(b, 'wall_s') / median(a, 'wall_s'):.3f} | {pw:.3g} | "
              f"{median(b, 'cpu_s') / median(a, 'cpu_s'):.3f} | {pc:.3g} | {note} |")
    if weak:
        print(f"\n{weak} of {len(rows)} rows have too few repeats for p < {ALPHA} to be possible; "
              "rerun with more --repeat (5 against 5 can reach p = 0.008).")
        print(f"rclab compare: warning: {weak} rows have too few repeats to say anything", file=sys.stderr)


if __name__ == "__main__":
    main()
