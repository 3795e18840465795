"""The 48 h clock, across both 2026 clock changes in Europe/Paris (29 March and 25 October)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from referrals.deadlines import deadline_for, time_left

PARIS = ZoneInfo("Europe/Paris")


def test_a_request_received_the_day_before_the_spring_change_has_48_real_hours() -> None:
    received = datetime(2026, 3, 28, 10, 0, tzinfo=PARIS)  # CET, UTC+1
    deadline = deadline_for(received, "48h")
    assert deadline - received == timedelta(hours=48)
    assert deadline.astimezone(UTC) == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert deadline.astimezone(PARIS).strftime("%d/%m %H:%M %Z") == "30/03 11:00 CEST"


def test_a_request_received_the_day_before_the_autumn_change_has_48_real_hours() -> None:
    received = datetime(2026, 10, 24, 10, 0, tzinfo=PARIS)  # CEST, UTC+2
    deadline = deadline_for(received, "48h")
    assert deadline.astimezone(UTC) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert deadline.astimezone(PARIS).strftime("%d/%m %H:%M %Z") == "26/10 09:00 CET"


def test_the_repeated_hour_of_october_is_told_apart() -> None:
    first = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=0)  # CEST
    second = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1)  # CET, one hour later
    assert deadline_for(second, "24h") - deadline_for(first, "24h") == timedelta(hours=1)


def test_urgency_within_24_hours_shortens_the_deadline() -> None:
    received = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert deadline_for(received, "24h") == received + timedelta(hours=24)
    assert deadline_for(received, "week") == received + timedelta(hours=48)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        deadline_for(datetime(2026, 6, 1, 8, 0), "48h")


@pytest.mark.parametrize(
    "hours_left, level, text",
    [
        (30, "ok", "30 h 00"),
        (11.5, "amber", "11 h 30"),
        (3.25, "red", "3 h 15"),
        (0.5, "red", "30 min"),
        (-1.5, "red", "1 h 30"),
    ],
)
def test_time_left_turns_amber_then_red(hours_left: float, level: str, text: str) -> None:
    now = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    left = time_left(now + timedelta(hours=hours_left), now)
    assert (left.level, left.short()) == (level, text)
    assert left.overdue == (hours_left < 0)
