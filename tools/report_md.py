"""report.md: the Markdown rendering of table.py's rows, the calibration
table and provenance."""
import io
import os

import attribution
import calibration
import heatmap
import per_workload
import table


def _esc(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def render(path, prov, systems, disturbance, notes, rows, cal_rows, plots, counters=None,
           sections=None, summary=None):
    """sections: None for a file of one workload (the tables once); else
    [table.Section] (one per workload, then the ceiling) with `summary`
    = (per_workload.worst rows, per_workload.ranking rows) before them."""
    o = io.StringIO()
    o.write(f"# rclab report: `{os.path.basename(path)}`\n\n")
    for label, text in prov:
        o.write(f"- {label}: {text}\n")
    if disturbance:
        o.write("- worst disturbance during a point: " + ", ".join(f"{k} {v:.2f}" for k, v in disturbance.items()) + "\n")
    for i, s in enumerate(systems, 1):
        o.write(f"\n`rclab system` summary{f' #{i}' if len(systems) > 1 else ''}:\n\n")
        for k, v in s:
            o.write(f"- {_esc(k)}: {_esc(v)}\n")
    for n in notes:
        o.write(f"\n**{n}**\n")
    o.write("\n" + table.EXPLAIN + "\n\n")
    if sections is None:
        _body(o, rows, cal_rows, plots, counters, "##")
        return o.getvalue()
    o.write(table.WORKLOADS_EXPLAIN + "\n\n")
    _summary(o, summary)
    for sec in sections:
        if sec.workload:
            o.write(f"\n## Workload `{sec.workload}`\n\n")
        else:
            o.write("\n## Machine ceiling (shared by every workload)\n\n")
        _body(o, sec.rows, sec.cal_rows, sec.plots, sec.counters, "###",
              full=bool(sec.workload))
    return o.getvalue()


def _table(o, header, rows):
    o.write("| " + " | ".join(header) + " |\n")
    o.write("|" + "---|" * len(header) + "\n")
    for r in rows:
        o.write("| " + " | ".join(_esc(c) for c in r) + " |\n")


def _summary(o, summary):
    """The two tables across workloads (tools/per_workload.py)."""
    worst_rows, rank_rows, att_rows, order_rows, heat = summary
    if heat:
        m, pngs = heat
        o.write("## Which strategy, where\n\n" + heatmap.EXPLAIN + "\n\n")
        o.write("".join(f"![{os.path.basename(p)}]({os.path.basename(p)})\n\n" for p in pngs))
        for line in heatmap.best_worst(m):
            o.write(f"- {_esc(line)}\n")
        o.write("\n")
        _table(o, *heatmap.table_cells(m))
        o.write("\n")
    if worst_rows:  # none without `gil` points
        o.write("## Worst workload per configuration\n\n" + per_workload.WORST_EXPLAIN + "\n\n")
        for line in per_workload.worst_summary(worst_rows):
            o.write(f"- {_esc(line)}\n")
        o.write("\n")
        _table(o, per_workload.WORST_HEADER, per_workload.worst_cells(worst_rows))
    if rank_rows:  # none when the file has none of the ranked models with their real interpreters
        o.write("\n## Ranking vs the real interpreters\n\n" + per_workload.RANK_EXPLAIN + "\n\n")
        _table(o, per_workload.RANK_HEADER, per_workload.rank_cells(rank_rows))
    if att_rows:
        (header, over), (_, infl) = attribution.tables(att_rows)
        o.write("\n## Per-mechanism attribution\n\n" + attribution.EXPLAIN + "\n\nChange in single-thread overhead:\n\n")
        _table(o, header, over)
        o.write("\nChange in CPU inflation at 2 threads:\n\n")
        _table(o, header, infl)
        o.write("\nLargest overhead change per workload: " + "; ".join(attribution.deciding(att_rows)) + ".\n")
        o.write("\nLargest inflation change per workload: " + "; ".join(attribution.deciding(att_rows, 1)) + ".\n")
    if order_rows:
        o.write("\n## Calibration: the workloads' order\n\n" + calibration.ORDER_EXPLAIN + "\n\n")
        for line in calibration.order_lines(order_rows):
            o.write(f"- {_esc(line)}\n")


def _body(o, rows, cal_rows, plots, counters, h, full=True):
    """The points table, then (full) calibration, counters and plots; `h` is
    the heading level of the subsections."""
    o.write("| " + " | ".join(table.HEADER) + " |\n")
    o.write("|" + "---|" * len(table.HEADER) + "\n")
    footnotes = []
    for row in rows:
        cells = []
        for c in row.cells:
            text = _esc(c.text)
            if c.flag and c.flag != "two modes":
                footnotes.append(c.flag)
                text = f"**⚠ {text}** [{len(footnotes)}]"
            cells.append(text)
        o.write("| " + " | ".join(cells) + " |\n")
    for i, f in enumerate(footnotes, 1):
        o.write(f"\n[{i}] {_esc(f)}")
    if footnotes:
        o.write("\n")
    if not full:
        return
    o.write(f"\n{h} Calibration: each model beside the real system it models\n\n")
    o.write("Each side against its own base (see tools/families.py CALIBRATION); `missing` says which side was "
            "not in the file. Intervals: 95% bootstrap over the repeats of every point involved. "
            + table.CALIBRATION_NOTE + "\n\n")
    _table(o, table.calibration_header(cal_rows), table.calibration(cal_rows))
    counters = counters or table.Counters()
    o.write(f"\n{h} Counters\n\n")
    if counters.rows:
        o.write("Medians over each point's repeats (perf_event_open, the measured threads' totals); per call = "
                "per fib call, or per iteration of another workload.\n\n")
        _table(o, counters.header, counters.rows)
    else:
        o.write(f"Not available in these records: {_esc(counters.why)}.\n")
    if counters.missing:
        o.write("\nCounters that did not open, and why (the records' `counters.missing`, or their older `reason`):\n\n")
        for name, why in counters.missing:
            o.write(f"- {name}: {_esc(why)}\n")
    if plots:
        o.write("\n" + "\n".join(f"![{os.path.basename(p)}]({os.path.basename(p)})" for p in plots if p.endswith(".png")) + "\n")
