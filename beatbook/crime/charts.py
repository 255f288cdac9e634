"""Charts drawn on the server as SVG: no script, nothing for the CSP to block.

Colours are SVG presentation attributes (fill, stroke), which the Content-Security-Policy's
style-src does not govern, and every shape also carries a class so that a stylesheet can
restyle it. Each chart is an `<svg role="img">` named by its own `<title>` and `<desc>`;
the page puts a table with the same figures next to it, so the chart adds no information
that only sighted mouse users get. Series differ by more than colour: line charts by dash
and marker shape, bar charts by their labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

TEXT = "#0b0c0c"
GRID = "#b1b4b6"
# Both at least 3:1 against white (WCAG 1.4.11 non-text contrast): GOV.UK blue and red.
BLUE = "#1d70b8"
RED = "#d4351c"
FONT_SIZE = 12
# The page's own font stack (beatbook.scss): SVG text does not inherit GOV.UK's font, which
# is set on text classes rather than on the body.
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', arial, sans-serif"


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    colour: str = BLUE
    css: str = "bb-chart__series--1"
    dashed: bool = False
    marker: str = "circle"  # or "square"


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` gridlines up to `maximum`."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            step = multiple * power
            # Counts are whole numbers: a step below 1 would label 0.5 crimes.
            return max(step, 1.0)
    return 10 * power  # pragma: no cover - the loop always returns


def _f(value: float) -> str:
    """A coordinate with one decimal (format_html escapes its arguments to text first,
    so numbers are formatted before they reach it)."""
    return f"{value:.1f}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(
    *, chart_id: str, title: str, description: str, width: int, height: int, body: list[str], css: str
) -> SafeString:
    head = format_html(
        '<svg class="bb-chart {}" id="{}" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="{}-title {}-desc" focusable="false" font-size="{}" font-family="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        css,
        chart_id,
        width,
        height,
        chart_id,
        chart_id,
        FONT_SIZE,
        FONT_FAMILY,
        chart_id,
        title,
        chart_id,
        description,
    )
    # `body` holds only markup built with format_html below, so it is already escaped.
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308


def _marker(series: Series, x: float, y: float) -> str:
    if series.marker == "square":
        return format_html(
            '<rect class="bb-chart__marker {}" x="{}" y="{}" width="7" height="7" fill="{}"></rect>',
            series.css,
            _f(x - 3.5),
            _f(y - 3.5),
            series.colour,
        )
    return format_html(
        '<circle class="bb-chart__marker {}" cx="{}" cy="{}" r="3.5" fill="{}"></circle>',
        series.css,
        _f(x),
        _f(y),
        series.colour,
    )


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    width: int = 720,
    height: int = 300,
) -> SafeString:
    """Lines over months (or any ordered labels), with a y axis from 0 and a legend."""
    left, right, top, bottom = 56, 16, 36, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    maximum = max((v for s in series for v in s.values), default=0)
    step = nice_step(maximum)
    top_value = step * max(1, math.ceil(maximum / step))
    n = len(labels)

    def x_of(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    body: list[str] = []
    tick = 0.0
    while tick <= top_value + 1e-9:
        y = y_of(tick)
        body.append(
            format_html(
                '<line class="bb-chart__grid" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"></line>'
                '<text class="bb-chart__tick" x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                left,
                width - right,
                _f(y),
                _f(y),
                GRID,
                left - 6,
                _f(y + 4),
                TEXT,
                _number(tick),
            )
        )
        tick += step
    # Label every month when they fit, else every second, third... month, counting back
    # from the last so that the latest month always has its label.
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(labels):
        if (n - 1 - i) % every == 0:
            body.append(
                format_html(
                    '<text class="bb-chart__label" x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                    _f(x_of(i)),
                    height - bottom + 18,
                    TEXT,
                    label,
                )
            )
    body.append(
        format_html(
            '<line class="bb-chart__axis" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"></line>',
            left,
            width - right,
            top + plot_h,
            top + plot_h,
            TEXT,
        )
    )
    for s in series:
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(s.values))
        body.append(
            format_html(
                '<polyline class="bb-chart__line {}" points="{}" fill="none" stroke="{}" stroke-width="2.5"{}></polyline>',
                s.css,
                points,
                s.colour,
                mark_safe(' stroke-dasharray="6 4"') if s.dashed else "",
            )
        )
        body.extend(_marker(s, x_of(i), y_of(v)) for i, v in enumerate(s.values))
    # Legend across the top: a sample of each line with its marker, then its name.
    x = left
    for s in series:
        sample = Series(s.label, [], s.colour, s.css, s.dashed, s.marker)
        body.append(
            format_html(
                '<line class="bb-chart__line {}" x1="{}" x2="{}" y1="14" y2="14" stroke="{}" stroke-width="2.5"{}></line>',
                s.css,
                x,
                x + 28,
                s.colour,
                mark_safe(' stroke-dasharray="6 4"') if s.dashed else "",
            )
        )
        body.append(_marker(sample, x + 14, 14))
        body.append(
            format_html('<text class="bb-chart__legend" x="{}" y="18" fill="{}">{}</text>', x + 36, TEXT, s.label)
        )
        x += 48 + 7 * len(s.label)
    return _svg(
        chart_id=chart_id,
        title=title,
        description=description,
        width=width,
        height=height,
        body=body,
        css="bb-chart--line",
    )


def paired_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    first: Series,
    second: Series,
    value_text: Callable[[float], str] = _number,
    width: int = 720,
) -> SafeString:
    """Horizontal bars, two per label (e.g. share of crimes and share of harm), each with its value written at its end."""
    label_w, right, top, row_h, bar_h = 220, 80, 36, 34, 12
    height = top + row_h * len(labels) + 8
    plot_w = width - label_w - right
    maximum = max([*first.values, *second.values, 0])
    scale = plot_w / maximum if maximum > 0 else 0.0
    body: list[str] = []
    x = label_w
    for s in (first, second):
        body.append(
            format_html(
                '<rect class="bb-chart__bar {}" x="{}" y="6" width="14" height="{}" fill="{}"></rect>'
                '<text class="bb-chart__legend" x="{}" y="17" fill="{}">{}</text>',
                s.css,
                x,
                bar_h,
                s.colour,
                x + 20,
                TEXT,
                s.label,
            )
        )
        x += 40 + 7 * len(s.label)
    for i, label in enumerate(labels):
        y = top + row_h * i
        body.append(
            format_html(
                '<text class="bb-chart__label" x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                label_w - 8,
                y + bar_h + 4,
                TEXT,
                label,
            )
        )
        for j, s in enumerate((first, second)):
            value = s.values[i]
            bar_y = y + j * (bar_h + 2)
            length = max(0.0, value * scale)
            body.append(
                format_html(
                    '<rect class="bb-chart__bar {}" x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
                    '<text class="bb-chart__value" x="{}" y="{}" fill="{}">{}</text>',
                    s.css,
                    label_w,
                    bar_y,
                    _f(length),
                    bar_h,
                    s.colour,
                    _f(label_w + length + 4),
                    bar_y + bar_h - 2,
                    TEXT,
                    value_text(value),
                )
            )
    body.append(
        format_html(
            '<line class="bb-chart__axis" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"></line>',
            label_w,
            label_w,
            top - 4,
            height - 4,
            TEXT,
        )
    )
    return _svg(
        chart_id=chart_id,
        title=title,
        description=description,
        width=width,
        height=height,
        body=body,
        css="bb-chart--bars",
    )
