"""The Slot bundle's times (start, end) are formatted per UTC hour, then minutes and seconds added: the very strings
`localtime(…, Europe/Paris).isoformat(timespec="seconds")` gives, on any day, both clock changes included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from interop.slots import _instant, _Instants

# The March and October clock changes of 2026 (01:00 UTC), and every second around them.
SPRING, AUTUMN = datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
around = st.sampled_from([SPRING, AUTUMN]).flatmap(
    lambda change: st.integers(-7200, 7200).map(lambda s: change + timedelta(seconds=s))
)
anywhen = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)  # microseconds too: cut, not rounded


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(around, anywhen), min_size=1, max_size=30))
@example(
    [SPRING - timedelta(microseconds=1), SPRING, AUTUMN - timedelta(seconds=1), AUTUMN, AUTUMN + timedelta(hours=1)]
)
def test_the_fast_times_are_the_isoformat_of_paris_time(moments: list[datetime]) -> None:
    instants = _Instants()  # one per answer: its cache of hours shared by all of the answer's times
    assert [instants(moment) for moment in moments] == [_instant(moment) for moment in moments]


def test_the_clock_changes_read_as_the_guide_shows_them() -> None:
    instants = _Instants()
    assert instants(SPRING - timedelta(seconds=1)) == "2026-03-29T01:59:59+01:00"
    assert instants(SPRING) == "2026-03-29T03:00:00+02:00"
    assert instants(AUTUMN - timedelta(seconds=1)) == "2026-10-25T02:59:59+02:00"
    assert instants(AUTUMN) == "2026-10-25T02:00:00+01:00"


def test_a_time_in_another_zone_reads_as_paris_time_and_a_naive_one_is_refused() -> None:
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 7, 14, 9, 30, 5, tzinfo=ZoneInfo("America/Cayenne"))
    assert _Instants()(moment) == "2026-07-14T14:30:05+02:00" == _instant(moment)
    with pytest.raises(ValueError):
        _Instants()(datetime(2026, 7, 14, 9, 30))
