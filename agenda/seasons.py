"""Seasons and public holidays in the agenda: the days a plan generates and skips, and the calendar's holidays.

A plan, a Médicobus stop or a spot's plan generates no slot on the public holidays of its cell's zone
(`common.holidays`) unless it is open on public holidays; it generates only within its opening periods, when it has
some (decision 0007). These helpers compute the days; the generation itself is `services.plans.plan_extend`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import formats, timezone

from common.holidays import public_holidays

from .models import AvailabilityPlan, MedicobusTour

Period = tuple[date, date]


def plan_periods(plan: AvailabilityPlan) -> list[Period]:
    """The plan's opening periods within its first and last day, in date order; a plan without periods runs from its
    first to its last day. One query (none when the periods are prefetched, or the plan is not saved)."""
    stored = [(period.first_day, period.last_day) for period in plan.periods.all()] if plan.pk else []
    if not stored:
        return [(plan.first_day, plan.last_day)]
    return clip(stored, plan.first_day, plan.last_day)


def clip(periods: Iterable[Period], first: date, last: date) -> list[Period]:
    """The periods cut to [first, last], those left in date order."""
    kept = [(max(start, first), min(end, last)) for start, end in periods]
    return sorted((start, end) for start, end in kept if start <= end)


def days_of(periods: Iterable[Period], weekdays: Iterable[int]) -> Iterator[date]:
    """Each day of the periods falling on one of the weekdays (0 = Monday), in date order."""
    wanted = set(weekdays)
    for start, end in sorted(periods):
        day = start
        while day <= end:
            if day.weekday() in wanted:
                yield day
            day += timedelta(days=1)


def holidays_on_days(zone: str, periods: list[Period], weekdays: Iterable[int]) -> dict[date, str]:
    """The public holidays of the zone on which the periods would have had a slot (their weekdays), with their French
    names, in date order."""
    if not periods:
        return {}
    wanted = set(weekdays)
    found = public_holidays(zone, min(start for start, _ in periods), max(end for _, end in periods))
    return {
        day: name
        for day, name in found.items()
        if day.weekday() in wanted and any(start <= day <= end for start, end in periods)
    }


def plan_holidays(plan: AvailabilityPlan, zone: str) -> dict[date, str]:
    """The public holidays the plan skips (none when it is open on public holidays)."""
    if plan.open_on_holidays or plan.first_day is None or plan.last_day is None:
        return {}
    return holidays_on_days(zone, plan_periods(plan), plan.weekdays or [])


def day_and_name(day: date, name: str) -> str:
    """ "15 août (Assomption)": the day as the page's language writes it, and the holiday's French name."""
    return f"{formats.date_format(day, 'j F')} ({name})"


def calendar_holidays(zone: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """FullCalendar background events, one per public holiday of the zone in [start, end), each labelled with its
    French name, whole days in Paris wall-clock time (the calendar's convention, see calendar_views). No query."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - timedelta(microseconds=1)).date()
    return [
        {
            "id": f"holiday-{day:%Y-%m-%d}",
            "title": name,
            "start": f"{day:%Y-%m-%d}T00:00:00",
            "end": f"{day + timedelta(days=1):%Y-%m-%d}T00:00:00",
            "display": "background",
            "classNames": ["public-holiday"],
            # Grey, not FullCalendar's default green, which reads as the free slots' colour.
            "backgroundColor": "#d5d9e0",
            "extendedProps": {"holiday": True},
        }
        for day, name in public_holidays(zone, first, last).items()
    ]


def tour_periods(tour: MedicobusTour) -> list[Period]:
    """The tour's opening periods, as its stops hold them (the latest stop's: tour_save gives all the same); one
    period from its first to its last day before seasons."""
    stop = AvailabilityPlan.objects.filter(tour=tour).order_by("-is_active", "-pk").prefetch_related("periods").first()
    if stop is None:
        return [(tour.first_day, tour.last_day)]
    return plan_periods(stop)
