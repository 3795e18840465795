"""Charts as SVG images drawn on the server (pygal): the same picture on the dashboard and in the PDF report, no
script, colours told apart by people with a colour vision deficiency (Okabe–Ito), and every chart's numbers in a
table beside it."""

from __future__ import annotations

import base64

import pygal
from pygal.style import Style

# Okabe–Ito: distinguishable with every common colour vision deficiency; dark enough on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#616e7c",
    colors=PALETTE,
    font_family="DejaVu Sans, Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=16,
    value_font_size=12,
)


def _config(chart: pygal.Graph, title: str) -> pygal.Graph:
    chart.title = title
    chart.js = []  # no script: the numbers are in the table beside the chart
    chart.width, chart.height = 760, 340
    chart.legend_at_bottom = True
    chart.print_values = False
    chart.show_y_guides = True
    return chart


def bars(title: str, labels: list[str], series: dict[str, list[int]], stacked: bool = False) -> str:
    """A bar chart, as a data: address for an <img>."""
    chart = _config((pygal.StackedBar if stacked else pygal.Bar)(style=STYLE), title)
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return _data_url(chart)


def line(title: str, labels: list[str], series: dict[str, list[int]]) -> str:
    chart = _config(pygal.Line(style=STYLE, dots_size=4), title)
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return _data_url(chart)


def horizontal(title: str, rows: list[tuple[str, int]]) -> str:
    chart = _config(pygal.HorizontalBar(style=STYLE), title)
    chart.show_legend = False
    chart.x_labels = [label for label, _count in rows]
    chart.add(title, [count for _label, count in rows])
    return _data_url(chart)


def _data_url(chart: pygal.Graph) -> str:
    svg = chart.render()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
