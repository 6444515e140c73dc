"""The derived figures of every point, with intervals, and the flags on
values that cannot be true. Definitions (docs/design.md), for a point at N
threads against a base B at 1 thread:

  single-thread overhead = wall(1) / wall_B(1) - 1     (1 thread only)
  CPU inflation(N)       = CPU(N) / (N x CPU_B(1))
  speedup(N)             = N x wall_B(1) / wall(N)

B is the record's `baseline` configuration (docs/records.md; a family baseline
is its own B), and separately `gil`, as the older reports had it. The
configuration against itself gives scaling(N) = N x wall(1) / wall(N) and
self-inflation = CPU(N) / (N x CPU(1)): these are bounded by physics,
whatever the base, so the impossible-value flags are checked on them:

  - a configuration with a GIL cannot scale: scaling(N) > 1 beyond its interval;
  - nothing scales past its threads or the cores: scaling(N) > min(N, cores);
  - N threads cannot need less CPU than N times one: self-inflation < 1.

(Against another base these bounds do not hold: a configuration that is
cheaper per call than its base legitimately shows speedup > min(N, cores).)
The ceiling (kind "ceiling": a share-nothing loop run beside the sweep)
gives what the machine allowed at that moment:
  ceiling_speedup(N) = N x wall_ceiling(1) / wall_ceiling(N).
"""
from dataclasses import dataclass, field

import stats
from points import base_config_of, find_base, workloads_of

GIL = "gil"


@dataclass
class Derived:
    wall: stats.Estimate = None
    cpu: stats.Estimate = None
    modes: stats.Modes = None           # walls in two modes: report both, not a median
    cpu_modes: stats.Modes = None       # the same for CPU time
    base: object = None                 # the base Point (1 thread), or None
    overhead: stats.Estimate = None
    inflation: stats.Estimate = None
    speedup: stats.Estimate = None
    gil_base: object = None
    gil_overhead: stats.Estimate = None
    gil_inflation: stats.Estimate = None
    gil_speedup: stats.Estimate = None
    scaling: stats.Estimate = None
    self_inflation: stats.Estimate = None
    flags: list = field(default_factory=list)


def overhead(p, b):
    return stats.ratio([p.values("wall_s"), b.values("wall_s")], lambda w, wb: w / wb - 1)


def inflation(p, b):
    n = p.threads
    return stats.ratio([p.values("cpu_s"), b.values("cpu_s")], lambda c, cb: c / (n * cb))


def speedup(p, b):
    n = p.threads
    return stats.ratio([b.values("wall_s"), p.values("wall_s")], lambda wb, w: n * wb / w)


def derive(points, p, cores, workloads=None):
    """`workloads`: the file's (points.workloads_of), computed when not given."""
    d = Derived()
    if not p.ok:
        return d
    d.wall = stats.median(p.values("wall_s"))
    d.cpu = stats.median(p.values("cpu_s"))
    d.modes = stats.bimodal(p.values("wall_s"))
    d.cpu_modes = stats.bimodal(p.values("cpu_s"))
    d.base = find_base(points, p, base_config_of(p))
    if d.base:
        d.inflation, d.speedup = inflation(p, d.base), speedup(p, d.base)
        d.overhead = overhead(p, d.base) if p.threads == 1 else None
    # Each figure within p's workload. The ceiling runs none: its "vs gil"
    # columns exist only when the file has one workload (as before workloads).
    wl = None
    if p.kind == "ceiling":
        wls = workloads_of(points) if workloads is None else workloads
        wl = wls[0] if len(wls) == 1 else "(none)"
    d.gil_base = find_base(points, p, GIL, kind="model", workload=wl)
    if d.gil_base:
        d.gil_inflation, d.gil_speedup = inflation(p, d.gil_base), speedup(p, d.gil_base)
        d.gil_overhead = overhead(p, d.gil_base) if p.threads == 1 else None
    own = find_base(points, p, p.config)
    if own and p.threads > 1:
        d.scaling, d.self_inflation = speedup(p, own), inflation(p, own)
        if p.gil and d.scaling and d.scaling.above(1.0):
            d.flags.append(f"impossible: a GIL configuration scales {d.scaling.fmt('{:.2f}')} > 1")
        bound = min(p.threads, cores) if cores else p.threads
        if d.scaling and d.scaling.above(bound):
            d.flags.append(f"impossible: scaling {d.scaling.fmt('{:.2f}')} > min(N, cores) = {bound}")
        # A helper thread (buffered counting's commit thread) does work that
        # need not grow with N: one commit thread serves every worker, so
        # its configuration can use less than N times its 1-thread CPU.
        helper = any(r.get("helper_cpu_s", 0) > 0 for r in p.ok + own.ok)
        if d.self_inflation and d.self_inflation.below(1.0) and not helper:
            d.flags.append(f"impossible: CPU inflation against itself {d.self_inflation.fmt('{:.2f}')} < 1")
    if d.modes:
        d.flags.append("wall " + d.modes.describe())
    if d.cpu_modes:
        d.flags.append("CPU " + d.cpu_modes.describe())
    return d


def derive_all(points, cores):
    wls = workloads_of(points)
    return {k: derive(points, p, cores, wls) for k, p in points.items()}


def ceiling(points, host=None):
    """{(n, threads): Estimate of ceiling_speedup}, from the kind "ceiling"
    points (of `host` only, when given: a file of several hosts has one
    ceiling per host)."""
    out = {}
    for p in points.values():
        if p.kind != "ceiling" or not p.ok or (host is not None and p.host != host):
            continue
        one = find_base(points, p, p.config)
        if one:
            out[(p.n, p.threads)] = speedup(p, one)
    return out
