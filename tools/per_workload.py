"""The report's summaries across workloads, when a file has several:

  worst(points, derived)    "Worst workload per configuration": for each model
      configuration and workload, wall(config, w, T) / wall(gil, w, T) at the
      largest thread count T at which both ran w, with its 95% bootstrap
      interval (tools/stats.py), and the configuration's scaling
      N x wall(1) / wall(N) at that T (against its own 1-thread wall, same
      workload). The workload with the largest ratio is the configuration's
      worst: where it loses most to the GIL.

  ranking(points)           "Ranking vs the real interpreters": per workload and
      thread count, the three model configurations of families.RANKING
      ordered by median wall time, beside the real interpreters they model
      (families.CALIBRATION's pairs) ordered the same way, and whether the
      two orders agree. A side with a point missing says which.

Both take the points of the whole file (tools/points.py) and keep every
figure within one workload.
"""
from dataclasses import dataclass, field

import families
import stats
from points import find_base, workloads_of

GIL = "gil"


@dataclass
class WorstRow:
    label: str            # the configuration (with its variant tag)
    workload: str
    threads: int = None   # T: the largest thread count with both it and gil; None when there is none
    ratio: stats.Estimate = None
    scaling: stats.Estimate = None
    worst: bool = False
    missing: str = ""


def worst(points, derived):
    """[WorstRow], grouped by configuration (table order), workloads in
    workloads_of order; `worst` marks each configuration's largest ratio."""
    wls = workloads_of(points)
    if not any(p.config == GIL and p.kind == "model" and p.ok for p in points.values()):
        return []  # nothing to read against: the table would be all "no gil point"
    labels = sorted({(p.family, p.label) for p in points.values() if p.kind == "model" and p.config != GIL and p.ok},
                    key=lambda fl: (families.family_sort_key(fl[0]), fl[1]))
    out = []
    for _, label in labels:
        rows = []
        for w in wls:
            row = WorstRow(label, w)
            mine = {p.threads: p for p in points.values()
                    if p.kind == "model" and p.label == label and p.workload == w and p.ok}
            both = [(t, p, find_base(points, p, GIL, threads=t, kind="model")) for t, p in mine.items()]
            both = [b for b in both if b[2] is not None]
            if not mine:
                row.missing = "not run"
            elif not both:
                row.missing = "no gil point at its thread counts"
            else:
                t, p, g = max(both, key=lambda b: b[0])
                row.threads = t
                row.ratio = stats.ratio([p.values("wall_s"), g.values("wall_s")], lambda w_, wg: w_ / wg)
                row.scaling = derived[p.key].scaling if t > 1 else None
                if row.ratio is None:
                    row.missing = "zero wall"
            rows.append(row)
        have = [r for r in rows if r.ratio is not None]
        if have:
            max(have, key=lambda r: r.ratio.value).worst = True
        out += rows
    return out


@dataclass
class RankRow:
    workload: str
    threads: int
    model: list = field(default_factory=list)   # [(config, Estimate)], fastest first
    real: list = field(default_factory=list)    # [(real name, Estimate)], fastest first
    agree: bool = None                           # None when a side is incomplete
    missing: list = field(default_factory=list)  # what was not in the file
    close: list = field(default_factory=list)    # neighbours whose 95% intervals overlap
    partial: bool = None                         # with a side incomplete: do the pairs both have agree?


def _median_wall(points, config, kind, workload, threads, host):
    cands = sorted((p for p in points.values() if p.config == config and p.kind == kind and p.workload == workload
                    and p.threads == threads and p.host == host and p.ok), key=lambda p: p.label)
    return stats.median(cands[0].values("wall_s")) if cands else None


def _overlap(a, b):
    return a.lo is not None and b.lo is not None and a.lo <= b.hi and b.lo <= a.hi


