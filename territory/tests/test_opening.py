"""The cell's opening hours as plain Python (territory/opening.py): clock changes, holidays per zone, closures."""

from datetime import UTC, date, datetime, time, timedelta

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from territory import opening
from territory.opening import Schedule

WEEK = {day: ((time(8), time(12, 30)), (time(13, 30), time(19))) for day in range(5)} | {5: ((time(9), time(12)),)}
EVERY_DAY_8_19 = {day: ((time(8), time(19)),) for day in range(7)}


def utc(*args: int) -> datetime:
    return datetime(*args).replace(tzinfo=UTC)


def test_a_range_on_the_spring_clock_change_sunday_lasts_its_wall_clock_hours() -> None:
    # 29 March 2026: clocks go from 02:00 to 03:00; Paris is UTC+2 from then on.
    found = opening.open_intervals(Schedule(EVERY_DAY_8_19), utc(2026, 3, 29), utc(2026, 3, 30))
    assert found == [(utc(2026, 3, 29, 6), utc(2026, 3, 29, 17))]


def test_a_range_on_the_autumn_clock_change_sunday_lasts_its_wall_clock_hours() -> None:
    # 25 October 2026: clocks go from 03:00 back to 02:00; Paris is UTC+1 from then on.
    found = opening.open_intervals(Schedule(EVERY_DAY_8_19), utc(2026, 10, 25), utc(2026, 10, 26))
    assert found == [(utc(2026, 10, 25, 7), utc(2026, 10, 25, 18))]


def test_next_opening_across_the_clock_changes_is_eight_oclock_in_paris() -> None:
    schedule = Schedule(EVERY_DAY_8_19)
    assert opening.next_opening(schedule, utc(2026, 3, 28, 20)) == utc(2026, 3, 29, 6)
    assert opening.next_opening(schedule, utc(2026, 10, 24, 20)) == utc(2026, 10, 25, 7)
    assert opening.next_opening(schedule, utc(2026, 10, 25, 12)) == utc(2026, 10, 25, 12)  # open: now


def test_the_lunch_break_and_the_weekend_are_closed() -> None:
    schedule = Schedule(WEEK)
    assert opening.is_open(schedule, utc(2026, 12, 7, 7))  # Monday 08:00 Paris
    assert not opening.is_open(schedule, utc(2026, 12, 7, 11, 45))  # Monday 12:45
    assert opening.is_open(schedule, utc(2026, 12, 5, 8, 30))  # Saturday 09:30
    assert not opening.is_open(schedule, utc(2026, 12, 5, 11))  # Saturday 12:00: the end is excluded
    # Saturday afternoon: Monday 8 h.
    assert opening.next_opening(schedule, utc(2026, 12, 5, 11)) == utc(2026, 12, 7, 7)
    closed = opening.closed_periods(schedule, utc(2026, 12, 5, 11), utc(2026, 12, 7, 12))
    assert closed == [(utc(2026, 12, 5, 11), utc(2026, 12, 7, 7)), (utc(2026, 12, 7, 11, 30), utc(2026, 12, 7, 12))]


def test_good_friday_and_26_december_are_closed_in_moselle_and_open_in_metropolitan_france() -> None:
    good_friday = utc(2026, 4, 3, 9)
    assert opening.is_open(Schedule(WEEK, zone=""), good_friday)
    assert not opening.is_open(Schedule(WEEK, zone="57"), good_friday)
    assert opening.next_opening(Schedule(WEEK, zone="57"), good_friday) == utc(2026, 4, 4, 7)  # Saturday 9 h
    saint_stephen = utc(2026, 12, 26, 9)  # Saturday 26 December, 10:00 Paris: a holiday under local law only
    assert opening.is_open(Schedule(WEEK, zone=""), saint_stephen)
    assert not opening.is_open(Schedule(WEEK, zone="57"), saint_stephen)


def test_public_holidays_are_closed_unless_the_cell_opens_on_them() -> None:
    christmas = utc(2026, 12, 25, 9)  # a Friday
    assert not opening.is_open(Schedule(WEEK), christmas)
    assert opening.is_open(Schedule(WEEK, open_on_holidays=True), christmas)


def test_a_cell_without_hours_is_always_open_even_on_holidays_but_not_on_its_closures() -> None:
    assert opening.is_open(Schedule({}), utc(2026, 12, 25, 2))
    assert opening.closed_periods(Schedule({}), utc(2026, 1, 1), utc(2027, 1, 1)) == []
    closed = Schedule({}, closures=((date(2026, 8, 10), date(2026, 8, 14)),))
    assert not opening.is_open(closed, utc(2026, 8, 12, 12))
    assert opening.next_opening(closed, utc(2026, 8, 12, 12)) == utc(2026, 8, 14, 22)  # 15 August, 00:00 Paris


def test_a_closure_skips_its_days_and_the_cell_reopens_after_it() -> None:
    schedule = Schedule(WEEK, closures=((date(2026, 12, 7), date(2026, 12, 8)),))  # Monday and Tuesday
    assert opening.next_opening(schedule, utc(2026, 12, 5, 12)) == utc(2026, 12, 9, 7)  # Wednesday 8 h


