"""Small server-side SVG charts: a line chart, a bar chart and a heat map.

Plain SVG built here, no library and no script: the text stays text, drawn by the device's own
fonts (Burmese, Lao and Urdu shape correctly), a chart costs a few kilobytes, and the page works
offline. Each chart scales to its box (viewBox); the page puts the numbers behind it in a table
and a CSV next to it. Labels come in already translated and formatted; they are escaped here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360  # about a phone's width in CSS pixels, so 12-unit text reads as 12 px there


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]
    css: str  # a class the stylesheet colours: series-1, series-2, ...


def _svg(height: int, label: str, body: list[str], rtl: bool = False) -> Markup:
    # Always said: a chart inside a right-to-left page would otherwise inherit rtl.
    direction = f' direction="{"rtl" if rtl else "ltr"}"'
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}"{direction} xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{cls}>{escape(text)}</text>'


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    label: str,
    y_format: Callable[[int], str] = str,
    height: int = 200,
) -> Markup:
    """Lines over a shared x axis (days, oldest on the left). x_labels: first, middle and last are
    printed; the y axis shows 0 and the top value."""
    left, right, top, bottom = 4, WIDTH - 4, 18, height - 22
    count = max((len(s.values) for s in series), default=0)
    peak = max((max(s.values, default=0) for s in series), default=0) or 1
    step = (right - left) / max(count - 1, 1)

    def y(v: int) -> float:
        return bottom - (bottom - top) * v / peak

    body = [
        f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
        f'<line class="grid" x1="{left}" y1="{top}" x2="{right}" y2="{top}"/>',
        _text(left, top - 5, y_format(peak), css="tick"),
    ]
    for s in series:
        points = " ".join(f"{left + i * step:.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        body.append(f'<polyline class="line {escape(s.css)}" points="{points}"/>')
    if x_labels:
        shown = {0: "start", len(x_labels) - 1: "end"}
        if len(x_labels) > 2:
            shown[len(x_labels) // 2] = "middle"
        for i, anchor in sorted(shown.items()):
            body.append(_text(left + i * step, height - 6, x_labels[i], anchor, "tick"))
    return _svg(height, label, body)


def bar_chart(
    bars: Sequence[tuple[str, int]],
    *,
    label: str,
    value_format: Callable[[int], str] = str,
    rtl: bool = False,
    css: str = "series-1",
) -> Markup:
    """Horizontal bars, one per row: the label on its own line above the bar, so long words in
    any script fit a phone; right to left, the bars grow from the right."""
    row, bar_h = 40, 14
    height = row * len(bars) + 4
    peak = max((v for _l, v in bars), default=0) or 1
    usable = WIDTH - 8
    body = []
    for i, (text, value) in enumerate(bars):
        y = i * row + 16
        width = max(usable * value / peak, 1 if value else 0)
        x = WIDTH - 4 - width if rtl else 4
        tx = WIDTH - 4 if rtl else 4  # "start" is the right edge under direction="rtl"
        body.append(_text(tx, y, f"{text}: {value_format(value)}", "start", "bar-label"))
        body.append(
            f'<rect class="hbar {escape(css)}" x="{x:.1f}" y="{y + 5}" '
            f'width="{width:.1f}" height="{bar_h}" rx="2"/>'
        )
    return _svg(height, label, body, rtl)


def heatmap(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[int | None]],
    *,
    label: str,
    cell_format: Callable[[int], str] = str,
    peak: int = 10_000,
) -> Markup:
    """A grid of cells shaded by value (0..peak; None: no data, left blank), the value printed in
    each cell. Rows may be shorter than the columns (a cohort's later months have not come)."""
    label_w, top = 52, 18
    cols = max(len(column_labels), 1)
    cell_w = (WIDTH - label_w - 2) / cols
    cell_h = 22
    height = top + cell_h * len(row_labels) + 2
    body = []
    for j, text in enumerate(column_labels):
        body.append(_text(label_w + (j + 0.5) * cell_w, top - 6, text, "middle", "tick"))
    for i, text in enumerate(row_labels):
        y = top + i * cell_h
        body.append(_text(2, y + cell_h - 7, text, "start", "tick"))
        for j, value in enumerate(cells[i] if i < len(cells) else []):
            if value is None:
                continue
            shade = min(max(value / peak, 0.0), 1.0)
            x = label_w + j * cell_w
            body.append(
                f'<rect class="cell" x="{x:.1f}" y="{y}" width="{cell_w - 1:.1f}" '
                f'height="{cell_h - 1}" fill-opacity="{0.08 + 0.92 * shade:.2f}"/>'
            )
            css = "cell-text dark" if shade > 0.55 else "cell-text"
            body.append(
                _text(x + (cell_w - 1) / 2, y + cell_h - 7, cell_format(value), "middle", css)
            )
    return _svg(height, label, body)
