"""Inline SVG charts: a horizontal bar chart and a histogram with vertical
marker lines. Plain strings, no external resources, no scripts; sizes come
from the viewBox so the page scales them to its column width."""

import html
import math

FONT = 12
AXIS_COLOR = "#444"
GRID_COLOR = "#e3e3e3"
TEXT_COLOR = "#222"


def esc(s):
    return html.escape(str(s), quote=True)


def fmt_num(v):
    """Short tick/legend label."""
    if v == 0:
        return "0"
    a = abs(v)
    s = f"{v:.4g}"
    if 1e4 <= a < 1e5:
        return f"{v:.0f}"
    if a >= 1e5 or a < 1e-3:
        mant, exp = f"{v:.2e}".split("e")
        mant = mant.rstrip("0").rstrip(".")
        return f"{mant}e{int(exp)}"
    return s


def fmt_ticks(ticks):
    """Labels of an axis's ticks, with as many decimals as the step needs (or
    all in e-notation for very large or very fine axes)."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    if max(abs(t) for t in ticks) >= 1e5 or step < 1e-4:
        return [fmt_num(t) for t in ticks]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if step * 10 ** decimals % 1 > 1e-6:  # 2.5, 0.25, ...
        decimals += 1
    return ["0" if t == 0 else f"{t:.{decimals}f}" for t in ticks]


def fmt_count(c):
    c = float(c)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if c >= div:
            return f"{c / div:.3g}{suffix}"
    return f"{c:.3g}"


def nice_step(span, n):
    raw = span / max(n, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def nice_ticks(lo, hi, n=6, min_step=0.0):
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    step = max(min_step, nice_step(hi - lo, n))
    t = math.ceil(lo / step - 1e-9) * step
    out = []
    while t <= hi + step * 1e-9:
        out.append(0.0 if abs(t) < step * 1e-9 else t)
        t += step
    return out


class Scale:
    def __init__(self, d0, d1, r0, r1):
        self.d0, self.d1, self.r0, self.r1 = d0, d1, r0, r1

    def __call__(self, v):
        if self.d1 == self.d0:
            return (self.r0 + self.r1) / 2
        return self.r0 + (v - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)


def _svg_open(w, h, label):
    return (f'<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            f'role="img" aria-label="{esc(label)}" '
            f'font-size="{FONT}" fill="{TEXT_COLOR}">')


def _text(x, y, s, anchor="start", size=None, weight=None, fill=None, extra=""):
    a = f' text-anchor="{anchor}"' if anchor != "start" else ""
    if size:
        a += f' font-size="{size}"'
    if weight:
        a += f' font-weight="{weight}"'
    if fill:
        a += f' fill="{fill}"'
    return f'<text x="{x:.1f}" y="{y:.1f}"{a}{extra}>{esc(s)}</text>'


def bar_chart(rows, x_label, legend=()):
    """Horizontal bars. rows: [(label, value, colour, value_text)]; value may
    be +inf (bar to the right end, hatched) or -inf (to the left end).
    legend: [(colour, text)]."""
    finite = [v for _, v, _, _ in rows if math.isfinite(v)]
    lo = min(finite + [0.0])
    hi = max(finite + [0.0])
    if hi - lo < 1e-9:
        hi = lo + 10.0
    step = nice_step(hi - lo, 8)
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    if any(v == math.inf for _, v, _, _ in rows):
        hi += step  # room for the infinite bars beyond the largest finite one
    if any(v == -math.inf for _, v, _, _ in rows):
        lo -= step
    ticks = nice_ticks(lo, hi, 8)

    longest = max([len(str(r[0])) for r in rows] + [5])
    left = min(260, 16 + 7.2 * longest)
    # Room for the value labels of the bars that reach the right end.
    far = [len(t) for _, v, _, t in rows if v == math.inf or (math.isfinite(v) and v >= hi - step)]
    right = min(260, 16 + 7 * max(far + [8]))
    top = 34 if legend else 12
    row_h = 24
    W = 1000
    H = top + row_h * len(rows) + 46
    x = Scale(lo, hi, left, W - right)
    out = [_svg_open(W, H, x_label)]
    out.append('<defs><pattern id="hatch" width="6" height="6" '
               'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
               '<rect width="6" height="6" fill="#b7c9dd"/>'
               '<line x1="0" y1="0" x2="0" y2="6" stroke="#4c78a8" stroke-width="2"/>'
               '</pattern></defs>')
    plot_bottom = top + row_h * len(rows)
    for t, label in zip(ticks, fmt_ticks(ticks)):
        out.append(f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{plot_bottom}" '
                   f'stroke="{GRID_COLOR}"/>')
        out.append(_text(x(t), plot_bottom + 16, label, "middle"))
    for i, (label, v, colour, vtext) in enumerate(rows):
        y = top + i * row_h
        cy = y + row_h / 2 + 4
        shown = label if len(label) <= 34 else label[:32] + "\u2026"
        out.append(f'<g><title>{esc(label)}: {esc(vtext)}</title>')
        out.append(_text(left - 8, cy, shown, "end"))
        if v == math.inf:
            x0, x1, fill = x(0), x(hi), "url(#hatch)"
        elif v == -math.inf:
            x0, x1, fill = x(lo), x(0), colour
        else:
            x0, x1, fill = sorted((x(0), x(v))) + [colour]
        out.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1):.1f}" '
                   f'height="{row_h - 8}" fill="{fill}"/>')
        tx = x1 + 5 if (v >= 0) else x(0) + 5
        out.append(_text(tx, cy, vtext, weight="bold" if colour == "#e45756" else None))
        out.append('</g>')
    out.append(f'<line x1="{x(0):.1f}" y1="{top}" x2="{x(0):.1f}" y2="{plot_bottom}" '
               f'stroke="{AXIS_COLOR}"/>')
    out.append(f'<line x1="{left}" y1="{plot_bottom}" x2="{W - right}" y2="{plot_bottom}" '
               f'stroke="{AXIS_COLOR}"/>')
    out.append(_text((left + W - right) / 2, plot_bottom + 38, x_label, "middle",
                     size=13, weight="bold"))
    lx = left
    for colour, text in legend:
        out.append(f'<rect x="{lx}" y="10" width="14" height="12" fill="{colour}"/>')
        out.append(_text(lx + 19, 20, text))
        lx += 30 + 7 * len(text)
    out.append('</svg>')
    return "".join(out)


def histogram(edges, counts, x_label, title, vlines=(), legend=(), width=640,
              height=270, log=None, bar_colour="#8fa3bf", empty_text="no values",
              centre_line=None):
    """edges: n+1 bin edges, counts: n counts (or edges/counts None: empty).
    vlines: [(x, colour, dash, tooltip)]. legend: [(colour, dash, text)].
    log: None chooses a log count axis when the counts span > 50x."""
    legend_w = 270 if legend else 0
    left, right, top, bottom = 62, 16 + legend_w, 30, 52
    W, H = width, height
    pw0, pw1 = left, W - right
    ph0, ph1 = top, H - bottom
    out = [_svg_open(W, H, title)]
    out.append(_text(pw0, 18, title, size=13, weight="bold"))
    if edges is None or counts is None or len(counts) == 0 or max(counts) <= 0:
        out.append(f'<rect x="{pw0}" y="{ph0}" width="{pw1 - pw0}" height="{ph1 - ph0}" '
                   f'fill="#fafafa" stroke="{GRID_COLOR}"/>')
        out.append(_text((pw0 + pw1) / 2, (ph0 + ph1) / 2, empty_text, "middle",
                         fill="#666"))
        out.append('</svg>')
        return "".join(out)

    counts = [float(c) for c in counts]
    edges = [float(e) for e in edges]
    xs = [edges[0], edges[-1]] + [v[0] for v in vlines]
    xlo, xhi = min(xs), max(xs)
    if xhi <= xlo:
        xlo, xhi = xlo - 0.5, xhi + 0.5
    pad = (xhi - xlo) * 0.03
    xlo, xhi = xlo - pad, xhi + pad
    x = Scale(xlo, xhi, pw0, pw1)

    positive = [c for c in counts if c > 0]
    cmax = max(positive)
    if log is None:
        log = cmax / min(positive) > 50
    if log:
        top_dec = max(1, math.ceil(math.log10(cmax) + 1e-9))
        y = Scale(math.log10(0.5), top_dec, ph1, ph0)
        ystep = 1 if top_dec <= 7 else 2
        yticks = [(10.0 ** k, math.log10(10.0 ** k)) for k in range(0, top_dec + 1, ystep)]
        yval = lambda c: y(math.log10(c))  # noqa: E731
        y_label = "count (log scale)"
    else:
        step = max(1.0, nice_step(cmax * 1.05, 4))  # counts are integers
        ymax = math.ceil(cmax * 1.05 / step) * step
        y = Scale(0, ymax, ph1, ph0)
        yticks = [(t, t) for t in nice_ticks(0, ymax, 4, min_step=1.0)]
        yval = y
        y_label = "count"

    # grid and axes
    for c, t in yticks:
        out.append(f'<line x1="{pw0}" y1="{y(t):.1f}" x2="{pw1}" y2="{y(t):.1f}" '
                   f'stroke="{GRID_COLOR}"/>')
        out.append(_text(pw0 - 6, y(t) + 4, fmt_count(c), "end"))
    xticks = nice_ticks(xlo, xhi, 6)
    for t, label in zip(xticks, fmt_ticks(xticks)):
        out.append(f'<line x1="{x(t):.1f}" y1="{ph1}" x2="{x(t):.1f}" y2="{ph1 + 5}" '
                   f'stroke="{AXIS_COLOR}"/>')
        out.append(_text(x(t), ph1 + 18, label, "middle"))
    # bars
    bars = []
    for i, c in enumerate(counts):
        if c <= 0:
            continue
        x0, x1 = x(edges[i]), x(edges[i + 1])
        yt = yval(c)
        bars.append(f'M{x0:.2f} {ph1}V{yt:.2f}H{max(x1, x0 + 0.6):.2f}V{ph1}Z')
    out.append(f'<path d="{"".join(bars)}" fill="{bar_colour}"/>')
    if centre_line is not None and xlo <= centre_line <= xhi:
        out.append(f'<line x1="{x(centre_line):.1f}" y1="{ph0}" x2="{x(centre_line):.1f}" '
                   f'y2="{ph1}" stroke="{AXIS_COLOR}" stroke-width="1" '
                   f'stroke-dasharray="2 3"/>')
    for vx, colour, dash, tip in vlines:
        out.append(f'<line x1="{x(vx):.1f}" y1="{ph0}" x2="{x(vx):.1f}" y2="{ph1}" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}">'
                   f'<title>{esc(tip)}</title></line>')
    out.append(f'<line x1="{pw0}" y1="{ph1}" x2="{pw1}" y2="{ph1}" stroke="{AXIS_COLOR}"/>')
    out.append(f'<line x1="{pw0}" y1="{ph0}" x2="{pw0}" y2="{ph1}" stroke="{AXIS_COLOR}"/>')
    out.append(_text((pw0 + pw1) / 2, H - 12, x_label, "middle", weight="bold"))
    cy = (ph0 + ph1) / 2
    out.append(_text(16, cy, y_label, "middle", weight="bold",
                     extra=f' transform="rotate(-90 16 {cy:.1f})"'))
    # legend
    ly = ph0 + 4
    lx = W - legend_w + 8
    for colour, dash, text in legend:
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 26}" y2="{ly}" stroke="{colour}" '
                   f'stroke-width="2.5" stroke-dasharray="{dash}"/>')
        out.append(_text(lx + 32, ly + 4, text))
        ly += 20
    out.append('</svg>')
    return "".join(out)
