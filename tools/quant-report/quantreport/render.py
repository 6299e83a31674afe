"""The text table and the self-contained HTML page of a report (the dict
analysis.analyze returns)."""

import html
import math

from . import analysis, svg
from .metrics import format_sci, format_sqnr

# One colour and dash pattern per range estimator (quant-stats' names);
# other names get the extra colours in order.
METHOD_STYLE = {
    "minmax": ("#d62728", "none"),
    "moving-average": ("#ff7f0e", "7 3"),
    "percentile": ("#2ca02c", "3 3"),
    "mse": ("#1f77b4", "9 3 2 3"),
    "entropy": ("#9467bd", "5 5"),
}
EXTRA_COLOURS = ["#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]

LAYER_COLOUR = "#4c78a8"
WORST_COLOUR = "#e45756"
OUTPUT_COLOUR = "#54a24b"


def method_style(method, index_of_unknown):
    if method in METHOD_STYLE:
        return METHOD_STYLE[method]
    return EXTRA_COLOURS[index_of_unknown % len(EXTRA_COLOURS)], "4 2"


def _row_label(kind, name):
    return name if kind == "layer" else f"output {name}"


# ----------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------

def samples_text(n):
    return "? samples" if n is None else f"{n} sample{'s' * (n != 1)}"


def _mismatches(n):
    return f"{n} non-finite mismatch{'es' * (n != 1)}"


def render_text(report):
    rows = [("layer", l["name"], l["metrics"], l["worst"]) for l in report["layers"]]
    rows += [("output", o["name"], o["metrics"], False) for o in report["outputs"]]
    header = ["layer", "SQNR dB", "MSE", "max abs err", "elements"]
    cells = [[_row_label(k, n), format_sqnr(m["sqnr_db"]), format_sci(m["mse"]),
              format_sci(m["max_abs"]), str(m["elements"])] for k, n, m, _ in rows]
    widths = [max(len(c[i]) for c in cells + [header]) for i in range(len(header))]

    def line(c):
        parts = [c[0].ljust(widths[0])] + [c[i].rjust(widths[i]) for i in range(1, 5)]
        return "  ".join(parts)

    n_l, n_o = len(report["layers"]), len(report["outputs"])
    out = [f"per-layer error, float vs quantized: {n_l} layer{'s' * (n_l != 1)}, "
           f"{n_o} output{'s' * (n_o != 1)}, {samples_text(report['samples'])}"]
    out.append(line(header).rstrip())
    out.append("  ".join("-" * w for w in widths))
    for (kind, name, m, worst), c in zip(rows, cells):
        s = line(c)
        if worst:
            s += "  <- worst"
        if m["nonfinite_mismatch"]:
            s += f"  ({_mismatches(m['nonfinite_mismatch'])})"
        out.append(s)
    out.append("")
    if report["worst"] is not None:
        w = next(l for l in report["layers"] if l["worst"])
        out.append(f"worst layer: {w['name']} (SQNR {format_sqnr(w['metrics']['sqnr_db'])} dB)")
    elif report["layers"]:
        out.append("worst layer: none (every layer input is identical)")
    for n in report["notes"]:
        out.append(f"note: {n}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
       color: #222; background: #fff; margin: 0; line-height: 1.45; font-size: 15px; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 28px 40px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #dde3ea; }
h3 { font-size: 17px; margin: 0 0 6px; }
.subtitle { color: #555; margin: 0 0 18px; }
code, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
pre.cmd { background: #f5f7f9; border: 1px solid #dde3ea; border-radius: 4px; padding: 8px 10px;
          white-space: pre-wrap; word-break: break-all; margin: 0 0 12px; }
table { border-collapse: collapse; }
table.kv td { padding: 3px 14px 3px 0; vertical-align: top; }
table.kv td:first-child { color: #555; white-space: nowrap; }
table.metrics { width: 100%; margin: 6px 0; }
table.metrics th, table.metrics td { padding: 5px 12px; border-bottom: 1px solid #e4e8ec; }
table.metrics th { background: #f0f3f6; text-align: right; font-weight: 600; }
table.metrics th:first-child, table.metrics td:first-child { text-align: left; }
table.metrics td { text-align: right; font-variant-numeric: tabular-nums; }
table.metrics tr.worst td { background: #fdecea; font-weight: 600; }
table.metrics tr.output td { background: #f1f8ef; }
table.metrics tr.group td { background: #fff; color: #555; font-weight: 600; text-align: left;
                            border-bottom: 1px solid #c8d0d8; padding-top: 12px; }
.tag { display: inline-block; font-size: 11px; font-weight: 700; color: #fff; background: #e45756;
       border-radius: 3px; padding: 0 5px; margin-left: 6px; vertical-align: 1px; }
.callout { background: #fff6e5; border-left: 4px solid #f0a020; padding: 8px 12px; margin: 12px 0; }
.callout.ok { background: #eef7ee; border-left-color: #54a24b; }
.notes { background: #f5f7f9; border-left: 4px solid #9aa7b8; padding: 8px 12px; margin: 12px 0; }
.notes ul { margin: 4px 0; padding-left: 20px; }
svg.chart { width: 100%; height: auto; display: block; }
section.layer { border: 1px solid #dde3ea; border-radius: 6px; padding: 12px 14px; margin: 14px 0; }
section.layer.worst { border-color: #e45756; box-shadow: 0 0 0 1px #e45756; }
.facts { color: #333; margin: 0 0 8px; }
.facts span { margin-right: 18px; white-space: nowrap; }
.plots { display: grid; grid-template-columns: 54fr 46fr; gap: 18px; align-items: start; margin-top: 6px; }
table.methods { margin-top: 6px; font-size: 13.5px; }
table.methods th, table.methods td { padding: 2px 10px; text-align: right;
                                    font-variant-numeric: tabular-nums; }
table.methods th { color: #555; font-weight: 600; border-bottom: 1px solid #dde3ea; }
table.methods td:first-child, table.methods th:first-child { text-align: left; }
.swatch { display: inline-block; width: 22px; height: 0; border-top: 3px solid; margin-right: 6px;
          vertical-align: middle; }
.muted { color: #666; }
.nowrap { white-space: nowrap; }
footer { margin-top: 36px; color: #666; font-size: 13px; border-top: 1px solid #dde3ea; padding-top: 10px; }
"""


def esc(s):
    return html.escape(str(s), quote=True)


def _num(x):
    return svg.fmt_num(x)


def _pct(f):
    if f == 0:
        return "0%"
    if f < 1e-4:
        return "<0.01%"
    return f"{100 * f:.2f}%"


def _range_text(r):
    return "n/a" if r is None else f"[{_num(r[0])}, {_num(r[1])}]"


def _metrics_table(report):
    h = ['<table class="metrics"><thead><tr><th>layer input</th><th>SQNR (dB)</th>'
         '<th>MSE</th><th>max abs err</th><th>elements</th></tr></thead><tbody>']

    def row(cls, label, m, anchor=None, tag=""):
        name = esc(label)
        if anchor:
            name = f'<a href="#{anchor}">{name}</a>'
        warn = ""
        if m["nonfinite_mismatch"]:
            warn = f' <span class="muted">({_mismatches(m["nonfinite_mismatch"])})</span>'
        h.append(f'<tr class="{cls}"><td>{name}{tag}{warn}</td>'
                 f'<td>{esc(format_sqnr(m["sqnr_db"]))}</td><td>{format_sci(m["mse"])}</td>'
                 f'<td>{format_sci(m["max_abs"])}</td><td>{m["elements"]}</td></tr>')

    for i, l in enumerate(report["layers"]):
        row("worst" if l["worst"] else "layer", l["name"], l["metrics"], f"layer-{i}",
            '<span class="tag">worst</span>' if l["worst"] else "")
    if report["outputs"]:
        h.append('<tr class="group"><td colspan="5">model outputs</td></tr>')
        for o in report["outputs"]:
            row("output", o["name"], o["metrics"])
    h.append("</tbody></table>")
    return "".join(h)


def _sqnr_chart(report):
    rows = []
    for l in report["layers"]:
        m = l["metrics"]
        rows.append((l["name"], m["sqnr_db"], WORST_COLOUR if l["worst"] else LAYER_COLOUR,
                     _sqnr_label(m["sqnr_db"], m["nonfinite_mismatch"])))
    for o in report["outputs"]:
        m = o["metrics"]
        rows.append((f"output {o['name']}", m["sqnr_db"], OUTPUT_COLOUR,
                     _sqnr_label(m["sqnr_db"], m["nonfinite_mismatch"])))
    legend = [(LAYER_COLOUR, "layer input"), (WORST_COLOUR, "worst layer")]
    if report["outputs"]:
        legend.append((OUTPUT_COLOUR, "model output"))
    if any(r[1] == math.inf for r in rows):
        legend.append(("#b7c9dd", "identical (+inf)"))
    return svg.bar_chart(rows, "SQNR (dB), higher is better", legend)


def _sqnr_label(db, nonfinite_mismatch=0):
    if db == math.inf:
        if nonfinite_mismatch:
            return f"+inf ({_mismatches(nonfinite_mismatch)})"
        return "+inf (identical)"
    if db == -math.inf:
        return "-inf"
    return f"{db:.2f} dB"


def _error_chart(name, m, width=460):
    if m["compared"] and m["max_abs"] == 0:
        return svg.histogram(None, None, "quantized \u2212 float",
                             f"error of {name} (quantized \u2212 float)", width=width,
                             height=260, empty_text=f"no error: all {m['compared']} "
                             "finite values identical")
    return svg.histogram(m["error_hist_edges"], m["error_hist_counts"],
                         "quantized \u2212 float", f"error of {name} (quantized \u2212 float)",
                         width=width, height=260, bar_colour="#e8a0a0", centre_line=0.0,
                         empty_text="no finite values")


def _layer_section(i, layer, report):
    m, h = layer["metrics"], layer["hist"]
    name = layer["name"]
    cls = "layer worst" if layer["worst"] else "layer"
    tag = '<span class="tag">worst</span>' if layer["worst"] else ""
    parts = [f'<section class="{cls}" id="layer-{i}"><h3>{esc(name)}{tag}</h3>']
    facts = [f"SQNR <b>{esc(_sqnr_label(m['sqnr_db'], m['nonfinite_mismatch']))}</b>",
             f"MSE {format_sci(m['mse'])}", f"max abs err {format_sci(m['max_abs'])}",
             f"shape {esc('x'.join(map(str, m['shape'])))}",
             f"float range {_range_text(m['float_range'])}",
             f"quantized range {_range_text(m['quantized_range'])}"]
    parts.append('<p class="facts">' + " ".join(f"<span>{f}</span>" for f in facts) + "</p>")

    vlines, legend, unknown = [], [], 0
    for r in h["ranges"]:
        colour, dash = method_style(r["method"], unknown)
        unknown += r["method"] not in METHOD_STYLE
        r["colour"], r["dash"] = colour, dash
        tip = f"{r['method']}: [{_num(r['lo'])}, {_num(r['hi'])}]"
        vlines.append((r["lo"], colour, dash, tip))
        vlines.append((r["hi"], colour, dash, tip))
        legend.append((colour, dash, f"{r['method']}  [{_num(r['lo'])}, {_num(r['hi'])}]"))
    if h["source"] == "stats":
        st = h["stats"]
        title = f"float activation of {name} (calibration histogram)"
        src = (f"histogram of {esc(st.get('count'))} values over {esc(st.get('batches'))} "
               f"batches from the stats file ({st['bins']} bins of width "
               f"<span class=\"nowrap\">2<sup>{st['log2_width']}</sup></span>; drawn with at most "
               f"{analysis.MAX_DISPLAY_BINS} bars)")
        if st.get("non_finite"):
            src += f"; {esc(st['non_finite'])} non-finite values not binned"
    else:
        title = f"float activation of {name} (dumped samples)"
        src = (f"histogram of the {esc(samples_text(report['samples']))} of the float dump "
               f"(no stats file entry; {analysis.DUMP_HISTOGRAM_BINS} bins)")
    if h["ranges"]:
        src += ". Clipped fractions are of these values"
    else:
        src += "; no clipping ranges, so no threshold lines"
    edges, counts = h["display"] if h["display"] else (None, None)
    act = svg.histogram(edges, counts, "activation value", title, vlines=vlines,
                        legend=legend, width=1000, height=300,
                        empty_text="no finite values")
    parts.append(act)
    parts.append(f'<div class="plots"><div><p class="muted">{src}.</p>')
    if h["ranges"]:
        rows = ['<table class="methods"><tr><th>method</th><th>lo</th><th>hi</th>'
                '<th>clipped below</th><th>clipped above</th></tr>']
        for r in h["ranges"]:
            rows.append(f'<tr><td><span class="swatch" style="border-color:{r["colour"]}"></span>'
                        f'{esc(r["method"])}</td><td>{esc(_num(r["lo"]))}</td>'
                        f'<td>{esc(_num(r["hi"]))}</td><td>{_pct(r["below"])}</td>'
                        f'<td>{_pct(r["above"])}</td></tr>')
        rows.append("</table>")
        parts.append("".join(rows))
    parts.append("</div><div>" + _error_chart(name, m) + "</div></div></section>")
    return "".join(parts)


def render_html(report, context):
    """context: {"title", "command", "inputs": [(label, value)], "hist_note"}."""
    n_l, n_o = len(report["layers"]), len(report["outputs"])
    p = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         '<meta name="viewport" content="width=device-width, initial-scale=1">',
         f"<title>{esc(context['title'])}</title><style>{CSS}</style></head><body><main>"]
    p.append(f"<h1>{esc(context['title'])}</h1>")
    p.append(f'<p class="subtitle">Float vs quantized activations at the input of '
             f'{n_l} layer{"s" * (n_l != 1)} and {n_o} model output{"s" * (n_o != 1)}, '
             f'{esc(samples_text(report["samples"]))}.</p>')

    if report["worst"] is not None:
        w = next(l for l in report["layers"] if l["worst"])
        idx = report["layers"].index(w)
        p.append(f'<div class="callout">Worst layer input: <a href="#layer-{idx}"><b>'
                 f'{esc(w["name"])}</b></a>, SQNR {esc(_sqnr_label(w["metrics"]["sqnr_db"]))}.'
                 '</div>')
    elif report["layers"]:
        p.append('<div class="callout ok">Every layer input is identical in both models.</div>')

    p.append("<h2>Inputs</h2>")
    p.append(f'<pre class="cmd">{esc(context["command"])}</pre>')
    p.append('<table class="kv">' + "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in context["inputs"])
        + "</table>")
    notes = list(report["notes"])
    if context.get("hist_note"):
        notes.insert(0, context["hist_note"])
    if notes:
        p.append('<div class="notes"><b>Notes</b><ul>'
                 + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul></div>")

    p.append("<h2>Error per layer</h2>")
    p.append(_metrics_table(report))
    p.append("<h2>SQNR per layer</h2>")
    p.append(_sqnr_chart(report))

    if report["layers"]:
        p.append("<h2>Layers</h2>")
        lines = (" with each calibration method\'s clipping range (lo and hi) as vertical "
                 "lines and the fraction of values each range clips" if report["have_ranges"]
                 else "")
        p.append('<p class="muted">Top: the float activation at the layer\'s input'
                 f'{lines}. Below right: the distribution of the quantized model\'s value '
                 'minus the float model\'s, over the dumped samples.</p>')
        for i, layer in enumerate(report["layers"]):
            p.append(_layer_section(i, layer, report))
    if report["outputs"]:
        p.append("<h2>Model outputs</h2>")
        p.append('<div class="plots">')
        for o in report["outputs"]:
            m = o["metrics"]
            p.append(f'<div><h3>{esc(o["name"])}</h3><p class="facts">'
                     f'<span>SQNR <b>{esc(_sqnr_label(m["sqnr_db"]))}</b></span> '
                     f'<span>MSE {format_sci(m["mse"])}</span> '
                     f'<span>max abs err {format_sci(m["max_abs"])}</span></p>'
                     + _error_chart(o["name"], m) + "</div>")
        p.append("</div>")
    p.append("<footer>SQNR = 10&#183;log<sub>10</sub>(&#931; float&#178; / &#931; "
             "(float &#8722; quantized)&#178;) in dB, +inf when identical; MSE = mean "
             "squared difference; max abs err = largest |float &#8722; quantized|. "
             "Observers sit at each layer's input, so a layer's numbers include the error "
             "of every layer before it and the quantization of its own input. Generated by "
             "quant-report (docs/Report.md).</footer>")
    p.append("</main></body></html>\n")
    return "\n".join(p)
