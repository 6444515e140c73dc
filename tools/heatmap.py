"""Which strategy, where: the strategy x workload matrix at the top of a
report of several workloads, as a table and as a heat map.

Each cell is a row's speedup at the file's largest thread count N against
its base at 1 thread, N x wall_B(1) / wall(N) (tools/derived.py's speedup):
B is the root of the row's chain of recorded baselines — for a model
configuration the generation's GIL configuration (`gil` for py36's
families, `py313` for py313t's: py313t-atomic -> py313t -> py313), for a
real interpreter its peer base (3.13t against 3.13); a row that is its own
root shows its scaling. Model rows come first, then the real ones, so that
a model and what it models read side by side down a column. A cell whose
95% interval contains 1 is marked "~": its repeats cannot tell faster from
slower. Under the matrix, one line per row: its best and its worst workload.

The figure is sized by the matrix (about 0.6 inch per workload and 0.3 per
row), so 30 rows by 28 workloads stay legible: the numbers are drawn in the
cells, the colour is log2 of the speedup (red slower, green faster, white
1), clipped at 1/4 and 4.
"""
import math
import textwrap

import families
from derived import speedup
from points import find_base

EXPLAIN = ("Each cell: the row's speedup at the file's largest thread count N, N × wall_B(1) / wall(N), against "
           "B at 1 thread, the root of the row's recorded baselines — for a model configuration the generation's "
           "GIL configuration (`gil` for py36's families, `py313` for py313t's), for a real interpreter its peer "
           "base (3.13t against 3.13); a row that is its own root shows its own scaling. Above 1: faster than the GIL at one "
           "thread. Model rows first, then real ones (\"(real)\"). `~`: the 95% interval contains 1.")


def matrix(points):
    """(N, workloads, rows, cells): rows [(label, kind)], cells
    {(label, workload): Estimate}; None when the file has no point above
    1 thread."""
    pts = [p for p in points.values() if p.kind in ("model", "peer") and p.workload]
    ns = [p.threads for p in pts if p.threads > 1]
    if not ns:
        return None
    n = max(ns)
    # Each configuration's recorded baseline, followed to its root: py313t-atomic
    # -> py313t -> py313, nogil -> nogil-gil -> gil-heaps -> ... -> gil.
    # Followed only through configurations the file has: a row whose
    # baseline was not swept (nogil's nogil-gil) stops at the last one it
    # has, or at itself (its own scaling), rather than leaving the matrix.
    parent = {p.config: p.baseline for p in pts if p.baseline}
    have = {p.config for p in pts}

    def root(config):
        seen = {config}
        while parent.get(config) in have and parent[config] not in seen:
            config = parent[config]
            seen.add(config)
        return config

    cells, rows = {}, {}
    for p in pts:
        if p.threads != n:
            continue
        base = find_base(points, p, root(p.config))
        if base is None:
            continue
        est = speedup(p, base)
        label = p.label + (" (real)" if p.kind == "peer" else "")
        cells[(label, p.workload)] = est
        rows.setdefault((label, p.kind), (p.kind != "model", families.family_sort_key(p.family), p.config, label))
    if not cells:
        return None
    workloads = sorted({w for _, w in cells})
    ordered = [r for r, _ in sorted(rows.items(), key=lambda kv: kv[1])]
    return n, workloads, ordered, cells


def crosses_one(est):
    return est.lo is not None and est.lo <= 1 <= est.hi


def cell_text(est, interval=True):
    s = f"{est.value:.2f}"
    if interval and est.lo is not None:
        s += f" [{est.lo:.2f}, {est.hi:.2f}]"
    return s + (" ~" if crosses_one(est) else "")


def table_cells(m):
    """(header, rows) for the Markdown and HTML tables."""
    n, workloads, rows, cells = m
    header = [f"speedup at {n} threads"] + workloads
    out = []
    for label, _ in rows:
        out.append([label] + [cell_text(cells[(label, w)]) if (label, w) in cells else "" for w in workloads])
    return header, out


def best_worst(m):
    """One line per row: its best and worst workload by the median."""
    n, workloads, rows, cells = m
    lines = []
    for label, _ in rows:
        have = [(cells[(label, w)], w) for w in workloads if (label, w) in cells]
        if not have:
            continue
        best = max(have, key=lambda e: e[0].value)
        worst = min(have, key=lambda e: e[0].value)
        if len(have) == 1:
            lines.append(f"{label}: only {best[1]}, {cell_text(best[0])}")
        else:
            lines.append(f"{label}: best {best[1]} {cell_text(best[0])}, worst {worst[1]} {cell_text(worst[0])}")
    return lines


def draw(m, outdir):
    """heatmap.png in outdir; [its path]."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from plots import _save

    n, workloads, rows, cells = m
    data = np.full((len(rows), len(workloads)), np.nan)
    for i, (label, _) in enumerate(rows):
        for j, w in enumerate(workloads):
            if (label, w) in cells and cells[(label, w)].value > 0:
                data[i, j] = math.log2(cells[(label, w)].value)
    width = 2.8 + 0.62 * len(workloads)
    height = 1.4 + 0.3 * len(rows)
    fig, ax = plt.subplots(figsize=(width, height))
    cmap = plt.get_cmap("RdYlGn").copy()
    cmap.set_bad("#eeeeee")
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=-2, vmax=2, aspect="auto")
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels(workloads, rotation=40, ha="left", fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([label for label, _ in rows], fontsize=8)
    peers_from = next((i for i, (_, k) in enumerate(rows) if k == "peer"), None)
    if peers_from:  # a line between the model rows and the real ones
        ax.axhline(peers_from - 0.5, color="black", linewidth=1.5)
    for i, (label, _) in enumerate(rows):
        for j, w in enumerate(workloads):
            est = cells.get((label, w))
            if est is None:
                continue
            dark = abs(data[i, j]) > 1.3  # the ends of the scale: white text reads better there
            ax.text(j, i, f"{est.value:.2f}{'~' if crosses_one(est) else ''}", ha="center", va="center",
                    fontsize=7, color="white" if dark else "black")
    cb = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    ticks = [-2, -1, 0, 1, 2]
    cb.set_ticks(ticks)
    cb.set_ticklabels([f"{2 ** t:g}" for t in ticks])
    cb.set_label("speedup against the GIL at 1 thread (log scale)", fontsize=8)
    # Wrapped to the figure's width: a matrix of few workloads is narrower
    # than the caption on one line.
    caption = (f"speedup at {n} threads against the base at 1 thread; ~: the 95% interval contains 1; "
               "rows below the line: real interpreters")
    ax.set_xlabel("\n".join(textwrap.wrap(caption, max(40, int(width * 13)))), fontsize=8)
    return _save(fig, plt, outdir, "heatmap")
