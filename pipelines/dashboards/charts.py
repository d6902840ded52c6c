"""Small inline SVG charts rendered from the data: no script, no network, printable."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from pipelines.dashboards.definition import month_label


def sparkline(points: list[tuple[int, int, float]], fmt: Callable[[float], str],
              width: int = 180, height: int = 44) -> Markup:
    """Monthly curve: one dot per month with a value (a missing month leaves a gap on the time axis)."""
    if not points:
        return Markup('<span class="muted">—</span>')
    pad = 4
    months = [y * 12 + m for y, m, _ in points]
    values = [v for _, _, v in points]
    low, high = min(values), max(values)
    span_x, span_y = max(months[-1] - months[0], 1), (high - low) or 1.0

    def xy(month: int, value: float) -> tuple[float, float]:
        x = pad + (month - months[0]) / span_x * (width - 2 * pad)
        y = height / 2 if high == low else height - pad - (value - low) / span_y * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    coords = [xy(m, v) for m, v in zip(months, values, strict=True)]
    first, last = points[0], points[-1]
    summary = (f"Évolution mensuelle de {month_label(first[0], first[1], short=True)} à "
               f"{month_label(last[0], last[1], short=True)} : de {fmt(first[2])} à {fmt(last[2])} "
               f"(minimum {fmt(low)}, maximum {fmt(high)})")
    dots = "".join(
        f'<circle class="point{" last" if i == len(points) - 1 else ""}" cx="{x}" cy="{y}" r="{2.6 if i == len(points) - 1 else 1.6}">'
        f"<title>{escape(month_label(year, month, short=True))} : {escape(fmt(value))}</title></circle>"
        for i, ((x, y), (year, month, value)) in enumerate(zip(coords, points, strict=True)))
    line = " ".join(f"{x},{y}" for x, y in coords)
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(summary)}"><title>{escape(summary)}</title>'
        f'<polyline points="{line}"/>{dots}</svg>')


def bar(value: float | None, maximum: float, width: int = 120, height: int = 12) -> Markup:
    """A horizontal bar beside a value shown as text (decorative for screen readers)."""
    if value is None or maximum <= 0:
        return Markup("")
    length = round(max(0.0, min(value / maximum, 1.0)) * width, 1)
    return Markup(
        f'<svg class="bar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-hidden="true">'
        f'<rect class="track" width="{width}" height="{height}"/><rect class="fill" width="{length}" height="{height}"/>'
        "</svg>")
