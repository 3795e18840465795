"""Stored months (indicators/rollups.py): a period's figures from stored months and live days are exactly the live
figures of the whole period, for any period; a stale month is computed again; the dashboard over a year reads a few
stored rows instead of the live tables."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import World
from directory.models import Profession
from indicators import rollups
from indicators.figures import Period, Scope
from indicators.models import MonthFigures
from referrals.models import CareChannel
from tests.factories import ProfessionalFactory, ResourceFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
START = date(2026, 1, 1)


@pytest.fixture
def history(world: World) -> World:
    from indicators.history import generate_history

    ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST)
    ProfessionalFactory(cell=world.cell)
    ProfessionalFactory(cell=world.cell, last_name="Second")
    ResourceFactory(cell=world.cell)
    generate_history(world.cell, days=330, requests_per_day=3, slots_per_day=4, until=NOW.date())
    return world


def same(left: rollups.Figures, right: rollups.Figures) -> None:
    assert left.summary == right.summary
    assert left.slot_months == right.slot_months
    assert left.request_months == right.request_months
    assert {k: v for k, v in left.found.items() if v} == {k: v for k, v in right.found.items() if v}
    assert sorted(left.effectors, key=lambda e: e.pk) == sorted(right.effectors, key=lambda e: e.pk)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.integers(min_value=0, max_value=340),
    length=st.integers(min_value=1, max_value=366),
    care=st.sampled_from(["", CareChannel.GP]),
)
def test_stored_months_and_live_days_add_up_to_the_live_figures(
    history: World, first: int, length: int, care: str
) -> None:
    period = Period(START + timedelta(days=first), START + timedelta(days=first + length - 1))
    scope = Scope(history.cell, care_channel=care)
    combined = rollups.for_period(scope, period, NOW)  # stores the whole months it computes
    again = rollups.for_period(scope, period, NOW)  # reads them back
    expected = rollups.live(scope, period, NOW)
    same(combined, expected)
    same(again, expected)


def test_a_period_is_split_into_whole_past_months_and_live_days() -> None:
    stretches, months = rollups.split(Period(date(2026, 1, 15), date(2026, 12, 7)), NOW)
    assert months == [date(2026, m, 1) for m in range(2, 12)]
    assert stretches == [Period(date(2026, 1, 15), date(2026, 1, 31)), Period(date(2026, 12, 1), date(2026, 12, 7))]
    # November ends at midnight Paris time on 1 December: a view at 00:30 on 1 December may store it, not at 23:30.
    assert rollups.split(
        Period(date(2026, 11, 1), date(2026, 11, 30)), datetime(2026, 11, 30, 23, 30, tzinfo=PARIS)
    ) == (
        [Period(date(2026, 11, 1), date(2026, 11, 30))],
        [],
    )
    assert rollups.split(Period(date(2026, 11, 1), date(2026, 11, 30)), datetime(2026, 12, 1, 0, 30, tzinfo=PARIS))[
        1
    ] == [date(2026, 11, 1)]


def test_a_stale_month_is_computed_again_and_a_settled_one_is_kept(history: World) -> None:
    scope, march = Scope(history.cell), Period(date(2026, 3, 1), date(2026, 3, 31))
    rollups.for_period(scope, march, NOW)
    row = MonthFigures.objects.get(cell=history.cell, month=date(2026, 3, 1), scope="")
    # Computed on 2 April (stale after a day, not yet settled): a later view computes it again.
    MonthFigures.objects.filter(pk=row.pk).update(computed_at=datetime(2026, 4, 2, tzinfo=PARIS), figures={})
    MonthFigures.objects.filter(pk=row.pk).update(version=rollups.VERSION)
    row.refresh_from_db()
    assert not rollups.is_fresh(row, NOW)
    same(rollups.for_period(scope, march, NOW), rollups.live(scope, march, NOW))
    row.refresh_from_db()
    assert row.computed_at == NOW and row.figures["summary"]["requests"] > 0
    # Computed on 20 May, once March was settled: kept as it is, whatever it holds.
    settled = rollups.encode(rollups.live(scope, march, NOW))
    settled["summary"]["requests"] = 999_999
    MonthFigures.objects.filter(pk=row.pk).update(computed_at=datetime(2026, 5, 20, tzinfo=PARIS), figures=settled)
    assert rollups.for_period(scope, march, NOW).summary.requests == 999_999


def test_the_nightly_refresh_stores_thirteen_months_and_a_year_then_reads_them(history: World) -> None:
    out = io.StringIO()
    call_command("refresh_indicators", stdout=out)
    assert "month(s) of figures stored" in out.getvalue()
    assert MonthFigures.objects.filter(cell=history.cell, scope="").count() >= 13
    year = Period(date(2025, 12, 8), date(2026, 12, 7))
    scope = Scope(history.cell)
    with CaptureQueriesContext(connection) as queries:
        found = rollups.for_period(scope, year, datetime.now(tz=PARIS))
    # The stored months in one query; the live days (8–31 December 2025 and 1–7 December 2026) in a few each.
    assert len(queries) <= 1 + 2 * 12
    same(found, rollups.live(scope, year, datetime.now(tz=PARIS)))


def test_an_empty_period_has_well_formed_empty_figures(world: World) -> None:
    found = rollups.for_period(Scope(world.cell), Period(date(2024, 1, 1), date(2024, 12, 31)), NOW)
    assert found.summary.requests == 0 and found.summary.first_callback_delay is None
    assert found.slot_months == [] and found.effectors == []


def test_two_cells_get_the_same_days_of_invented_history(history: World) -> None:
    """The demo's cell and the benchmark's both get invented years: their references never collide."""
    from indicators.history import generate_history

    ProfessionalFactory(cell=history.other_cell, profession=Profession.PHARMACIST)
    ProfessionalFactory(cell=history.other_cell)
    made = generate_history(history.other_cell, days=30, requests_per_day=3, slots_per_day=4, until=NOW.date())
    assert made.requests == 90
