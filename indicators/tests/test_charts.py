"""The charts as drawn (their SVG read back): counts from zero in whole numbers, labels written whole, no script, the
months that are not whole marked. (Every month of a period present, with 0: test_dashboard_months.)"""

from __future__ import annotations

import base64
import itertools
from xml.etree import ElementTree

import pytest
from django.utils import translation

from indicators import charts

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"{name} 2026" for name in ("janvier", "février", "septembre", "octobre", "novembre", "décembre")]


def svg(url: str) -> ElementTree.Element:
    assert url.startswith("data:image/svg+xml;base64,")
    return ElementTree.fromstring(base64.b64decode(url.split(",", 1)[1]))  # noqa: S314 (our own drawing)


def axis(url: str, counts: bool = True) -> list[str]:
    """The labels of the count axis (or of the category axis), as drawn."""
    for group in svg(url).iter(SVG + "g"):
        classes = group.get("class", "").split()
        if "axis" in classes and ("always_show" in classes) == counts:
            return [text.text or "" for text in group.iter(SVG + "text")]
    raise AssertionError("no such axis")


def texts(url: str) -> list[str]:
    return [text.text or "" for text in svg(url).iter(SVG + "text")]


def test_a_line_of_counts_far_from_zero_is_drawn_from_zero() -> None:
    drawn = charts.line("Demandes", ["a", "b", "c"], {"Reçues": [46, 220, 180]})
    labels = axis(drawn)
    assert labels[0] == "0"  # not 46: a rise from 46 to 220 is not drawn as from nothing to everything
    assert all(label.isdigit() for label in labels) and int(labels[-1]) >= 220


@pytest.mark.parametrize("top", [0, 1, 3, 7, 13, 46, 220, 1234])
def test_count_axes_are_whole_numbers_from_zero_at_a_round_step(top: int) -> None:
    scale = charts.count_scale(top)
    steps = {b - a for a, b in itertools.pairwise(scale)}
    assert scale[0] == 0 and scale[-1] >= max(top, 1) and len(steps) == 1 and len(scale) <= charts.MAX_TICKS + 1
    assert steps.pop() in {1, 2, 5, 10, 20, 50, 100, 200, 500}
    for drawn in (
        charts.bars("Places", ["a", "b"], {"Prises": [top, 0]}),
        charts.bars("Places", ["a", "b"], {"Prises": [top, 0], "Non prises": [1, 0]}, stacked=True),
        charts.horizontal("Origines", [("a", top), ("b", 0)]),
    ):
        labels = axis(drawn)
        assert labels[0] == "0" and all(label.isdigit() for label in labels)  # no "0.5" place


def test_a_stacked_bar_axis_reaches_the_top_of_the_highest_stack() -> None:
    drawn = charts.bars("Places", ["a", "b"], {"Prises": [6, 1], "Non prises": [5, 1]}, stacked=True)
    assert int(axis(drawn)[-1]) >= 11


def test_month_labels_are_written_whole_even_when_twelve_are_side_by_side() -> None:
    long = [*MONTHS, "décembre 2026 (en cours)", "janvier 2027", "février 2027", "mars 2027", "avril 2027", "mai 2027"]
    for drawn in (
        charts.bars("Places", long, {"Prises": list(range(12))}),
        charts.line("Demandes", long, {"Reçues": list(range(12))}),
    ):
        assert axis(drawn, counts=False) == long  # not "décembre 20"
        assert not any("…" in text for text in texts(drawn))
    rows = [("Consultation de médecine générale non programmée", 3), ("Pharmacie", 1)]
    across = charts.horizontal("Soins", rows)
    assert sorted(axis(across, counts=False)) == sorted(label for label, _count in rows)
    heights = {text.text: float(text.get("y", 0)) for text in svg(across).iter(SVG + "text")}
    assert heights[rows[0][0]] < heights[rows[1][0]]  # the first row on top, as in the table beside it


def test_pygal_writes_no_script_into_the_image() -> None:
    for drawn in (
        charts.bars("Places", ["a"], {"Prises": [1]}),
        charts.line("Demandes", ["a"], {"Reçues": [1]}, partial=[0]),
        charts.horizontal("Soins", [("a", 1)]),
    ):
        assert not [node for node in svg(drawn).iter() if str(node.tag).endswith("script")]
        assert b"<script" not in base64.b64decode(drawn.split(",", 1)[1])


def test_the_partial_month_is_drawn_lighter_and_dashed() -> None:
    series = {"Prises": [4, 5, 1], "Non prises": [1, 1, 0]}
    drawn = charts.bars("Places", ["oct.", "nov.", "déc. (en cours)"], series, stacked=True, partial=[2])
    assert len(bar_styles(drawn)) == 6
    styled = [style for style in bar_styles(drawn) if "dasharray" in style]
    assert len(styled) == 2 and all("fill-opacity: 0.35" in style for style in styled)  # one per series, that month
    whole = charts.bars("Places", ["oct.", "nov."], {"Prises": [4, 5]})
    assert not [style for style in bar_styles(whole) if "dasharray" in style]


def test_the_partial_month_is_starred_and_the_star_explained_under_the_axis() -> None:
    note = charts.partial_note(["décembre 2026 (en cours, jusqu'au 7)"])
    drawn = charts.bars(
        "Places", ["oct. 2026", "nov. 2026", "déc. 2026"], {"Prises": [4, 5, 1]}, partial=[2], note=note
    )
    assert axis(drawn, counts=False) == ["oct. 2026", "nov. 2026", "déc. 2026 *"]
    assert "* décembre 2026 (en cours, jusqu'au 7)" in texts(drawn)  # in the image: it reads the same in the PDF
    assert not any(text.startswith("*") for text in texts(whole_chart()))


def whole_chart() -> str:
    return charts.bars("Places", ["oct. 2026", "nov. 2026"], {"Prises": [4, 5]})


def bar_styles(url: str) -> list[str]:
    """Each bar's own style (pygal puts it on the bar's group, which its rectangle inherits)."""
    return [group.get("style", "") for group in svg(url).iter(SVG + "g") if group.get("class") == "bar"]


def test_the_line_to_the_partial_month_is_dashed_and_named_in_the_legend() -> None:
    with translation.override("en"):
        drawn = charts.line("Requests", ["Oct", "Nov", "Dec (in progress)"], {"Received": [50, 52, 9]}, partial=[2])
    assert "Received (partial month)" in texts(drawn)
    document = base64.b64decode(drawn.split(",", 1)[1]).decode()
    assert ".series.serie-1{stroke-width:2;stroke-dasharray:6,4}" in document
    assert ".series.serie-0{" not in document  # the whole months' line is plain

    def line_of(serie: str) -> str:
        group = next(g for g in svg(drawn).iter(SVG + "g") if serie in g.get("class", "").split())
        return next(p.get("d", "") for p in group.iter(SVG + "path") if "line" in p.get("class", ""))

    solid, dashed = line_of("serie-0"), line_of("serie-1")
    assert solid.count("L") == 1 and dashed.count("L") == 1  # October–November plain, November–December dashed
    assert solid.split()[-2:] == [f"L{dashed.split()[0][1:]}", dashed.split()[1]]  # they meet at November
