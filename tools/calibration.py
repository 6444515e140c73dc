"""The calibration table: each model figure beside the real system's, and
their ratio, all with bootstrap intervals. The pairs are
families.CALIBRATION; a row whose model or real side is absent from the file
is kept and says "missing", so a reader sees what was not measured.
A model is only ever paired with a real interpreter measured on the same host
(points.Point.host): a file of several hosts gets each host's rows, and a
side measured only on another host is "missing" on this one.
"""
from dataclasses import dataclass

import families
import stats


@dataclass
class Row:
    model: str
    real: str
    figure: str
    n: int
    model_value: stats.Estimate = None
    real_value: stats.Estimate = None
    ratio: stats.Estimate = None
    missing: str = ""
    host: str = ""      # the host both sides were measured on


def _point(points, config, kind, n, threads):
    """The point of (config, kind, n, threads); `points` is one host's."""
    cands = sorted((p for p in points.values() if p.config == config and p.kind == kind and p.n == n
                    and p.threads == threads and p.ok), key=lambda p: p.label)
    return cands[0] if cands else None


def _figure(points, config, base, figure, n, kind):
    """(samples, fn) whose fn over the samples' medians is the figure, or a
    string saying what is missing."""
    name, _, arg = figure.partition(":")
    threads = int(arg) if arg else 1
    p1 = _point(points, config, kind, n, 1)
    pn = _point(points, config, kind, n, threads)
    if name == "wall1":
        return ([p1.values("wall_s")], lambda w: w) if p1 else f"{config} at 1 thread"
    if name == "scale":
        if not (p1 and pn):
            return f"{config} at 1 and {threads} threads"
        return [pn.values("wall_s"), p1.values("wall_s")], lambda wn, w1: wn / w1
    if not p1:
        return f"{config} at 1 thread"
    if base == "baseline":
        base = p1.baseline or p1.config if p1.baseline is not None else None
        if base is None:
            return f"{config}'s baseline (not recorded)"
    b = _point(points, base, kind, n, 1)
    if not b:
        return f"{base} at 1 thread"
    if name == "overhead":
        return ([p1.values("wall_s"), b.values("wall_s")], lambda w, wb: w / wb - 1) if p1 else f"{config} at 1 thread"
    if not pn:
        return f"{config} at {threads} threads"
    if name == "inflation":
        return [pn.values("cpu_s"), b.values("cpu_s")], lambda c, cb: c / (threads * cb)
    if name == "speedup":
        return [b.values("wall_s"), pn.values("wall_s")], lambda wb, w: threads * wb / w
    raise ValueError(f"unknown calibration figure {figure}")


def rows(points):
    """The calibration rows, host by host (one host: every pair, as before
    hosts were recorded; several: each host's pairs that have a side there)."""
    hosts = sorted({p.host for p in points.values()})
    out = []
    for host in hosts:
        mine = {k: p for k, p in points.items() if p.host == host}
        got = _rows(mine, host)
        if len(hosts) > 1:
            pairs_here = {(c, k) for c, k in ((p.config, p.kind) for p in mine.values())}
            got = [r for r in got if (r.model, "model") in pairs_here or (r.real, "peer") in pairs_here]
            for r in got:
                if r.missing:
                    r.missing += f" on host {host}"
        out += got
    return out


def _rows(points, host):
    ns = sorted({p.n for p in points.values() if p.kind != "ceiling"}) or [None]  # the ceiling has no n
    out = []
    peers = {p.config for p in points.values() if p.kind == "peer"}
    for pair in families.calibration_pairs(peers):
        for n in ns:
            for figure in pair["figures"]:
                row = Row(pair["model"], pair["real"], figure, n, host=host)
                m = _figure(points, pair["model"], pair["model_base"], figure, n, "model")
                r = _figure(points, pair["real"], pair["real_base"], figure, n, "peer")
                missing = [s for s in (m, r) if isinstance(s, str)]
                if not isinstance(m, str):
                    row.model_value = stats.ratio(*m)
                if not isinstance(r, str):
                    row.real_value = stats.ratio(*r)
                if missing:
                    row.missing = "missing: " + "; ".join(missing)
                elif row.model_value and row.real_value:
                    k = len(m[0])
                    fm, fr = m[1], r[1]
                    row.ratio = stats.ratio(m[0] + r[0], lambda *x, k=k, fm=fm, fr=fr: fm(*x[:k]) / fr(*x[k:]))
                out.append(row)
    return out


ORDER_EXPLAIN = (
    "For each calibration pair with a scaling figure (scale:N = wall(N)/wall(1)), the workloads ordered by "
    "that figure on the model and on the real interpreter: the share of workload pairs both put in the same "
    "order (ties on either side count as agreeing). Medians only, one host at a time.")


def order_agreement(points):
    """[(model, real, figure, host, agreeing, pairs, discordant [(w1, w2)])] for every CALIBRATION pair's
    scale:N figure, over the workloads where both sides have the figure."""
    out = []
    for host in sorted({p.host for p in points.values()}):
        mine = {k: p for k, p in points.items() if p.host == host}
        peers = {p.config for p in mine.values() if p.kind == "peer"}
        for pair in families.calibration_pairs(peers):
            for figure in pair["figures"]:
                if not figure.startswith("scale:"):
                    continue
                by_w = {}
                for w in sorted({p.workload for p in mine.values() if p.kind != "ceiling"}):
                    sub = {k: p for k, p in mine.items() if p.workload == w}
                    ns = sorted({p.n for p in sub.values()})
                    for n in ns:
                        m = _figure(sub, pair["model"], pair["model_base"], figure, n, "model")
                        r = _figure(sub, pair["real"], pair["real_base"], figure, n, "peer")
                        if not isinstance(m, str) and not isinstance(r, str):
                            mv, rv = stats.ratio(*m), stats.ratio(*r)
                            if mv and rv:
                                by_w[w] = (mv.value, rv.value)
                ws = sorted(by_w)
                pairs = [(a, b) for i, a in enumerate(ws) for b in ws[i + 1:]]
                if not pairs:
                    continue
                bad = [(a, b) for a, b in pairs
                       if (by_w[a][0] - by_w[b][0]) * (by_w[a][1] - by_w[b][1]) < 0]
                out.append((pair["model"], pair["real"], figure, host, len(pairs) - len(bad), len(pairs), bad))
    return out


def order_lines(order_rows):
    """One line per order_agreement row."""
    out = []
    for model, real, figure, host, agree, pairs, bad in order_rows:
        line = f"{model} vs {real}, {figure} (host {host}): {agree} of {pairs} workload pairs in the same order ({100 * agree / pairs:.0f}%)"
        if bad:
            line += "; reversed: " + ", ".join(f"{a}/{b}" for a, b in bad)
        out.append(line)
    return out
