"""When the cell is open: its weekly hours (Europe/Paris wall-clock ranges), its closures and the public holidays of its
zone. UTC in, UTC out.

Rules: a cell with no hours is always open (except on its closures); with hours, it is open within them, closed on a
closure day and on a public holiday of its zone unless it opens on public holidays. Ranges are built day by day in
wall-clock time then converted to UTC, so an 08:00–19:00 range lasts 11 hours on the clock-change Sundays too (the
clock changes at night). Plain Python once the cell's `Schedule` is read (two queries): the queue reads it once per
page and calls the pure functions per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import dateformat
from django.utils.translation import gettext_lazy as _

from common.holidays import public_holidays

if TYPE_CHECKING:
    from .models import Cell

PARIS = ZoneInfo("Europe/Paris")
HORIZON = timedelta(days=400)  # next_opening looks this far ahead (a closure is at most a year long)
_STEP = timedelta(days=7)

Interval = tuple[datetime, datetime]

CLOSED_ANSWER = _("The cell is closed. It reopens on %(day)s at %(time)s. In a vital emergency, call 15.")
CLOSED_ANSWER_NO_REOPENING = _("The cell is closed. In a vital emergency, call 15.")
CLOSED_UNTIL = _("Cell closed until %(when)s")
CLOSED_NOW = _("Cell closed")
CLOSED_HOURS_LEFT = _("including %(hours)s h closed")


@dataclass(frozen=True)
class Schedule:
    """A cell's opening rules, read once. `ranges[weekday]` (0 = Monday) are sorted, non-overlapping wall-clock
    ranges; `closures` are (first day, last day) included."""

    ranges: dict[int, tuple[tuple[time, time], ...]]
    closures: tuple[tuple[date, date], ...] = ()
    zone: str = ""
    open_on_holidays: bool = False

    @property
    def has_hours(self) -> bool:
        return any(self.ranges.values())


def schedule_of(cell: Cell | Schedule) -> Schedule:
    """The cell's schedule (two queries), kept on the cell object for the rest of the request."""
    if isinstance(cell, Schedule):
        return cell
    cached: Schedule | None = getattr(cell, "_opening_schedule", None)
    if cached is not None:
        return cached
    ranges: dict[int, list[tuple[time, time]]] = {}
    for weekday, starts_at, ends_at in cell.opening_ranges.order_by("weekday", "starts_at").values_list(
        "weekday", "starts_at", "ends_at"
    ):
        ranges.setdefault(weekday, []).append((starts_at, ends_at))
    schedule = Schedule(
        ranges={day: tuple(found) for day, found in ranges.items()},
        closures=tuple(cell.closures.values_list("first_day", "last_day")),
        zone=cell.holiday_zone,
        open_on_holidays=cell.open_on_public_holidays,
    )
    cell._opening_schedule = schedule  # type: ignore[attr-defined]
    return schedule


def _utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS).astimezone(UTC)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def open_intervals(cell: Cell | Schedule, start: datetime, end: datetime) -> list[Interval]:
    """The open intervals within [start, end), in UTC, sorted and merged."""
    schedule = schedule_of(cell)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    first = start.astimezone(PARIS).date() - timedelta(days=1)
    last = end.astimezone(PARIS).date() + timedelta(days=1)
    holidays = (
        public_holidays(schedule.zone, first, last) if schedule.has_hours and not schedule.open_on_holidays else {}
    )
    closures = [(a, b) for a, b in schedule.closures if b >= first and a <= last]
    found: list[Interval] = []
    day = first
    while day <= last:
        if day not in holidays and not any(a <= day <= b for a, b in closures):
            if schedule.has_hours:
                ranges = [(_utc(day, a), _utc(day, b)) for a, b in schedule.ranges.get(day.weekday(), ())]
            else:
                ranges = [(_utc(day, time(0)), _utc(day + timedelta(days=1), time(0)))]
            for a_utc, b_utc in ranges:
                a_utc, b_utc = max(a_utc, start), min(b_utc, end)
                if a_utc < b_utc:
                    found.append((a_utc, b_utc))
        day += timedelta(days=1)
    return _merge(found)


