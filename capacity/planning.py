"""The capacity of the coming weeks: for each care and place, the demand forecast (`forecast`), the free places
already published, the gap, and one suggestion in plain French with the forecast's back-tested error beside it.

A read: it writes nothing and reads no patient's data (counts only), so nothing goes to the access log.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy, ngettext

from common.care import CareChannel
from common.holidays import public_holidays
from common.periods import PARIS
from territory.models import Cell

from . import forecast, selectors

# A care as it reads after "en" ("Ouvrir 3 créneaux de plus en médecine générale").
CARE_PHRASE: dict[str, Any] = {
    CareChannel.GP: gettext_lazy("general practice"),
    CareChannel.IMAGING: gettext_lazy("imaging"),
    CareChannel.PHYSIOTHERAPY: gettext_lazy("physiotherapy"),
    CareChannel.NURSING: gettext_lazy("nursing care"),
    CareChannel.BIOLOGY: gettext_lazy("biology"),
}
DAY_PART = {
    selectors.MORNING: gettext_lazy("morning"),
    selectors.AFTERNOON: gettext_lazy("afternoon"),
    selectors.EVENING: gettext_lazy("evening"),
}
ENOUGH_FACTOR = 2.0  # published places "far above" the need: more than twice the forecast and its error
NOT_ENOUGH_HISTORY = gettext_lazy(
    "No forecast yet: the cell has %(weeks)s whole weeks of requests, and a forecast needs at least %(needed)s."
)
MORE, ENOUGH = "more", "enough"
BACK_TEST_ORIGINS = 26  # the error shown is the last half-year's: recent, and a bounded cost per page
MIN_DEMAND = 1.0  # no "open more" for a week expecting less than one request there: noise, not a need


@dataclass(frozen=True)
class Week:
    monday: date
    demand: float  # requests expected (for the current week: from today on)
    free: int  # free places already published
    gap: float  # demand − free (positive: places missing)

    @property
    def demand_shown(self) -> int:
        return round(self.demand)


@dataclass(frozen=True)
class Suggestion:
    kind: str  # MORE or ENOUGH
    care: str
    place: int | None
    week: date  # the Monday of the week it is about
    slots: int  # more slots to open (MORE), or slots a week enough (ENOUGH); never below 1
    weekday: int | None = None
    part: str = ""

    @property
    def key_part(self) -> str:
        year, week, _ = self.week.isocalendar()
        return f"{self.care}:{self.place or 0}:{year}-W{week:02d}"


@dataclass(frozen=True)
class Row:
    care: str
    place: int | None
    place_name: str
    weeks: list[Week]
    error: float | None  # the back-test's mean absolute error per week
    seasonal: bool
    suggestion: Suggestion | None
    text: str = ""  # the suggestion in the user's language

    @property
    def care_label(self) -> str:
        return str(CareChannel(self.care).label)

    @property
    def error_shown(self) -> str:
        return "—" if self.error is None else f"{self.error:.1f}".replace(".", ",")


@dataclass(frozen=True)
class Plan:
    weeks_of_history: int
    weeks: list[date] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    message: str = ""  # why there is no forecast


def suggestion_text(suggestion: Suggestion, place_name: str) -> str:
    """The suggestion in plain words (the active language)."""
    care = str(CARE_PHRASE.get(suggestion.care, suggestion.care))
    if suggestion.kind == ENOUGH:
        return ngettext(
            "%(care)s in %(place)s: %(count)s slot a week is enough",
            "%(care)s in %(place)s: %(count)s slots a week are enough",
            suggestion.slots,
        ) % {"care": capfirst(care), "place": place_name, "count": suggestion.slots}
    when = ""
    if suggestion.weekday is not None:
        when = str(WEEKDAYS[suggestion.weekday])  # "mardi" in French, "Tuesday" in English
        if suggestion.part:
            when = f"{when} {DAY_PART[suggestion.part]}"
    return ngettext(
        "Open %(count)s more slot in %(care)s %(when)s in %(place)s",
        "Open %(count)s more slots in %(care)s %(when)s in %(place)s",
        suggestion.slots,
    ) % {"count": suggestion.slots, "care": care, "when": when, "place": place_name}


def _suggest(
    care: str,
    place: int | None,
    weeks: list[Week],
    daily_gap: dict[date, float],
    error: float,
    parts: dict[tuple[str, int], str],
) -> Suggestion | None:
    """More slots for the first week whose forecast and error exceed the free places, on its day most short of
    places; else, when every week's free places are far above the need, how many a week are enough."""
    for week in weeks:
        missing = math.ceil(week.demand + error - week.free - 1e-9)
        if missing > 0 and week.demand >= MIN_DEMAND:
            days = [week.monday + timedelta(days=d) for d in range(7)]
            worst = max(days, key=lambda day: (daily_gap.get(day, 0.0), -day.toordinal()))
            weekday = worst.weekday()
            return Suggestion(MORE, care, place, week.monday, missing, weekday, parts.get((care, weekday), ""))
    full = weeks[1:] or weeks
    need = max(week.demand for week in full) + error
    if all(week.free > ENOUGH_FACTOR * need and week.free >= 2 for week in full):
        return Suggestion(ENOUGH, care, place, full[0].monday, max(1, math.ceil(need - 1e-9)))
    return None


