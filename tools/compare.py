#!/usr/bin/python3
"""rclab compare: two sweeps, or two configurations in one sweep, point by point.

Usage: compare.py A.jsonl B.jsonl
       compare.py FILE.jsonl --configs A,B

Points are matched by (kind, config, workload, n, threads) across two
files, or by (workload, n, threads) between two configurations of one file; when a side holds
several variants (policies, settings, build, host) of one point, only the same
variant is matched. Before the table it says which axes differ between
the sides — policies, settings, build, host — so a ratio is never read as the
effect of one axis when three moved.

Per point: the median wall and CPU time of each side, the ratio B/A of the
medians with its 95% bootstrap interval (tools/stats.py: each side's
repeats resampled independently), and the two-sided Mann-Whitney U p-value
of the repeats (scipy.stats.mannwhitneyu: no normality assumed, fine for the
skewed timings of a shared machine). With few repeats even a total
separation cannot reach p < 0.05 (3 against 3: the smallest possible p is
0.10); such rows are flagged rather than read.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402
from points import group  # noqa: E402
from rclab_records import BadInput, Parser, check_input, read_records, run_cli  # noqa: E402

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


AXES = ("policies", "settings", "build", "host")  # points.Point.variant's order


def _axis_values(points, axis):
    i = AXES.index(axis)
    return sorted({p.variant[i] for p in points})


def _describe(values, axis):
    if values in ([""], ["unknown"]):
        return "not recorded"
    out = []
    for v in values:
        try:
            obj = json.loads(v)
        except ValueError:
            # a build id is a long digest, its first 16 digits name it; a host id is read whole
            out.append((v[:16] if axis == "build" else v) if v else "not recorded")
            continue
        out.append(", ".join(f"{k}={obj[k]}" for k in sorted(obj)) if isinstance(obj, dict) else str(obj))
    return " | ".join(out)


def differing_axes(side_a, side_b):
    """Lines saying, for policies, settings, build and host, whether the two
    sides differ and how."""
    lines = []
    for axis in AXES:
        va, vb = _axis_values(side_a, axis), _axis_values(side_b, axis)
        if va == vb:
            lines.append(f"- same {axis}: {_describe(va, axis)}")
        elif len(va) == len(vb) == 1 and va[0].startswith("{") and vb[0].startswith("{"):
            da, db = json.loads(va[0]), json.loads(vb[0])  # one value a side: name only the keys that moved
            moved = [f"{k}: {da.get(k, '(absent)')} → {db.get(k, '(absent)')}" for k in sorted(set(da) | set(db))
                     if da.get(k) != db.get(k)]
            lines.append(f"- **{axis} differ**: " + "; ".join(moved))
        else:
            lines.append(f"- **{axis} differ**: A {_describe(va, axis)}; B {_describe(vb, axis)}")
    return lines


def match(side_a, side_b, key):
    """[(name, threads, n, Point A, Point B)] for every point on both sides."""
    def index(side):
        out = {}
        for p in side:
            out.setdefault(key(p), []).append(p)
        return out
    ia, ib = index(side_a), index(side_b)
    rows = []
    for k in sorted(set(ia) & set(ib), key=str):
        pa, pb = ia[k], ib[k]
        if len(pa) == 1 and len(pb) == 1:
            rows.append((pa[0], pb[0]))
            continue
        # Several variants: pair only identical (settings, build, host), never pool.
        for a in pa:
            for b in pb:
                if a.variant[1:] == b.variant[1:]:
                    rows.append((a, b))
    return rows


def main():
    ap = Parser(PROG, description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--configs")
    args = ap.parse_args()
    if len(args.files) > 2:
        raise BadInput("give at most two files")
    for f in args.files:
        check_input(f)
    if len(args.files) == 1:
        parts = (args.configs or "").split(",")
        if len(parts) != 2 or not all(parts):
            raise BadInput("with one file, give --configs A,B")
        ca, cb = parts
        if ca == cb:
            raise BadInput(f"--configs names {ca} twice: give two different configurations")
        pts, _ = group(read_records(args.files[0]))
        known = sorted({p.config for p in pts.values()})
        for c in (ca, cb):
            if c not in known:
                raise BadInput(f"configuration '{c}' is not in {args.files[0]} (it has: {', '.join(known)})")
        side_a = [p for p in pts.values() if p.config == ca]
        side_b = [p for p in pts.values() if p.config == cb]
        pairs = match(side_a, side_b, lambda p: (p.workload, p.n, p.threads))
        name = lambda a, b: f"{a.label} → {b.label}"  # noqa: E731
        title = f"{cb} against {ca} in {args.files[0]}"
    else:
        if args.configs:
            raise BadInput("--configs is for comparing two configurations within one file")
        (pa, _), (pb, _) = (group(read_records(f)) for f in args.files)
        side_a, side_b = list(pa.values()), list(pb.values())
        pairs = match(side_a, side_b, lambda p: (p.kind, p.config, p.workload, p.n, p.threads))
        name = lambda a, b: a.label if a.label == b.label else f"{a.label} / {b.label}"  # noqa: E731
        title = f"{args.files[1]} against {args.files[0]}"
    if not pairs:
        by = "config, n and threads" if all(p.workload in ("fib", "") for p in side_a + side_b) \
            else "config, workload, n and threads"
        raise BadInput(f"no point appears on both sides (matched by {by})")

    print(f"# {title}\n")
    print("What differs between A and B (over the matched points):\n")
    print("\n".join(differing_axes([a for a, _ in pairs], [b for _, b in pairs])) + "\n")
    print("ratio = median(B) / median(A), [95% bootstrap interval, each side resampled independently]; "
          "p = two-sided Mann-Whitney U over the repeats.\n")
    print("| point | threads | n | runs A/B | wall A | wall B | wall ratio | p | CPU ratio | p | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    weak = 0
    # Name the workload in each row only when some point ran another than fib.
    wl = any(a.workload not in ("fib", "") for a, _ in pairs)
    for a, b in sorted(pairs, key=lambda ab: (ab[0].label, ab[0].workload, ab[0].n, ab[0].threads)):
        row = f"| {name(a, b)}{f' [{a.workload}]' if wl and a.workload else ''} | {a.threads} | {a.n} | {len(a.ok)}/{len(b.ok)} |"
        if not a.ok or not b.ok:
            print(row + " — | — | — | — | — | — | no successful runs on one side |")
            continue
        wa, wb, ca_, cb_ = a.values("wall_s"), b.values("wall_s"), a.values("cpu_s"), b.values("cpu_s")
        rw = stats.ratio([wa, wb], lambda x, y: y / x)
        rc = stats.ratio([ca_, cb_], lambda x, y: y / x)
        pw, pc = compare_samples(wa, wb), compare_samples(ca_, cb_)
        note = []
        if smallest_p(len(a.ok), len(b.ok)) >= ALPHA:
            weak += 1
            note.append(f"too few repeats: p cannot go below {smallest_p(len(a.ok), len(b.ok)):.2f}")
        for side, s in (("A", wa), ("B", wb)):
            m = stats.bimodal(s)
            if m:
                note.append(f"wall {side} {m.describe()}")
        fmt = lambda e: "— (zero median)" if e is None else e.fmt("{:.3f}")  # noqa: E731
        print(row + f" {stats.median(wa).value:.4f} | {stats.median(wb).value:.4f} | {fmt(rw)} | {pw:.3g} | "
              f"{fmt(rc)} | {pc:.3g} | {'; '.join(note)} |")
    if weak:
        print(f"\n{weak} of {len(pairs)} rows have too few repeats for p < {ALPHA} to be possible; "
              "rerun with more --repeat (5 against 5 can reach p = 0.008).")
        print(f"rclab compare: warning: {weak} rows have too few repeats to say anything", file=sys.stderr)


if __name__ == "__main__":
    run_cli(PROG, main)
