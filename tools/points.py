"""Points: the records of one file grouped by docs/records.md's key, the
variants (policies, settings, build) of one configuration kept apart, and
the lookup of a point's baseline.
"""
from dataclasses import dataclass, field

import families
from rclab_records import has_gil, host_of, is_ok, key_field_index, kind, point_key, schema_of, variant_of, workload_of

# Where the fields this module reads sit in a point key (the schema's
# x-rclab-point-key decides the order; nothing here restates it).
K_KIND, K_CONFIG, K_N, K_THREADS, K_WORKLOAD = (key_field_index(f) for f in ("kind", "config", "n", "threads", "workload"))


@dataclass
class Point:
    key: tuple
    kind: str
    config: str
    n: int
    threads: int
    family: str
    baseline: str       # docs/records.md `baseline`; "" = the family's own baseline; None = not recorded (schema 1)
    gil: bool
    schema: int
    label: str = ""     # config, plus what tells its variant apart when a file has several
    ok: list = field(default_factory=list)
    failed: int = 0
    workload: str = "fib"  # rclab_records.workload_of: "fib" when unrecorded, "" for the ceiling
    host: str = "unknown"  # rclab_records.host_of: machine.host_id, "unknown" when unrecorded

    def values(self, name):
        return [r[name] for r in self.ok]

    @property
    def variant(self):
        return variant_of(self.key)


def _describe_variant(variants, v):
    """A short tag saying how variant v differs from the others of its config."""
    i = sorted(variants).index(v) + 1
    pol, sett, build, host = v
    parts = []  # the host is not here: a file of several hosts labels every point with its own (group)
    if len({x[2] for x in variants}) > 1:
        parts.append(f"build {build[:8] or '?'}")
    if len({x[1] for x in variants}) > 1:
        parts.append(f"settings #{i}")
    if len({x[0] for x in variants}) > 1:
        parts.append(f"policies #{i}")
    return ", ".join(parts)


def group(records):
    """(points {key: Point}, notes [str]). Notes name every configuration
    whose records carry more than one (policies, settings, build): each is
    its own row, never pooled."""
    points = {}
    orphans = []
    for r in records:
        key = point_key(r)
        if not is_ok(r) and r.get("status") == "failed" and "policies" not in r:
            orphans.append((key, r))  # a child that died before printing: identity only
            continue
        p = points.get(key)
        if p is None:
            k = kind(r)
            fam = r.get("family") or families.schema1_family(r["config"], k)
            base = r.get("baseline") if schema_of(r) >= 2 else None
            p = points[key] = Point(key, k, r["config"], r["n"], r["threads"], fam, base, has_gil(r), schema_of(r),
                                   workload=workload_of(r), host=host_of(r))
        if is_ok(r):
            p.ok.append(r)
        else:
            p.failed += 1
    # A failed point without policies belongs to the one variant of its
    # (kind, config, n, threads, workload, host) when there is exactly one; else it stands alone.
    for key, r in orphans:
        ident = (key[K_KIND], key[K_CONFIG], key[K_N], key[K_THREADS], key[K_WORKLOAD], host_of(r))
        same = [p for p in points.values() if (p.kind, p.config, p.n, p.threads, p.workload, p.host) == ident]
        if len(same) == 1:
            same[0].failed += 1
        else:
            p = points.setdefault(key, Point(key, key[K_KIND], key[K_CONFIG], key[K_N], key[K_THREADS],
                                             families.schema1_family(key[K_CONFIG], key[K_KIND]), None, False,
                                             schema_of(r), workload=key[K_WORKLOAD], host=host_of(r)))
            p.failed += 1
    notes = []
    by_config = {}
    for p in points.values():
        by_config.setdefault((p.kind, p.config), set()).add(p.variant)
    for p in points.values():
        p.label = p.config
    for (k, config), variants in sorted(by_config.items()):
        if len({v[:3] for v in variants}) > 1:  # more than hosts differ
            builds = len({v[2] for v in variants})
            settings = len({v[1] for v in variants})
            policies = len({v[0] for v in variants})
            what = ", ".join(f"{c} {w}" for c, w in ((builds, "builds"), (settings, "settings"),
                                                     (policies, "policies")) if c > 1)
            notes.append(f"mixed builds/settings for config {config}: {what}; shown as separate rows, not pooled")
            for p in points.values():
                if (p.kind, p.config) == (k, config):
                    tag = _describe_variant({v for v in variants if v[3] == p.host}, p.variant) or \
                        _describe_variant(variants, p.variant)
                    p.label = f"{config} [{tag}]" if tag else config
    hosts = sorted({p.host for p in points.values()})
    if len(hosts) > 1:
        # Every point says where it ran: two hosts' points are never pooled, and
        # no figure is taken across them (find_base).
        notes.append(f"records from {len(hosts)} hosts ({', '.join(hosts)}): each point is labelled @HOST and "
                     "measured only against points of its own host, never pooled")
        for p in points.values():
            p.label = f"{p.label} @{p.host}"
    return points, notes


def find_base(points, p, base_config, threads=1, kind=None, workload=None):
    """The point of `base_config` at `threads` that `p` is measured against:
    same kind unless given (a peer's base is a peer), same workload and n (a
    workload is only ever measured against the same workload), always the same
    host (a figure never divides one machine's time by another's); among several
    variants the one with p's build and settings, else p's build, else the only one.
    `workload` overrides p's (the ceiling, which has none, against a model point)."""
    if base_config is None:
        return None
    cands = [q for q in points.values() if q.config == base_config and q.n == p.n and q.threads == threads
             and q.kind == (kind or p.kind) and q.workload == (p.workload if workload is None else workload)
             and q.host == p.host and q.ok]
    if not cands:
        return None
    for test in (lambda q: q.variant[1:] == p.variant[1:], lambda q: q.variant[2] == p.variant[2]):
        exact = [q for q in cands if test(q)]
        if len(exact) == 1:
            return exact[0]
    return cands[0] if len(cands) == 1 else None


def base_config_of(p):
    """The configuration p's derived figures are taken against: its record's
    baseline, itself for a family baseline; None for schema 1 (not recorded)."""
    if p.baseline is None:
        return None
    return p.baseline or p.config


def workloads_of(points):
    """The workloads of the file's points (not the ceiling's ""), fib first,
    then by name."""
    return sorted({p.workload for p in points.values() if p.kind != "ceiling"}, key=lambda w: (w != "fib", w))


def of_workload(points, workload):
    """The points of one workload, with the ceiling's (shared by all)."""
    return {k: p for k, p in points.items() if p.workload == workload or p.kind == "ceiling"}


def hosts_of(points):
    """The hosts of the file's points, sorted ("unknown": records without a host id)."""
    return sorted({p.host for p in points.values()})


def cores_of(records):
    cores = {r["machine"]["cores"] for r in records if "cores" in r.get("machine", {})}
    return min(cores) if cores else None


__all__ = ["Point", "group", "find_base", "base_config_of", "workloads_of", "of_workload", "hosts_of", "cores_of"]
