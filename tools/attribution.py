"""Per-mechanism attribution: what one axis does to a milestone.

A milestone changes several axes at once against a configuration of
another family (`py313t` against `py313`, as 3.13t against 3.13). Its
ablations are the configurations of its family read against it, each one
axis away (`py313t-pep683`: without 3.13t's immortalisation), or against
another ablation, one axis further (`py313t-ptrc` against
`py313t-deferred`). For each ablation A, the configuration B it is read
against, and each workload, this gives, with 95% bootstrap intervals over
the repeats of every point involved:

  overhead change    (wall_A(1) - wall_B(1)) / wall_R(1), in points of the
                     milestone's single-thread overhead over R (the
                     milestone's baseline): positive means A is slower than
                     B, so the mechanism A lacks was saving that much;
  inflation change   CPU_A(2)/(2 CPU_A(1)) - CPU_B(2)/(2 CPU_B(1)): each
                     against its own single thread, as the calibration's
                     inflation:2.

Only model points are used; a point missing at 1 or 2 threads leaves its
cell empty ("-").
"""
from collections import defaultdict

import stats

EXPLAIN = (
    "Each row is a configuration one axis away from the configuration it is read against (its baseline): a "
    "milestone (a configuration that changes several axes against another family's, as `py313t` against "
    "`py313`) or another row of the milestone's family. **overhead** is the change in single-thread overhead, "
    "in points of the milestone's baseline's wall time: (wall(1) of the row − wall(1) of the configuration it "
    "is read against) / wall(1) of the milestone's baseline; positive: slower without what the row removes. "
    "**inflation** is the change in CPU inflation at 2 threads, each configuration against its own single "
    "thread. 95% bootstrap intervals over every point's repeats; `-`: a point is missing.")


def _points_by(points):
    by = {}
    for p in points.values():
        if p.kind == "model" and p.ok:
            by.setdefault((p.config, p.workload, p.threads), p)
    return by


def _milestone(c, family, baseline):
    """The milestone c's chain of baselines reaches within c's family (c's
    baseline, or its baseline's, ...), or None."""
    seen = set()
    m = baseline.get(c)
    while m in family and family[m] == family[c] and m not in seen:
        r = baseline.get(m)
        if r and r in family and family[r] != family[m]:
            return m
        seen.add(m)
        m = r
    return None


def rows(points):
    """[(ablation, against, milestone's base, {workload: (overhead Estimate|None, inflation Estimate|None)})],
    ablations in name order: `against` is the ablation's baseline (the milestone, or another ablation)."""
    by = _points_by(points)
    one = {c: p for (c, w, t), p in by.items() if t == 1}
    family = {c: p.family for c, p in one.items()}
    baseline = {c: p.baseline for c, p in one.items()}
    out = []
    for a in sorted(family):
        m = baseline.get(a)  # what a is read against: one axis away
        if not m or m not in family or family[m] != family[a]:
            continue
        milestone = _milestone(a, family, baseline)
        if milestone is None:
            continue
        r = baseline[milestone]
        cells = {}
        workloads = sorted({w for (c, w, t) in by if c == a})
        for w in workloads:
            a1, m1, r1 = by.get((a, w, 1)), by.get((m, w, 1)), by.get((r, w, 1))
            a2, m2 = by.get((a, w, 2)), by.get((m, w, 2))
            over = infl = None
            if a1 and m1 and r1:
                over = stats.ratio([a1.values("wall_s"), m1.values("wall_s"), r1.values("wall_s")],
                                   lambda wa, wm, wr: (wa - wm) / wr)
            if a1 and m1 and a2 and m2:
                infl = stats.ratio([a2.values("cpu_s"), a1.values("cpu_s"), m2.values("cpu_s"), m1.values("cpu_s")],
                                   lambda ca2, ca1, cm2, cm1: ca2 / (2 * ca1) - cm2 / (2 * cm1))
            cells[w] = (over, infl)
        out.append((a, m, r, cells))
    return out


def _fmt(e, spec):
    return "-" if e is None else e.fmt(spec)


def tables(att_rows):
    """Two (header, rows) tables, overhead then inflation, workloads as columns."""
    workloads = sorted({w for _, _, _, cells in att_rows for w in cells})
    header = ["ablation", "against"] + workloads
    over, infl = [], []
    for a, m, r, cells in att_rows:
        over.append([a, f"{m} (over {r})"] + [_fmt(cells.get(w, (None, None))[0], "{:+.2f}") for w in workloads])
        infl.append([a, m] + [_fmt(cells.get(w, (None, None))[1], "{:+.2f}") for w in workloads])
    return (header, over), (header, infl)


def deciding(att_rows, which=0):
    """Per workload, the ablation whose change is largest — in overhead
    (which=0) or in 2-thread inflation (which=1) — with its interval: the
    mechanism that decides that workload's single-thread cost or its scaling
    (lines of text)."""
    best = defaultdict(list)
    for a, m, r, cells in att_rows:
        for w, pair in cells.items():
            e = pair[which]
            if e is not None:
                best[w].append((abs(e.value), a, e))
    return [f"{w}: {max(v)[1]} ({max(v)[2].fmt('{:+.2f}')})" for w, v in sorted(best.items())]