def _model(first: date, counts: list[int], holidays: set[date]) -> tuple[forecast.Forecast | None, forecast.BackTest]:
    """The forecast and its back-test of one series, kept a week in the cache: they depend only on the whole weeks
    before this one, the same all week (the free places are read afresh each time)."""
    fingerprint = repr((first, counts, sorted(holidays), forecast.HORIZON, BACK_TEST_ORIGINS))
    key = "capacity:model:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = (
            forecast.forecast(first, counts, holidays=holidays),
            forecast.back_test(first, counts, holidays=holidays, origins=BACK_TEST_ORIGINS),
        )
        cache.set(key, found, timeout=7 * 24 * 3600)
    return found


def plan(cell: Cell, *, now: datetime | None = None, only: tuple[str, int | None] | None = None) -> Plan:
    """The coming `forecast.HORIZON` weeks (this one from today on, then the next ones) of every care and place
    that had requests or has places published; `only` restricts it to one (care, place)."""
    now = now or timezone.now()
    today = now.astimezone(PARIS).date()
    this_monday = today - timedelta(days=today.weekday())
    last = this_monday - timedelta(days=1)
    began = selectors.first_request_day(cell)
    if began is None:
        return Plan(0, message=str(NOT_ENOUGH_HISTORY % {"weeks": 0, "needed": forecast.MIN_WEEKS}))
    first = max(
        began + timedelta(days=(7 - began.weekday()) % 7), this_monday - timedelta(weeks=selectors.HISTORY_WEEKS)
    )
    weeks_of_history = max(0, (this_monday - first).days // 7)
    if weeks_of_history < forecast.MIN_WEEKS:
        return Plan(
            weeks_of_history,
            message=str(NOT_ENOUGH_HISTORY % {"weeks": weeks_of_history, "needed": forecast.MIN_WEEKS}),
        )
    mondays = [this_monday + timedelta(weeks=k) for k in range(forecast.HORIZON)]
    end = mondays[-1] + timedelta(days=7)
    holidays = set(public_holidays(cell.holiday_zone, first, end))
    where = selectors.places(cell)
    demand = selectors.daily_demand(cell, first, last, where)
    free = selectors.free_places(cell, now, datetime.combine(end, time(0), tzinfo=PARIS), where)
    parts = selectors.busiest_parts(cell, first, last)
    keys = sorted(set(demand) | set(free), key=lambda key: (key[0], where.names.get(key[1] or 0, ""), key[1] or 0))
    if only is not None:
        keys = [key for key in keys if key == only]
    days = (last - first).days + 1
    rows = []
    for care, place in keys:
        counts = demand.get((care, place), [0] * days)
        predicted, tested = _model(first, counts, holidays)
        if predicted is None:
            continue
        error = tested.model_mae_all or 0.0
        free_days = free.get((care, place), {})
        daily_gap: dict[date, float] = {}
        weeks = []
        for monday in mondays:
            expected = 0.0
            for d in range(7):
                day = monday + timedelta(days=d)
                on_day = predicted.day_demand(day, holidays) if day >= today else 0.0
                expected += on_day
                daily_gap[day] = on_day - free_days.get(day, 0)
            published = sum(free_days.get(monday + timedelta(days=d), 0) for d in range(7))
            weeks.append(Week(monday, expected, published, expected - published))
        suggestion = _suggest(care, place, weeks, daily_gap, error, parts)
        name = where.names.get(place or 0, "") if place is not None else ""
        rows.append(
            Row(
                care=care,
                place=place,
                place_name=name,
                weeks=weeks,
                error=tested.model_mae_all,
                seasonal=predicted.seasonal,
                suggestion=suggestion,
                text=suggestion_text(suggestion, name) if suggestion is not None else "",
            )
        )
    return Plan(weeks_of_history, weeks=mondays, rows=rows)


def error_text(row: Row) -> str:
    return gettext("± %(error)s requests a week") % {"error": row.error_shown}


def back_tests_per_care(cell: Cell, *, now: datetime | None = None) -> dict[str, forecast.BackTest]:
    """The back-test of each care over the whole cell (its places added up), on the whole weeks before this one:
    what `make bench` prints beside the naive baselines."""
    now = now or timezone.now()
    today = now.astimezone(PARIS).date()
    this_monday = today - timedelta(days=today.weekday())
    began = selectors.first_request_day(cell)
    if began is None:
        return {}
    first = max(
        began + timedelta(days=(7 - began.weekday()) % 7), this_monday - timedelta(weeks=selectors.HISTORY_WEEKS)
    )
    last = this_monday - timedelta(days=1)
    if last < first:
        return {}
    holidays = set(public_holidays(cell.holiday_zone, first, this_monday + timedelta(weeks=forecast.HORIZON)))
    per_care: dict[str, list[int]] = {}
    for (care, _place), counts in selectors.daily_demand(cell, first, last, selectors.places(cell)).items():
        total = per_care.setdefault(care, [0] * len(counts))
        for offset, count in enumerate(counts):
            total[offset] += count
    return {care: forecast.back_test(first, counts, holidays=holidays) for care, counts in sorted(per_care.items())}