def test_a_cell_closed_beyond_the_horizon_has_no_next_opening() -> None:
    schedule = Schedule(WEEK, closures=((date(2026, 1, 1), date(2028, 1, 1)),))
    assert opening.next_opening(schedule, utc(2026, 1, 2)) is None
    answer = opening.closed_answer(schedule, utc(2026, 1, 2))
    assert answer is not None and answer.reopens_at is None
    assert answer.text() == str(opening.CLOSED_ANSWER_NO_REOPENING)


def test_the_closed_answer_names_the_reopening_in_paris_time() -> None:
    schedule = Schedule({day: ((time(8), time(19)),) for day in range(5)})
    friday_evening = utc(2026, 12, 4, 19, 30)
    answer = opening.closed_answer(schedule, friday_evening)
    assert answer is not None and answer.reopens_at == utc(2026, 12, 7, 7)
    with translation.override("fr"):
        assert (answer.day, answer.time) == ("lundi 7 décembre", "8 h")
        assert "lundi 7 décembre" in answer.text()
    with translation.override("en"):
        assert answer.text() == str(opening.CLOSED_ANSWER) % {"day": "Monday 7 December", "time": "8 h"}
    assert opening.closed_answer(schedule, utc(2026, 12, 7, 9)) is None  # open
    assert opening.closed_answer(schedule, friday_evening, now=utc(2026, 12, 7, 8)) is None  # reopened since


def test_the_closed_banner_names_the_day_and_hour() -> None:
    with translation.override("fr"):
        label = opening.closed_until_label(Schedule(WEEK), utc(2026, 12, 5, 13))
        assert label == str(opening.CLOSED_UNTIL) % {"when": "lundi 8 h"}
        assert opening.closed_until_label(Schedule(WEEK), utc(2026, 12, 7, 9)) == ""


def test_closed_hours_before_a_deadline_count_the_weekend() -> None:
    schedule = Schedule({day: ((time(8), time(19)),) for day in range(5)})
    now = utc(2026, 12, 4, 15)  # Friday 16:00 Paris
    deadline = now + timedelta(hours=48)  # Sunday 16:00
    periods = opening.closed_periods(schedule, now, deadline)
    assert opening.closed_within(periods, now, deadline) == timedelta(hours=45)  # open 16:00–19:00 only
    with translation.override("en"):
        assert opening.closed_hours_label(periods, now, deadline) == "including 45 h closed"
    assert opening.closed_hours_label(periods, now, now + timedelta(hours=2)) == ""


# Properties: any weekly hours, closures, zone, instant.

_times = st.integers(min_value=0, max_value=47).map(lambda half: time(half // 2, 30 * (half % 2)))


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    ranges: dict[int, tuple[tuple[time, time], ...]] = {}
    for day in draw(st.sets(st.integers(0, 6), max_size=7)):
        marks = sorted(draw(st.sets(_times, min_size=2, max_size=6)))
        if len(marks) % 2:
            marks = marks[:-1]
        ranges[day] = tuple(zip(marks[::2], marks[1::2], strict=True))
    closures = tuple(
        (first, first + timedelta(days=length))
        for first, length in draw(
            st.lists(st.tuples(st.dates(date(2026, 1, 1), date(2027, 12, 31)), st.integers(0, 20)), max_size=3)
        )
    )
    return Schedule(
        ranges,
        closures=closures,
        zone=draw(st.sampled_from(["", "57", "974"])),
        open_on_holidays=draw(st.booleans()),
    )


_instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)).map(lambda at: at.replace(tzinfo=UTC))


@settings(max_examples=150, deadline=None)
@given(schedules(), _instants)
def test_next_opening_is_open_and_nothing_is_open_before_it(schedule: Schedule, at: datetime) -> None:
    found = opening.next_opening(schedule, at)
    if found is None:
        assert opening.open_intervals(schedule, at, at + opening.HORIZON) == []
        return
    assert found >= at
    assert opening.is_open(schedule, found)
    assert opening.closed_within(opening.closed_periods(schedule, at, found), at, found) == found - at


@settings(max_examples=150, deadline=None)
@given(schedules(), _instants, st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=10))
def test_closed_periods_and_is_open_agree(schedule: Schedule, start: datetime, minutes: list[int]) -> None:
    end = start + timedelta(days=3)
    periods = opening.closed_periods(schedule, start, end)
    for offset in minutes:
        at = start + timedelta(minutes=offset)
        if at < end:
            closed = any(a <= at < b for a, b in periods)
            assert opening.is_open(schedule, at) is not closed


class _Row:
    def __init__(self, deadline_at: datetime) -> None:
        self.deadline_at = deadline_at
        self.closed_hours_label = "unset"


def test_the_queue_rows_get_their_closed_hours_and_the_banner_from_one_reading() -> None:
    schedule = Schedule({day: ((time(8), time(19)),) for day in range(5)})
    now = utc(2026, 12, 5, 10)  # Saturday 11:00 Paris: closed until Monday 8 h
    rows = [_Row(now + timedelta(hours=48)), _Row(now - timedelta(hours=1)), _Row(now + timedelta(hours=80))]
    with translation.override("en"):
        banner = opening.mark_closed_hours(schedule, now, rows)
        assert banner == "Cell closed until Monday 8 h"
        # To Monday 11:00: closed until 08:00, 45 h; to Tuesday 19:00: 45 h and Monday night's 13 h.
        assert [row.closed_hours_label for row in rows] == ["including 45 h closed", "", "including 58 h closed"]
    assert opening.mark_closed_hours(schedule, utc(2026, 12, 7, 9), []) == ""
