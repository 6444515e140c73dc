"""report.html: one self-contained file (no network, no scripts) with the
same table as report.md, the plots inline as base64 PNG, the provenance,
the `rclab system` summary when records carry one, and impossible values
in red cells with footnotes."""
import base64
import html
import os
import re

import attribution
import calibration
import heatmap
import per_workload
import table

STYLE = """
body { font-family: sans-serif; font-size: 13px; margin: 1.5em; color: #111; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; white-space: nowrap; }
th { background: #f0f0f0; position: sticky; top: 0; }
td.t { text-align: left; }
td.flag { background: #fbd5d5; color: #8b0000; font-weight: bold; }
td.modes { background: #fff3cd; }
tr.peer td { font-style: italic; }
.foot { color: #8b0000; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dt { font-weight: bold; }
"""

TEXT_COLUMNS = {"family", "config", "kind", "base", "notes", "model", "real", "figure", "host"}


def _e(s):
    return html.escape(str(s), quote=True)


def _md(s):
    """Escaped text with the Markdown the shared strings use (`code`, **bold**)
    turned into HTML, so report.md and report.html can share one wording."""
    t = _e(s)
    t = re.sub(r"`([^`]*)`", r"<code>\1</code>", t)
    return re.sub(r"\*\*([^*]*)\*\*", r"<strong>\1</strong>", t)


def render(path, prov, systems, disturbance, notes, rows, cal_rows, plots, counters=None,
           sections=None, summary=None):
    """sections and summary: as report_md.render."""
    o = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         f"<title>rclab report: {_e(os.path.basename(path))}</title>", f"<style>{STYLE}</style></head><body>",
         f"<h1>rclab report: <code>{_e(os.path.basename(path))}</code></h1>", "<h2>Provenance</h2><dl>"]
    for label, text in prov:
        o.append(f"<dt>{_e(label)}</dt><dd>{_md(text)}</dd>")
    if disturbance:
        o.append("<dt>worst disturbance</dt><dd>" + _e(", ".join(f"{k} {v:.2f}" for k, v in disturbance.items())) + "</dd>")
    o.append("</dl>")
    for i, s in enumerate(systems, 1):
        o.append(f"<h3>rclab system summary{f' #{i}' if len(systems) > 1 else ''}</h3><dl>")
        o += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in s]
        o.append("</dl>")
    for n in notes:
        o.append(f'<p class="foot"><strong>{_e(n)}</strong></p>')
    if sections is None:
        _body(o, rows, cal_rows, plots, counters, "Points", "h2")
    else:
        o.append(f"<h2>Points</h2><p>{_md(table.EXPLAIN)}</p><p>{_md(table.WORKLOADS_EXPLAIN)}</p>")
        _summary(o, summary)
        for i, sec in enumerate(sections):
            title = f"Workload <code>{_e(sec.workload)}</code>" if sec.workload else \
                "Machine ceiling (shared by every workload)"
            o.append(f"<h2>{title}</h2>")
            _body(o, sec.rows, sec.cal_rows, sec.plots, sec.counters, None, "h3",
                  full=bool(sec.workload), fn=f"w{i}-")
    o.append("</body></html>\n")
    return "\n".join(o)


def _figures(o, pngs):
    """Each PNG inline (base64), captioned with its file name."""
    for p in pngs:
        with open(p, "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        name = os.path.basename(p)
        o.append(f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{data}">'
                 f"<figcaption>{_e(name)}</figcaption></figure>")


def _table(o, header, rows, text_cols=0):
    """A plain table; the first `text_cols` columns left-aligned."""
    o.append("<div style=\"overflow-x:auto\"><table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header)
             + "</tr></thead><tbody>")
    o += ["<tr>" + "".join(f'<td class="t">{_e(c)}</td>' if j < text_cols else f"<td>{_e(c)}</td>"
                           for j, c in enumerate(r)) + "</tr>" for r in rows]
    o.append("</tbody></table></div>")


def _summary(o, summary):
    """The two tables across workloads (tools/per_workload.py)."""
    worst_rows, rank_rows, att_rows, order_rows, heat = summary
    if heat:
        m, pngs = heat
        o.append(f"<h2>Which strategy, where</h2><p>{_md(heatmap.EXPLAIN)}</p>")
        _figures(o, pngs)
        o.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in heatmap.best_worst(m)) + "</ul>")
        _table(o, *heatmap.table_cells(m), text_cols=1)
    if worst_rows:  # none without `gil` points
        o.append(f"<h2>Worst workload per configuration</h2><p>{_md(per_workload.WORST_EXPLAIN)}</p><ul>")
        o += [f"<li>{_e(line)}</li>" for line in per_workload.worst_summary(worst_rows)]
        o.append("</ul>")
        _table(o, per_workload.WORST_HEADER, per_workload.worst_cells(worst_rows), text_cols=2)
    if rank_rows:  # none when the file has none of the ranked models with their real interpreters
        o.append(f"<h2>Ranking vs the real interpreters</h2><p>{_md(per_workload.RANK_EXPLAIN)}</p>")
        _table(o, per_workload.RANK_HEADER, per_workload.rank_cells(rank_rows), text_cols=6)
    if att_rows:
        (header, over), (_, infl) = attribution.tables(att_rows)
        o.append(f"<h2>Per-mechanism attribution</h2><p>{_md(attribution.EXPLAIN)}</p><p>Change in single-thread "
                 "overhead:</p>")
        _table(o, header, over, text_cols=2)
        o.append("<p>Change in CPU inflation at 2 threads:</p>")
        _table(o, header, infl, text_cols=2)
        o.append("<p>Largest overhead change per workload: " + _e("; ".join(attribution.deciding(att_rows))) + ".</p>")
        o.append("<p>Largest inflation change per workload: " + _e("; ".join(attribution.deciding(att_rows, 1))) +
                 ".</p>")
    if order_rows:
        o.append(f"<h2>Calibration: the workloads' order</h2><p>{_md(calibration.ORDER_EXPLAIN)}</p><ul>")
        o += [f"<li>{_e(line)}</li>" for line in calibration.order_lines(order_rows)]
        o.append("</ul>")