def ranking(points):
    """[RankRow] per workload (workloads_of order) and thread count; with
    several hosts, per host too (the workload cell says `@HOST`): a model is
    only ranked beside real interpreters of its own host."""
    pairs = families.ranking_pairs({p.config for p in points.values() if p.kind == "peer"})
    real_of = dict(pairs)
    out = []
    hosts = sorted({p.host for p in points.values()})
    for w, host in ((w, h) for w in workloads_of(points) for h in hosts):
        threads = sorted({p.threads for p in points.values() if p.workload == w and p.ok and p.host == host
                          and (p.config, p.kind) in {(m, "model") for m, _ in pairs} | {(r, "peer") for _, r in pairs}})
        for t in threads:
            row = RankRow(w if len(hosts) == 1 else f"{w} @{host}", t)
            for side, kind, names in (("model", "model", [m for m, _ in pairs]), ("real", "peer", [r for _, r in pairs])):
                got = []
                for name in names:
                    e = _median_wall(points, name, kind, w, t, host)
                    if e is None:
                        row.missing.append(f"{name} ({'real' if kind == 'peer' else 'model'})")
                    else:
                        got.append((name, e))
                got.sort(key=lambda ne: (ne[1].value, ne[0]))
                setattr(row, side, got)
                row.close += [f"{a[0]} ≈ {b[0]}" for a, b in zip(got, got[1:]) if _overlap(a[1], b[1])]
            present = {r for r, _ in row.real}
            common = [real_of[m] for m, _ in row.model if real_of[m] in present]
            if not row.missing:
                row.agree = common == [r for r, _ in row.real]
            elif len(common) >= 2:  # the pairs both sides have: do they agree?
                row.partial = common == [r for r, _ in row.real if r in common]
            out.append(row)
    return out


# --- as table cells, shared by report.md and report.html ---------------------

WORST_HEADER = ["config", "workload", "T", "wall / gil wall at T [95%]", "scaling N×wall(1)/wall(N) at T", "worst"]

RANK_HEADER = ["workload", "threads", "model, fastest first", "real, fastest first", "same order?", "close calls"]

WORST_EXPLAIN = (
    "For each model configuration and workload: its wall time over `gil`'s, same workload, at the largest thread "
    "count T at which both ran it (median ratio, 95% bootstrap interval resampling both points' repeats), and its "
    "scaling against its own 1-thread wall (N × wall(1) / wall(N); — at T = 1). **worst** marks the workload "
    "with the largest ratio: where the configuration loses most to the GIL.")

RANK_EXPLAIN = (
    "Per workload and thread count, by median wall time, fastest first: the model configurations "
    + ", ".join(f"`{m}`" for m, _ in families.ranking_pairs())
    + " and the real interpreters they model (" + ", ".join(f"`{m}` → `{r}`" for m, r in families.ranking_pairs())
    + ", tools/families.py CALIBRATION). **same order?** says whether the real interpreters, each named by its "
    "model, come in the model's order. **close calls** names neighbours whose 95% intervals overlap: their order "
    "could flip on another run.")


def worst_cells(rows):
    out = []
    for r in rows:
        out.append([r.label, r.workload, "—" if r.threads is None else str(r.threads),
                    r.missing or r.ratio.fmt("{:.2f}"),
                    "—" if r.scaling is None else r.scaling.fmt("{:.2f}"),
                    "worst" if r.worst else ""])
    return out


def worst_summary(rows):
    """One line per configuration: its worst workload."""
    return [f"{r.label}: worst on {r.workload} ({r.ratio.value:.2f}× gil at {r.threads} threads)"
            for r in rows if r.worst]


def rank_cells(rows):
    out = []
    for r in rows:
        fmt = lambda side: " < ".join(f"{n} {e.value:.4g}s" for n, e in side) or "—"  # noqa: E731
        agree = "yes" if r.agree else "no" if r.agree is False else "missing: " + ", ".join(r.missing)
        if r.partial is not None:
            agree += f" (the pairs on both sides: {'same order' if r.partial else 'different order'})"
        out.append([r.workload, str(r.threads), fmt(r.model), fmt(r.real), agree, "; ".join(r.close)])
    return out
