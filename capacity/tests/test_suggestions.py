"""The suggestion rule on any forecast (no database): never fewer than one slot, never "open more" when the places
published cover the forecast and its error."""

from __future__ import annotations

import math
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from capacity import planning

MONDAY = date(2026, 12, 7)

week_values = st.tuples(st.floats(min_value=0, max_value=500, allow_nan=False), st.integers(min_value=0, max_value=500))


@given(
    weeks=st.lists(week_values, min_size=1, max_size=4),
    error=st.floats(min_value=0, max_value=50, allow_nan=False),
)
def test_a_suggestion_never_asks_for_fewer_than_one_slot(weeks: list[tuple[float, int]], error: float) -> None:
    rows = [
        planning.Week(MONDAY + timedelta(weeks=k), demand, free, demand - free)
        for k, (demand, free) in enumerate(weeks)
    ]
    daily = {MONDAY + timedelta(days=d): weeks[0][0] / 7 for d in range(7)}
    found = planning._suggest("gp", 1, rows, daily, error, {("gp", 0): planning.selectors.EVENING})
    if found is None:
        assert all(math.ceil(w.demand + error - w.free - 1e-9) <= 0 or w.demand < planning.MIN_DEMAND for w in rows)
        return
    assert found.slots >= 1
    if found.kind == planning.MORE:
        week = next(w for w in rows if w.monday == found.week)
        assert week.demand >= planning.MIN_DEMAND
        assert week.free + found.slots >= week.demand + error - 1e-6  # enough to cover the forecast and its error
        assert found.weekday is not None and 0 <= found.weekday <= 6
    else:
        assert all(w.free > found.slots for w in (rows[1:] or rows))


def test_more_slots_name_the_day_most_short_and_its_usual_part_of_the_day() -> None:
    rows = [planning.Week(MONDAY, 10.0, 2, 8.0)]
    daily = {MONDAY + timedelta(days=d): 0.5 for d in range(7)}
    daily[MONDAY + timedelta(days=1)] = 4.0  # Tuesday
    found = planning._suggest("gp", 1, rows, daily, 2.0, {("gp", 1): planning.selectors.EVENING})
    assert found is not None and (found.kind, found.slots, found.weekday, found.part) == ("more", 10, 1, "evening")
    from django.utils import translation

    with translation.override("en"):
        assert (
            planning.suggestion_text(found, "Argentan")
            == "Open 10 more slots in general practice Tuesday evening in Argentan"
        )
