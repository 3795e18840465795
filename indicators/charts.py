"""Charts as SVG images drawn on the server (pygal): the same picture on the dashboard and in the PDF report, no
script, colours told apart by people with a colour vision deficiency (Okabe–Ito), and every chart's numbers in a
table beside it.

Counts are drawn honestly: the count axis starts at zero and is graduated in whole numbers (a bar from 46 to 52 would
look like a tenfold rise), labels are written whole (rotated when they do not fit side by side, never cut to
"décembre 20"), and a month that is not whole (the running one, or one the period cuts) is drawn lighter with a
dashed outline (bars) or joined by a dashed line (lines), its label starred and the star explained under the axis
("* décembre 2026 (en cours, jusqu'au 7)"), so that seven days of December do not read as a fall, in the PDF too."""

from __future__ import annotations

import base64
import math
from collections.abc import Collection
from typing import Any

import pygal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pygal.style import Style

# Okabe–Ito: distinguishable with every common colour vision deficiency; dark enough on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
WIDTH, HEIGHT = 760, 340
LABEL_FONT_SIZE = 13
NICE_STEPS = (1, 2, 5)
MAX_TICKS = 6  # graduations on the count axis, besides zero


def _style(colors: tuple[str, ...] = PALETTE) -> Style:
    return Style(
        background="white",
        plot_background="white",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#616e7c",
        colors=colors,
        font_family="DejaVu Sans, Arial, sans-serif",
        label_font_size=LABEL_FONT_SIZE,
        major_label_font_size=LABEL_FONT_SIZE,
        legend_font_size=LABEL_FONT_SIZE,
        title_font_size=16,
        value_font_size=12,
    )


STYLE = _style()
PARTIAL_NOTE = gettext_lazy(
    "A month marked * is not whole: its figures cover only the days given in the table (the running month will "
    "still grow). Its bars are lighter with a dashed outline, its line is dashed."
)
STAR = " *"


def count_scale(top: int) -> list[int]:
    """Whole graduations from 0 to at least `top`, at a round step (1, 2, 5, 10, 20, 50…), at most MAX_TICKS of
    them above zero; an empty chart still gets 0 and 1."""
    top = max(top, 1)
    magnitude = 1
    while True:
        for factor in NICE_STEPS:
            step = factor * magnitude
            if math.ceil(top / step) <= MAX_TICKS:
                return list(range(0, step * math.ceil(top / step) + 1, step))
        magnitude *= 10


def partial_note(months: list[str]) -> str:
    """What the star under a chart's axis means: "* décembre 2026 (en cours, jusqu'au 7)"."""
    return "* " + ", ".join(months)


