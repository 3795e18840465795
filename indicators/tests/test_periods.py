"""The dashboard's periods: each preset's dates seen from awkward days (1 January, 31 December, 29 February, the
clock-change months), the months a period covers and how the incomplete ones are named, and a period typed in the
wrong order. (The dashboard's answer to a preset and to a period without any activity: test_dashboard_months.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from common.periods import PARIS, Period
from conftest import World
from indicators import forms, periods
from indicators.periods import BY_SLUG, PRESETS

from .test_figures import activity  # noqa: F401 (the hand-computed world, a fixture)


def dates(slug: str, today: date) -> tuple[date, date]:
    period = BY_SLUG[slug].period(today)
    return period.first, period.last


D = date


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (
            D(2027, 1, 1),  # New Year's Day: the month, quarter and year to date are one day long
            {
                "12-months": (D(2026, 2, 1), D(2027, 1, 1)),
                "this-month": (D(2027, 1, 1), D(2027, 1, 1)),
                "last-month": (D(2026, 12, 1), D(2026, 12, 31)),
                "this-quarter": (D(2027, 1, 1), D(2027, 1, 1)),
                "last-quarter": (D(2026, 10, 1), D(2026, 12, 31)),
                "this-year": (D(2027, 1, 1), D(2027, 1, 1)),
                "aci-year": (D(2026, 1, 1), D(2026, 12, 31)),
            },
        ),
        (
            D(2026, 12, 31),  # New Year's Eve: the twelve months to date are the calendar year
            {
                "12-months": (D(2026, 1, 1), D(2026, 12, 31)),
                "this-month": (D(2026, 12, 1), D(2026, 12, 31)),
                "last-month": (D(2026, 11, 1), D(2026, 11, 30)),
                "this-quarter": (D(2026, 10, 1), D(2026, 12, 31)),
                "last-quarter": (D(2026, 7, 1), D(2026, 9, 30)),
                "this-year": (D(2026, 1, 1), D(2026, 12, 31)),
                "aci-year": (D(2025, 1, 1), D(2025, 12, 31)),
            },
        ),
        (
            D(2028, 2, 29),  # a leap day
            {
                "12-months": (D(2027, 3, 1), D(2028, 2, 29)),
                "this-month": (D(2028, 2, 1), D(2028, 2, 29)),
                "last-month": (D(2028, 1, 1), D(2028, 1, 31)),
                "this-quarter": (D(2028, 1, 1), D(2028, 2, 29)),
                "last-quarter": (D(2027, 10, 1), D(2027, 12, 31)),
                "this-year": (D(2028, 1, 1), D(2028, 2, 29)),
                "aci-year": (D(2027, 1, 1), D(2027, 12, 31)),
            },
        ),
        (
            D(2028, 3, 1),  # the day after: last month is the 29 days of February
            {
                "12-months": (D(2027, 4, 1), D(2028, 3, 1)),
                "this-month": (D(2028, 3, 1), D(2028, 3, 1)),
                "last-month": (D(2028, 2, 1), D(2028, 2, 29)),
                "this-quarter": (D(2028, 1, 1), D(2028, 3, 1)),
                "last-quarter": (D(2027, 10, 1), D(2027, 12, 31)),
                "this-year": (D(2028, 1, 1), D(2028, 3, 1)),
                "aci-year": (D(2027, 1, 1), D(2027, 12, 31)),
            },
        ),
        (
            D(2026, 7, 1),  # the first day of a quarter
            {
                "12-months": (D(2025, 8, 1), D(2026, 7, 1)),
                "this-month": (D(2026, 7, 1), D(2026, 7, 1)),
                "last-month": (D(2026, 6, 1), D(2026, 6, 30)),
                "this-quarter": (D(2026, 7, 1), D(2026, 7, 1)),
                "last-quarter": (D(2026, 4, 1), D(2026, 6, 30)),
                "this-year": (D(2026, 1, 1), D(2026, 7, 1)),
                "aci-year": (D(2025, 1, 1), D(2025, 12, 31)),
            },
        ),
    ],
)
def test_each_preset_gives_its_calendar_dates(today: date, expected: dict[str, tuple[date, date]]) -> None:
    assert {preset.slug: dates(preset.slug, today) for preset in PRESETS} == expected


def test_every_preset_on_every_day_is_a_valid_period_of_at_most_a_year() -> None:
    day = date(2026, 1, 1)
    while day <= date(2028, 12, 31):  # a leap year included: its twelve months to 31 December are 366 days
        for preset in PRESETS:
            period = preset.period(day)
            assert period.first <= period.last <= day and period.days <= forms.LONGEST, (preset.slug, day)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("today", "hours"),
    [
        (date(2027, 4, 15), 31 * 24 - 1),  # March 2027: clocks go forward on the 28th
        (date(2026, 11, 2), 31 * 24 + 1),  # October 2026: clocks go back on the 25th
    ],
)
def test_last_month_across_a_clock_change_runs_from_paris_midnight_to_paris_midnight(today: date, hours: int) -> None:
    period = BY_SLUG["last-month"].period(today)
    assert period.starts == datetime.combine(period.first, datetime.min.time(), tzinfo=PARIS)
    assert period.starts.hour == 0 and period.ends.hour == 0 and period.ends.date() == period.last + timedelta(days=1)
    assert period.ends.astimezone(UTC) - period.starts.astimezone(UTC) == timedelta(hours=hours)  # real hours
    assert [m.first for m in periods.months(period, today)] == [period.first]  # still one month


def test_the_default_is_the_twelve_months_to_date() -> None:
    assert periods.default_period(date(2026, 12, 7)) == Period(date(2026, 1, 1), date(2026, 12, 7))
    assert forms.default_data(date(2026, 12, 7)) == {"first": "2026-01-01", "last": "2026-12-07"}


def test_the_months_of_a_period_say_which_are_not_whole() -> None:
    today = date(2026, 12, 7)
    found = periods.months(Period(date(2026, 9, 15), date(2026, 12, 31)), today)
    assert [m.first for m in found] == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert [m.whole for m in found] == [False, True, True, False]
    assert [m.in_progress for m in found] == [False, False, False, True]
    with translation.override("en"):
        assert found[0].label() == "September 2026 (from the 15)"
        assert found[1].label() == "October 2026"
        assert found[3].label() == "December 2026 (in progress)"  # places: offered up to the 31st already
        assert [m.short_label() for m in found] == ["Sept. 2026", "Oct. 2026", "Nov. 2026", "Dec. 2026"]
        received = periods.months(Period(date(2026, 9, 15), date(2026, 12, 31)), today, up_to_today=True)
        assert received[-1].label() == "December 2026 (in progress, up to the 7)"
        cut = periods.months(Period(date(2026, 11, 3), date(2026, 11, 20)), today)
        assert cut[0].label() == "November 2026 (from the 3 to the 20)" and not cut[0].in_progress


def test_requests_stop_at_todays_month() -> None:
    found = periods.months(Period(date(2026, 10, 1), date(2026, 12, 31)), date(2026, 10, 5), up_to_today=True)
    assert [m.first for m in found] == [date(2026, 10, 1)] and found[0].shown_last == date(2026, 10, 5)
    assert periods.months(Period(date(2030, 1, 1), date(2030, 1, 31)), date(2026, 10, 5), up_to_today=True) == []


def test_typed_dates_win_over_a_preset_and_an_unknown_preset_is_the_default() -> None:
    today = date(2026, 12, 7)
    typed = forms.dashboard_data({"first": "2026-11-30", "last": "2026-10-01", "period": "this-month"}, today)
    assert typed["first"] == "2026-11-30" and typed["last"] == "2026-10-01"
    preset = forms.dashboard_data({"period": "last-quarter", "care_channel": "physiotherapy"}, today)
    assert preset == {
        "period": "last-quarter",
        "care_channel": "physiotherapy",
        "first": "2026-07-01",
        "last": "2026-09-30",
    }
    unknown = forms.dashboard_data({"period": "fortnight"}, today)
    assert unknown == {"first": "2026-01-01", "last": "2026-12-07"}


def url(world: World) -> str:
    return reverse("indicators:dashboard", kwargs={"cell": world.cell.slug})


@pytest.mark.django_db
def test_a_period_in_the_wrong_order_is_refused_at_the_field_and_kept_as_typed(activity: World) -> None:  # noqa: F811
    page = activity.client_for(activity.owner).get(url(activity), {"first": "2026-11-30", "last": "2026-10-01"})
    assert page.status_code == 200
    form = page.context["form"]
    with translation.override("fr"):
        assert form.errors["last"] == [str(forms.FIRST_AFTER_LAST)]
    text = page.content.decode()
    assert 'value="2026-11-30"' in text and 'value="2026-10-01"' in text
    assert not any(link["current"] for link in form.presets())  # no preset claims a period that is not shown
