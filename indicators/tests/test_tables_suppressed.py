"""The dashboard's tables as they leave the cell: the sums each declares (its total row, the headline, both directions
of places per month and care), and the secondary suppression over them attacked (test_suppression.py's attacker)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import World
from indicators import tables
from indicators.figures import Period, Scope
from indicators.suppression import SMALL, Sum
from indicators.tables import Table

from .test_figures import activity  # noqa: F401 (the hand-computed world, a fixture)
from .test_suppression import LESS_THAN, attack


def assert_holds(table: Table) -> Table:
    """Suppresses the table for outside the cell and attacks it with the sums it declares."""
    shown = table.suppressed()
    for line, original in zip(shown.lines(), table.lines(), strict=True):
        for value, before in zip(line, original, strict=True):
            if isinstance(before, int) and 0 < before < SMALL:
                assert not isinstance(value, int), "a count under 5 is shown"
    for cell, possible in attack(shown.lines(), table.lines(), table.sums()).items():
        assert len(possible) >= 2, f"{table.slug}: the hidden count at {cell} is {possible.pop()}"
    return shown


def places_table() -> Table:
    return Table(
        "p",
        "p",
        ["Month", "Care", "Offered", "Taken", "Not taken", "To come", "Rate"],
        [["oct", "gp", 4, 2, 2, 0, 50.0], ["oct", "kine", 1, 1, 0, 0, 100.0], ["nov", "gp", 26, 12, 8, 6, 60.0]],
        count_columns=(2, 3, 4, 5),
        margins=((), (0,), (1,)),
        parts=((2, (3, 4, 5)),),
    )


def test_a_total_row_sums_the_counts_and_recomputes_the_rate() -> None:
    table = places_table().with_total(rate=lambda t: round(100 * int(t[3]) / int(t[2]), 1))  # type: ignore[call-overload]
    assert table.total == ["Total", "", 31, 15, 10, 6, 48.4]  # not a sum of rates
    assert table.lines()[-1] is table.total and table.lines()[:-1] == table.rows


def test_a_two_way_table_declares_both_directions_and_its_parts() -> None:
    sums = places_table().with_total().sums()
    assert Sum(((0, 2), (1, 2), (2, 2)), (3, 2)) in sums  # every place offered, onto the total row
    assert Sum(((0, 3), (1, 3))) in sums  # October's places taken, across cares (a month's total)
    assert Sum(((0, 4), (2, 4))) in sums  # the GP places not taken, across months (a care's total)
    assert Sum(((0, 3), (0, 4), (0, 5)), (0, 2)) in sums  # offered = taken + not taken + to come
    assert Sum(((3, 3), (3, 4), (3, 5)), (3, 2)) in sums  # on the total row too


def test_a_table_whose_rows_add_up_to_nothing_declares_no_sum() -> None:
    tags = Table("tags", "tags", ["What", "Requests"], [["urgent", 3], ["diabetes", 9]], margins=())
    assert tags.sums() == [] and tags.suppressed().rows == [["urgent", LESS_THAN], ["diabetes", 9]]


def test_a_rate_built_on_a_hidden_count_is_hidden() -> None:
    shown = assert_holds(places_table().with_total(rate=lambda t: 48.4))
    # October's small counts hidden ("< 5", or "hidden" when "< 5" says too much)...
    assert not any(isinstance(v, int) for v in shown.rows[0][2:5]) and not isinstance(shown.rows[1][2], int)
    assert shown.rows[0][6] == shown.rows[1][6] == "—"  # ...and the rates built on them
    assert shown.total is not None and shown.total[:4] == ["Total", "", 31, 15]  # the period's places, taken


@pytest.mark.django_db
def test_the_dashboards_tables_of_a_small_cell_hold(activity: World) -> None:  # noqa: F811
    """The real tables of the hand-computed world (a handful of places and six requests: nearly every count is
    small), attacked as they leave the cell."""
    period = Period(date(2026, 10, 1), date(2026, 11, 30))
    built = tables.all_tables(Scope(activity.cell), period, timezone.now(), full=True)
    assert set(built) >= {"places", "requests", "origin", "effectors", "tags"}
    assert built["places"].total is not None and built["origin"].total is not None and built["tags"].total is None
    for table in built.values():
        shown = assert_holds(table)
        assert not any(isinstance(v, int) and 0 < v < SMALL for line in shown.lines() for v in line)


@pytest.mark.django_db
def test_the_outside_export_is_the_suppressed_table_with_its_total(activity: World) -> None:  # noqa: F811
    address = reverse("indicators:export", kwargs={"cell": activity.cell.slug, "table": "places", "fmt": "xlsx"})
    response = activity.client_for(activity.owner).get(
        address, {"first": "2026-10-01", "last": "2026-11-30", "outside": "1"}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert not any(isinstance(v, int) and 0 < v < SMALL for line in lines for v in line[2:6])
    assert lines[-1][:4] == ["Total", None, 6, LESS_THAN]  # the headline's figures: 6 offered, 3 taken (small)
