"""A cell closed now, for the tests of the closed-cell answer (no clock is frozen: today's date is used)."""

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from territory import opening
from territory.models import Cell, Closure, OpeningRange


def close_until_the_day_after_tomorrow(cell: Cell) -> datetime:
    """Open every day 08:00–19:00, closed today and tomorrow: it reopens the day after tomorrow at 8 h, Paris (the
    time returned, in UTC)."""
    for day in range(7):
        OpeningRange.objects.create(cell=cell, weekday=day, starts_at=time(8), ends_at=time(19))
    today = timezone.localdate()
    Closure.objects.create(cell=cell, first_day=today, last_day=today + timedelta(days=1), reason="Formation")
    return datetime.combine(today + timedelta(days=2), time(8), tzinfo=opening.PARIS).astimezone(UTC)
