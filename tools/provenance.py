"""Where the numbers come from: machines, builds, settings, interpreters,
times, schema versions and the `rclab system` summary a record may carry.
Returned as plain (label, text) lines for the Markdown and HTML reports.
"""
from rclab_records import canonical, schema_of


def summary(records):
    out = []
    machines = sorted({(r["machine"].get("cpu_model", "?"), r["machine"].get("cores", "?"),
                        r["machine"].get("kernel", "?"), r["machine"].get("arch", "?"))
                       for r in records if isinstance(r.get("machine"), dict)}, key=str)
    for m in machines:
        out.append(("machine", f"{m[0]}, {m[1]} cores, {m[2]}, {m[3]}"))
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
