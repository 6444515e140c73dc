"""The report's figures (matplotlib, Agg), as small multiples: one panel per
family, each with the family's baseline (thick black) and the ideal
(dashed), the series' 95% intervals as error bars, the legend right of the
panel, outside the data.

  wall_vs_threads    wall time, log scale; ideal = baseline wall(1) x max(1, N / cores)
  cpu_vs_threads     process CPU, log scale; ideal = N x baseline CPU(1)
  speedup_vs_threads speedup against each row's base; ideal min(N, cores) and,
                     when the file has ceiling records, the machine's ceiling
  overhead_inflation per family: single-thread overhead and CPU inflation at
                     the largest thread count, as horizontal bars

Series are told apart by colour (tab20, dark shades first), marker and,
past 20 series, line style, so 30 series in one panel stay distinct. Real
interpreters (kind "peer") are dashed with hollow markers and labelled "real".
"""
import io
import os

import families
import table
from rclab_records import write_atomically

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
LINESTYLES = ["-", "-.", (0, (1, 1)), (0, (5, 1, 1, 1))]


def _style(i, plt, peer, is_base=False):
    cmap = plt.get_cmap("tab20")
    order = list(range(0, 20, 2)) + list(range(1, 20, 2))  # dark shades first: neighbours differ in hue
    color = cmap(order[i % 20])
    style = {"color": color, "marker": MARKERS[i % len(MARKERS)], "markersize": 5,
             "linestyle": LINESTYLES[(i // 20) % len(LINESTYLES)], "linewidth": 1.3}
    if peer:
        style.update(linestyle="--", markerfacecolor="none", markeredgewidth=1.3)
    if is_base:  # the family's baseline, the line every other is read against
        style.update(color="black", linewidth=2.4)
    return style


def _series(points, derived, family):
    """{(label, n, kind, is_base): [(threads, Point, Derived)]} of one family,
    plus the series of the bases its points are measured against when those
    live in another family (drawn as the panel's baseline)."""
    out = {}
    members = [p for p in points.values() if p.family == family and p.ok]
    foreign = {(d.base.label, d.base.kind) for d in (derived[p.key] for p in members)
               if d.base is not None and d.base.family != family}
    for p in sorted(points.values(), key=table.sort_key):
        if p.ok and (p.family == family or (p.label, p.kind) in foreign):
            is_base = _is_family_base(p) or p.family != family
            out.setdefault((p.label, p.n, p.kind, is_base), []).append((p.threads, p, derived[p.key]))
    return out


def _is_family_base(p):
    """baseline "" in schema 2; `gil` in schema-1 files, which record no baselines."""
    return p.kind == "model" and (p.baseline == "" or (p.baseline is None and p.config == "gil"))


def _family_base(points, family):
    """The 1-thread points {n: Point} the panel's ideal is drawn from: the
    family's baseline, or `gil` when the family has none in the file."""
    out = {}
    for p in sorted(points.values(), key=lambda q: q.label):
        if p.family == family and p.threads == 1 and p.ok and _is_family_base(p):
            out.setdefault(p.n, p)
    if not out:
        for p in sorted(points.values(), key=lambda q: q.label):
            if p.config == "gil" and p.kind == "model" and p.threads == 1 and p.ok:
                out.setdefault(p.n, p)
    return out


def _label(label, n, kind, ns):
    s = label + (f" (n={n})" if len(ns) > 1 else "")
    return s + " — real" if kind == "peer" else s


def _errbar(ax, xs, ests, style, label, transform=lambda v: v):
    ys, lo, hi = [], [], []
    keep = []
    for x, e in zip(xs, ests):
        if e is None or not e.value > 0:  # a log axis cannot show 0 or a missing figure
            continue
        keep.append(x)
        ys.append(e.value)
        lo.append(e.value - (e.lo if e.lo is not None else e.value))
        hi.append((e.hi if e.hi is not None else e.value) - e.value)
    if keep:
        ax.errorbar(keep, ys, yerr=[lo, hi], capsize=2.5, label=label, **style)


def _finish(ax, all_threads, ylabel, title, log_y, xlabel="threads (each computes fib(n))"):
    ax.set_xscale("log", base=2)
    ax.set_xticks(all_threads)
    ax.set_xticklabels([str(t) for t in all_threads])
    ax.minorticks_off() if not log_y else None
    if log_y:
        import matplotlib.ticker as mt
        ax.set_yscale("log")
        # Plain numbers (0.2, 0.5, 1, 2), not 2x10^-1: these are seconds.
        ax.yaxis.set_major_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_locator(mt.LogLocator(subs=(2.0, 5.0)))
        ax.yaxis.set_minor_formatter(mt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=10)
    ax.grid(True, alpha=0.3, which="both")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                  ncol=1 if len(handles) <= 16 else 2, frameon=False, borderaxespad=0)


# One image format: PNG, at 110 dpi, reduced to a 256-colour palette (median
# cut, no dithering; matplotlib's Pillow does it). The palette keeps every
# line, marker and label as legible as the 24-bit image and makes the file
# about 3.5 times smaller; SVG was larger still, even with text kept as text
# (results/README.md: why one format, and the size budget).
DPI = 110
PALETTE_COLOURS = 256


def shrink_png(data):
    """The same picture as a palette PNG: what every plot is written as."""
    from PIL import Image
    im = Image.open(io.BytesIO(data)).convert("RGB")
    im = im.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    im.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _save(fig, plt, outdir, stem):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    out = os.path.join(outdir, f"{stem}.png")
    write_atomically(out, shrink_png(buf.getvalue()), "wb")
    return [out]


def _panels(plt, fams, width=8.0, height=3.8, ncols=1):
    fig, axes = plt.subplots(len(fams), ncols, figsize=(width * ncols, height * len(fams)), squeeze=False)
    fig.subplots_adjust(hspace=0.45)
    return fig, axes


def draw(points, derived, ceiling, cores, outdir, warn, workload=None):
    """The four figures of `points`. With `workload` (a file of several: the
    points of that workload and the ceiling's), each file is STEM.WORKLOAD.png
    and each panel's title names the workload."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fams = sorted({p.family for p in points.values() if p.ok and p.kind != "ceiling"}, key=families.family_sort_key)
    if not fams:
        return []
    all_threads = sorted({p.threads for p in points.values() if p.ok})
    ns = sorted({p.n for p in points.values() if p.ok})
    wls = sorted({p.workload for p in points.values() if p.ok and p.kind != "ceiling"})
    xlabel = "threads (each computes fib(n))" if wls in ([], ["fib"]) else \
        f"threads (each runs {'/'.join(wls)}'s work(n))"
    suffix = f".{workload}" if workload else ""
    if workload:
        # The ceiling's n is its own, not the workload's: n tells series apart only within the workload.
        lns = sorted({p.n for p in points.values() if p.ok and p.kind != "ceiling"})
    else:
        lns = ns
    title = (lambda fam: f"{fam} — workload {workload}") if workload else (lambda fam: fam)
    skipped = []
    written = []

    def time_figure(metric, stem, ylabel, ideal_label):
        fig, axes = _panels(plt, fams)
        for ax, fam in zip(axes[:, 0], fams):
            for i, ((label, n, kind, is_base), ser) in enumerate(_series(points, derived, fam).items()):
                style = _style(i, plt, kind == "peer", is_base)
                ests = [d.wall if metric == "wall" else d.cpu for _, _, d in ser]
                if any(e is not None and not e.value > 0 for e in ests):
                    skipped.append(f"{label} {metric} = 0")
                _errbar(ax, [t for t, _, _ in ser], ests, style, _label(label, n, kind, lns) + (" (baseline)" if is_base else ""))
            for n, b in sorted(_family_base(points, fam).items()):
                v = derived[b.key].wall.value if metric == "wall" else derived[b.key].cpu.value
                if v > 0:
                    ys = [v * max(1.0, t / cores) if metric == "wall" and cores else v * t for t in all_threads]
                    ax.plot(all_threads, ys, color="0.35", linestyle="--", linewidth=1,
                            label=ideal_label.format(base=b.label) + (f" n={n}" if len(lns) > 1 else ""))
            _finish(ax, all_threads, ylabel, title(fam), log_y=True, xlabel=xlabel)
        return _save(fig, plt, outdir, stem + suffix)

    written += time_figure("wall", "wall_vs_threads", "wall time, s (median, 95% CI)",
                           "ideal: {base}(1) × max(1, N/" + str(cores) + ")" if cores else "serialised: N × {base}(1)")
    written += time_figure("cpu", "cpu_vs_threads", "process CPU, s (median, 95% CI)", "ideal: N × CPU {base}(1)")

    # Speedup: against each row's base; schema-1 rows (no base recorded) against gil.
    fig, axes = _panels(plt, fams)
    for ax, fam in zip(axes[:, 0], fams):
        for i, ((label, n, kind, is_base), ser) in enumerate(_series(points, derived, fam).items()):
            style = _style(i, plt, kind == "peer", is_base)
            use_gil = all(d.base is None for _, _, d in ser)
            ests = [d.gil_speedup if use_gil else d.speedup for _, _, d in ser]
            # Say what each series is measured against: a panel mixes bases.
            bases = {d.base.label for _, _, d in ser if d.base is not None}
            tag = " (vs gil)" if use_gil else (f" (vs {', '.join(sorted(bases))})" if bases and bases != {label} else "")
            _errbar(ax, [t for t, _, _ in ser], ests, style,
                    _label(label, n, kind, lns) + (" (baseline)" if is_base else "") + tag)
        if cores:
            ax.plot(all_threads, [min(t, cores) for t in all_threads], color="0.35", linestyle="--", linewidth=1,
                    label=f"ideal: min(N, {cores} cores)")
        for n in ns:
            ceil = sorted((t, e) for (cn, t), e in ceiling.items() if cn == n)
            if ceil:
                xs = [t for t, _ in ceil]
                ax.plot(xs, [e.value for _, e in ceil], color="0.5", linestyle=":", linewidth=2,
                        label="machine ceiling (share-nothing loop)" + (f" n={n}" if len(lns) > 1 else ""))
                if all(e.lo is not None for _, e in ceil):
                    ax.fill_between(xs, [e.lo for _, e in ceil], [e.hi for _, e in ceil], color="0.5", alpha=0.15)
        _finish(ax, all_threads, "speedup vs base at 1 thread", title(fam), log_y=False, xlabel=xlabel)
        ax.set_ylim(bottom=0)
    written += _save(fig, plt, outdir, "speedup_vs_threads" + suffix)

    written += _bars(plt, points, derived, fams, outdir, suffix, title)
    if skipped:
        print(f"rclab report: warning: not drawn on a log axis: {', '.join(sorted(set(skipped)))}", file=warn)
    return written


def _bars(plt, points, derived, fams, outdir, suffix="", title=lambda fam: fam):
    """Per family: 1-thread overhead and CPU inflation at the largest thread
    count of each configuration, against its base (gil for schema 1)."""
    rows_per_fam = []
    for fam in fams:
        rows = []
        for (label, n, kind, is_base), ser in _series(points, derived, fam).items():
            one = [d for t, _, d in ser if t == 1]
            top_t, _, top = max(ser, key=lambda s: s[0])
            ov = one[0].overhead if one and one[0].base else (one[0].gil_overhead if one else None)
            infl = top.inflation if top.base else top.gil_inflation
            name = label + (f" n={n}" if len({s[1] for s in _series(points, derived, fam)}) > 1 else "") \
                + (" — real" if kind == "peer" else "")
            rows.append((name, ov, infl, top_t, kind == "peer"))
        rows_per_fam.append(rows)
    h = [max(1.6, 0.28 * len(r) + 1.0) for r in rows_per_fam]
    fig, axes = plt.subplots(len(fams), 2, figsize=(12, sum(h)), squeeze=False,
                             gridspec_kw={"height_ratios": h, "hspace": 0.5, "wspace": 0.45})
    for (ax1, ax2), fam, rows in zip(axes, fams, rows_per_fam):
        ys = list(range(len(rows)))
        for ax, idx, what, ref, fmt in ((ax1, 1, "single-thread overhead vs base", 0.0, "{:+.0%}"),
                                         (ax2, 2, "CPU inflation at the largest N vs base", 1.0, "{:.2f}")):
            for y, r in zip(ys, rows):
                e = r[idx]
                if e is None:
                    ax.text(ref, y, "  n/a", va="center", fontsize=7, color="0.4")
                    continue
                err = None
                if e.lo is not None:
                    err = [[max(0.0, e.value - e.lo)], [max(0.0, e.hi - e.value)]]
                ax.barh(y, e.value - ref, left=ref, xerr=err, capsize=2, height=0.6,
                        color="white" if r[4] else plt.get_cmap("tab10")(idx - 1),
                        edgecolor=plt.get_cmap("tab10")(idx - 1), hatch="//" if r[4] else None)
                lab = fmt.format(e.value) + (f" (N={r[3]})" if idx == 2 else "")
                right = e.hi if e.hi is not None else e.value  # right of the error bar, not on it
                ax.text(max(right, ref), y, "  " + lab, va="center", fontsize=7)
            ax.axvline(ref, color="black", linewidth=0.8)
            ax.set_yticks(ys)
            ax.set_yticklabels([r[0] for r in rows], fontsize=7)
            ax.invert_yaxis()
            ax.set_title(f"{title(fam)}: {what}", loc="left", fontsize=9)
            ax.grid(True, axis="x", alpha=0.3)
            ax.margins(x=0.25)
        # Whole percents, and few enough ticks that +3400% fits beside -1000%.
        import matplotlib.ticker as mt
        ax1.xaxis.set_major_locator(mt.MaxNLocator(nbins=5))
        ax1.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v * 100:+.0f}%"))
    return _save(fig, plt, outdir, "overhead_inflation" + suffix)