def _body(o, rows, cal_rows, plots, counters, title, hl, full=True, fn=""):
    """The points table, then (full) calibration, counters and plots. `title`:
    the points table's own heading (None: the section's heading serves);
    `fn` prefixes footnote ids, unique within the page."""
    head = f"<h2>{title}</h2><p>{_md(table.EXPLAIN)}</p>" if title else ""
    o.append(head + "<div style=\"overflow-x:auto\"><table><thead><tr>")
    o += [f"<th>{_e(h)}</th>" for h in table.HEADER]
    o.append("</tr></thead><tbody>")
    footnotes = []
    for row in rows:
        peer = row.cells[2].text.startswith("peer")
        o.append('<tr class="peer">' if peer else "<tr>")
        for h, c in zip(table.HEADER, row.cells):
            cls = ["t"] if h in TEXT_COLUMNS else []
            text = _e(c.text)
            if c.flag == "two modes":
                cls.append("modes")
            elif c.flag:
                footnotes.append(c.flag)
                cls.append("flag")
                text = f'⚠ {text} <sup><a href="#{fn}fn{len(footnotes)}">{len(footnotes)}</a></sup>'
            o.append(f'<td class="{" ".join(cls)}">{text}</td>' if cls else f"<td>{text}</td>")
        o.append("</tr>")
    o.append("</tbody></table></div>")
    if footnotes:
        o.append("<ol class=\"foot\">")
        o += [f'<li id="{fn}fn{i}">{_e(f)}</li>' for i, f in enumerate(footnotes, 1)]
        o.append("</ol>")
    if not full:
        return
    o.append(f"<{hl}>Calibration: each model beside the real system it models</{hl}>"
             "<p>Each side against its own base (tools/families.py CALIBRATION); a row says <em>missing</em> "
             f"when a side was not in the file. {_md(table.CALIBRATION_NOTE)}</p><table><thead><tr>")
    header = table.calibration_header(cal_rows)
    o += [f"<th>{_e(h)}</th>" for h in header]
    o.append("</tr></thead><tbody>")
    for r in table.calibration(cal_rows):
        o.append("<tr>" + "".join(f'<td class="t">{_e(c)}</td>' if h in TEXT_COLUMNS or c.startswith("missing")
                                  else f"<td>{_e(c)}</td>" for h, c in zip(header, r)) + "</tr>")
    o.append("</tbody></table>")
    counters = counters or table.Counters()
    o.append(f"<{hl}>Counters</{hl}>")
    if counters.rows:
        o.append("<p>Medians over each point's repeats (perf_event_open, the measured threads' totals); per call = "
                 "per fib call, or per iteration of another workload.</p>")
        _table(o, counters.header, counters.rows, text_cols=1)
    else:
        o.append(f"<p>Not available in these records: {_e(counters.why)}.</p>")
    if counters.missing:
        o.append("<p>Counters that did not open, and why (the records' <code>counters.missing</code>, or their older <code>reason</code>):</p><ul>")
        o += [f"<li>{_e(name)}: {_e(why)}</li>" for name, why in counters.missing]
        o.append("</ul>")
    pngs = [p for p in plots if p.endswith(".png")]
    if pngs:
        o.append(f"<{hl}>Plots</{hl}>")
    _figures(o, pngs)
