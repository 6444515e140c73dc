"""Where the numbers come from: machines, builds, settings, interpreters,
times, schema versions and the `rclab system` summary a record may carry.
Returned as plain (label, text) lines for the Markdown and HTML reports.
"""
import statistics

from rclab_records import canonical, host_of, schema_of

CACHE_NAMES = [("l1d_kib", "L1d"), ("l1i_kib", "L1i"), ("l2_kib", "L2"), ("l3_kib", "L3")]


def _kib(v):
    return f"{v // 1024} MiB" if v >= 1024 and v % 1024 == 0 else f"{v} KiB"


def host_lines(records):
    """One (label, text) per host (machine.host_id; "unknown" for records
    written before rclab recorded one): what the CPU is, its caches, the
    hypervisor, and the probe's two costs (one value per boot it was measured in)."""
    by = {}
    for r in records:
        by.setdefault(host_of(r), []).append(r)
    out = []
    for host, recs in sorted(by.items()):
        ms = [r["machine"] for r in recs if isinstance(r.get("machine"), dict)]
        kinds = sorted({r.get("kind", "model") for r in recs})
        if host == "unknown":
            out.append(("host", f"unknown: {len(recs)} records ({', '.join(kinds)}) carry no host id (written "
                                "before rclab recorded one); every other host is kept apart from them"))
            continue
        m = next((x for x in ms if "vendor" in x), ms[0] if ms else {})
        parts = [f"{m.get('vendor', '?')} family {m.get('family', '?')} model {m.get('model', '?')} "
                 f"stepping {m.get('stepping', '?')}, microcode {m.get('microcode', '?')}"]
        parts.append(f"{m.get('cores', '?')} cores ({m.get('threads_per_core', '?')} threads/core, "
                     f"{m.get('sockets', '?')} socket{'s' if m.get('sockets') != 1 else ''})")
        caches = m.get("caches") or {}
        if caches:
            parts.append("caches " + ", ".join(f"{label} {_kib(caches[k])}" for k, label in CACHE_NAMES if k in caches))
        parts.append(f"hypervisor {m['hypervisor']}" if m.get("hypervisor") else "no hypervisor")
        probes = {}
        for x in ms:
            pr = x.get("probe")
            if isinstance(pr, dict) and isinstance(pr.get("lock_add_ns"), (int, float)):
                probes.setdefault(pr.get("boot_id", ""), pr)
        if probes:
            def cost(key):
                vals = sorted(pr[key] for pr in probes.values() if isinstance(pr.get(key), (int, float)))
                if not vals:
                    return "?"
                return f"{vals[0]:.3g} ns" if len(vals) == 1 else f"{statistics.median(vals):.3g} ns " \
                    f"(median of {len(vals)} boots, {vals[0]:.3g} to {vals[-1]:.3g})"
            parts.append(f"probe: one uncontended lock add {cost('lock_add_ns')}, one cache-line round trip "
                         f"between two cores {cost('line_round_trip_ns')}")
        else:
            parts.append("probe: not recorded")
        out.append(("host", f"`{host}`: " + "; ".join(parts) + f" ({len(recs)} records: {', '.join(kinds)})"))
    return out


def summary(records):
    out = []
    machines = sorted({(r["machine"].get("cpu_model", "?"), r["machine"].get("cores", "?"),
                        r["machine"].get("kernel", "?"), r["machine"].get("arch", "?"))
                       for r in records if isinstance(r.get("machine"), dict)}, key=str)
    for m in machines:
        out.append(("machine", f"{m[0]}, {m[1]} cores, {m[2]}, {m[3]}"))
    out += host_lines(records)
    builds = {}
    for r in records:
        b = r.get("build")
        if isinstance(b, dict) and "python_version" not in r and r.get("kind") != "peer":
            builds.setdefault(canonical(b), b)
    for b in sorted(builds.values(), key=canonical):
        out.append(("build", f"id {b.get('id', 'not recorded')}, git {b.get('git_rev', '?')}, "
                             f"{b.get('compiler', '?')}, {b.get('build_type', '?')}, flags `{str(b.get('flags', '?')).strip()}`"))
    peers = {}
    for r in records:
        if r.get("kind") == "peer" or "python_version" in r:
            pe = r.get("peer") or {"name": r["config"], "version": r.get("python_version", "?"),
                                   "executable": r.get("python_executable", "?")}
            peers.setdefault(pe.get("name", r["config"]), pe)
    for name, pe in sorted(peers.items()):
        extra = f", GIL {pe['gil_mode']}" if "gil_mode" in pe else ""
        out.append(("real interpreter", f"{name}: {pe.get('version', '?')} at {pe.get('executable', '?')}{extra}"))
    settings = sorted({canonical(r["settings"]) for r in records if isinstance(r.get("settings"), dict)})
    for s in settings:
        out.append(("settings", f"`{s}`"))
    schemas = sorted({schema_of(r) for r in records})
    out.append(("schema", ", ".join(str(s) for s in schemas)
                + ("  (schema 1: settings and build id not recorded)" if 1 in schemas else "")))
    sweeps = sorted({r["sweep_id"] for r in records if r.get("sweep_id")})
    if sweeps:
        out.append(("sweeps", ", ".join(sweeps)))
    times = sorted(r["time"] for r in records if isinstance(r.get("time"), str))
    if times:
        out.append(("time", f"{times[0]} to {times[-1]}"))
    return out


def systems(records):
    """The distinct `system` objects (rclab system's summary of the machine's
    state), flattened to (key, value) lists: keys are shown as they come."""
    seen = {}
    for r in records:
        s = r.get("system")
        if isinstance(s, dict):
            seen.setdefault(canonical(s), s)
    return [sorted((k, canonical(v) if isinstance(v, (dict, list)) else str(v)) for k, v in s.items())
            for s in seen.values()]


def disturbance(records):
    """Worst disturbance seen during the sweep (docs/records.md `disturbance`)."""
    ds = [r["disturbance"] for r in records if isinstance(r.get("disturbance"), dict)]
    if not ds:
        return None
    return {k: max(d[k] for d in ds if isinstance(d.get(k), (int, float)))
            for k in ("loadavg_1m", "steal_frac", "other_cpu_frac")
            if any(isinstance(d.get(k), (int, float)) for d in ds)}