def closed_periods(cell: Cell | Schedule, start: datetime, end: datetime) -> list[Interval]:
    """The closed intervals within [start, end), in UTC: what the open intervals leave."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    closed: list[Interval] = []
    cursor = start
    for a, b in open_intervals(cell, start, end):
        if cursor < a:
            closed.append((cursor, a))
        cursor = b
    if cursor < end:
        closed.append((cursor, end))
    return closed


def is_open(cell: Cell | Schedule, at: datetime) -> bool:
    return bool(open_intervals(cell, at, at + timedelta(microseconds=1)))


def next_opening(cell: Cell | Schedule, at: datetime) -> datetime | None:
    """`at` itself when the cell is open then, else the first instant after it when the cell opens; None when it
    does not open within the horizon (a year of closures)."""
    schedule = schedule_of(cell)
    at = at.astimezone(UTC)
    cursor = at
    while cursor < at + HORIZON:
        found = open_intervals(schedule, cursor, cursor + _STEP)
        if found:
            return found[0][0]
        cursor += _STEP
    return None


def closed_within(periods: Sequence[Interval], start: datetime, end: datetime) -> timedelta:
    """How much of [start, end) falls in the given closed periods (those of `closed_periods` for a wider window).
    Pure: the queue calls it for each row."""
    total = timedelta(0)
    for a, b in periods:
        a, b = max(a, start), min(b, end)
        if a < b:
            total += b - a
    return total


def closed_hours_label(periods: Sequence[Interval], start: datetime, end: datetime) -> str:
    """ "including 38 h closed" for the time from `start` to a deadline, or "" when under an hour is closed."""
    hours = round(closed_within(periods, start, end).total_seconds() / 3600)
    return str(CLOSED_HOURS_LEFT) % {"hours": hours} if hours >= 1 else ""


def clock_time(at: datetime) -> str:
    """'8 h', '13 h 30': a time as French speech writes it."""
    local = at.astimezone(PARIS)
    return f"{local.hour} h" if not local.minute else f"{local.hour} h {local.minute:02d}"


def day_words(at: datetime, *, near_to: datetime | None = None) -> str:
    """'lundi 7 décembre' (the day and month names in the active language); the year when it is not `near_to`'s."""
    local = at.astimezone(PARIS)
    words = dateformat.format(local, "l j F")
    if near_to is not None and local.year != near_to.astimezone(PARIS).year:
        words += f" {local.year}"
    return words


@dataclass(frozen=True)
class ClosedAnswer:
    """What a requester is told when their request reaches the closed cell: when it reopens (UTC, None when not
    within the horizon), and the words for it."""

    reopens_at: datetime | None

    @property
    def day(self) -> str:
        return day_words(self.reopens_at) if self.reopens_at else ""

    @property
    def time(self) -> str:
        return clock_time(self.reopens_at) if self.reopens_at else ""

    def text(self) -> str:
        if self.reopens_at is None:
            return str(CLOSED_ANSWER_NO_REOPENING)
        return str(CLOSED_ANSWER) % {"day": self.day, "time": self.time}

    def __str__(self) -> str:
        return self.text()


def closed_answer(cell: Cell | Schedule, at: datetime, *, now: datetime | None = None) -> ClosedAnswer | None:
    """The automatic answer to a request received at `at`: None when the cell was open then, or (given `now`) when it
    has reopened since."""
    if is_open(cell, at):
        return None
    reopens_at = next_opening(cell, at)
    if now is not None and reopens_at is not None and reopens_at <= now:
        return None
    return ClosedAnswer(reopens_at)


def closed_until_label(cell: Cell | Schedule, now: datetime) -> str:
    """'Cell closed until Monday 8 h' (the date too beyond six days), or "" when the cell is open now."""
    if is_open(cell, now):
        return ""
    reopens_at = next_opening(cell, now)
    if reopens_at is None:
        return str(CLOSED_NOW)
    local = reopens_at.astimezone(PARIS)
    day = dateformat.format(local, "l") if reopens_at - now < timedelta(days=6) else day_words(reopens_at, near_to=now)
    return str(CLOSED_UNTIL) % {"when": f"{day} {clock_time(reopens_at)}"}


def mark_closed_hours(cell: Cell | Schedule, now: datetime, requests: Sequence[Any]) -> str:
    """For the queue, once per page: give each request (with its `deadline_at`) a `closed_hours_label`, the closed
    hours between now and its deadline ("including 38 h closed", "" when none); answer the banner for a closed cell
    ("Cell closed until Monday 8 h", "" when open). The cell's schedule is read once, the window's closed periods
    computed once, then each row is a pure function of them."""
    schedule = schedule_of(cell)
    ahead = [request.deadline_at for request in requests if request.deadline_at > now]
    periods = closed_periods(schedule, now, max(ahead)) if ahead else []
    for request in requests:
        request.closed_hours_label = closed_hours_label(periods, now, request.deadline_at)
    return closed_until_label(schedule, now)