def _no_script(tree: Any) -> Any:
    """pygal writes its configuration into a <script> even with no script file: remove it (the image is shown in an
    <img> and in a PDF, where nothing runs, and our Content-Security-Policy allows no inline script anyway)."""
    for parent in list(tree.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return tree


def _config(
    chart: pygal.Graph, title: str, labels: list[str], top: int, partial: Collection[int] = (), note: str = ""
) -> pygal.Graph:
    """`partial`: the positions of the months that are not whole, starred; `note` says which and why, under the
    axis (by default, that they are not whole)."""
    labels = [label + STAR if i in partial else label for i, label in enumerate(labels)]
    if partial:
        chart.x_title = note or "* " + _("month not whole")
    chart.title = title
    chart.js = []  # no script: the numbers are in the table beside the chart
    chart.xml_filters = [_no_script]
    chart.width, chart.height = WIDTH, HEIGHT
    chart.legend_at_bottom = True
    chart.print_values = False
    chart.show_y_guides = True
    chart.x_labels = labels
    chart.truncate_label = -1  # whole labels; rotated below when they would overlap
    chart.truncate_legend = -1
    scale = count_scale(top)
    chart.include_x_axis = True  # the count axis starts at zero
    chart.range = (0, scale[-1])
    chart.y_labels = scale
    chart.value_formatter = lambda value: f"{value:.0f}"  # whole numbers: one cannot take half a place
    chart.x_label_rotation = _rotation(labels, horizontal=isinstance(chart, pygal.HorizontalBar))
    return chart


def _legend(chart: pygal.Graph) -> pygal.Graph:
    """The legend on one line when it fits (the plot keeps its height), else two columns: names are never cut."""
    names = [str(options.get("title", "")) for _values, options in chart.raw_series]
    widest = max((len(name) for name in names), default=0) * LABEL_FONT_SIZE * 0.62 + 30
    chart.legend_at_bottom_columns = len(names) if widest * len(names) < WIDTH * 0.7 else 2
    return chart


def _rotation(labels: list[str], horizontal: bool) -> int:
    """Category labels side by side fit when each is narrower than its share of the width; otherwise they are
    written at a slant (a horizontal chart writes them one per line, so never)."""
    if horizontal or not labels:
        return 0
    widest = max(len(label) for label in labels) * LABEL_FONT_SIZE * 0.62
    share = (WIDTH - 100) / len(labels)
    return 0 if widest < share - 8 else 330


def _light(value: int, color: str) -> dict[str, Any]:
    """A bar of a month that is not whole: its colour washed out and outlined with dashes."""
    return {
        "value": value,
        "style": f"fill: {color}; fill-opacity: 0.35; stroke: {color}; stroke-width: 2; stroke-dasharray: 5 3",
    }


def bars(
    title: str,
    labels: list[str],
    series: dict[str, list[int]],
    stacked: bool = False,
    partial: Collection[int] = (),
    note: str = "",
) -> str:
    """A bar chart, as a data: address for an <img>. `partial`: the positions of months that are not whole."""
    if stacked:
        top = max((sum(values) for values in zip(*series.values(), strict=True)), default=0)
    else:
        top = max((max(values, default=0) for values in series.values()), default=0)
    chart = _config((pygal.StackedBar if stacked else pygal.Bar)(style=STYLE), title, labels, top, partial, note)
    for number, (name, values) in enumerate(series.items()):
        color = PALETTE[number % len(PALETTE)]
        chart.add(name, [_light(v, color) if i in partial else v for i, v in enumerate(values)])
    return _data_url(chart)


def line(
    title: str, labels: list[str], series: dict[str, list[int]], partial: Collection[int] = (), note: str = ""
) -> str:
    """A line chart of counts. The segments that reach a month that is not whole are dashed, in a series of their own
    ("… (partial month)"), so that the legend says what the dashes mean."""
    top = max((max(values, default=0) for values in series.values()), default=0)
    names = list(series)
    dashed = {i for p in partial for i in (p - 1, p, p + 1) if 0 <= i < len(labels)}  # the segments to them
    colors = [PALETTE[n % len(PALETTE)] for n in range(len(names))]
    chart = _config(
        pygal.Line(style=_style(tuple(colors * 2)), dots_size=4, allow_interruptions=True),
        title,
        labels,
        top,
        partial,
        note,
    )
    for name, values in series.items():
        chart.add(name, [None if i in partial else v for i, v in enumerate(values)])
    if partial:
        for name, values in series.items():
            chart.add(
                _("%(series)s (partial month)") % {"series": name},
                [v if i in dashed else None for i, v in enumerate(values)],
                stroke_style={"dasharray": "6, 4", "width": 2},
            )
    return _data_url(chart)


def horizontal(title: str, rows: list[tuple[str, int]]) -> str:
    """Bars across, the first row on top as in the table beside it (pygal draws the first category at the bottom)."""
    rows = rows[::-1]
    chart = _config(
        pygal.HorizontalBar(style=STYLE),
        title,
        [label for label, _count in rows],
        max((count for _label, count in rows), default=0),
    )
    chart.show_legend = False
    chart.add(title, [count for _label, count in rows])
    return _data_url(chart)


def _data_url(chart: pygal.Graph) -> str:
    svg = _legend(chart).render()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
