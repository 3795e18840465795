"""The load test's arithmetic (bench/load/report.py), without any load: the target, the users' mix, the table, the
choice of the best step and the lost-write check."""

from __future__ import annotations

import pytest

from bench.load.report import CallStats, Step, Target, best_step, format_table, mix_for, write_check


def test_the_regional_target_adds_the_journeys_the_polls_and_the_sas_searches() -> None:
    target = Target(
        cells=30,
        requests_per_day=110,
        peak_factor=10,
        peak_share=0.15,
        calls_per_request=13,
        coordinators_per_cell=3,
        poll_seconds=30,
        sas_searches_per_second=5,
    )
    assert target.requests_per_second == pytest.approx(30 * 110 * 10 * 0.15 / 3600)  # 1.375
    assert target.polls_per_second == pytest.approx(3.0)
    assert target.calls_per_second == pytest.approx(1.375 * 13 + 3.0 + 5)
    assert "25.9 calls/s" in target.explain()


def test_a_faster_poll_raises_the_target() -> None:
    assert Target(poll_seconds=2).calls_per_second == pytest.approx(Target().calls_per_second - 3.0 + 45.0)


@pytest.mark.parametrize("fraction", [0.1, 0.25, 1, 1.5, 6])
def test_the_mix_asks_exactly_the_fraction_of_the_target(fraction: float) -> None:
    target = Target()
    mix = mix_for(target, fraction)
    assert mix.calls_per_second(target.calls_per_request) == pytest.approx(target.calls_per_second * fraction)
    assert mix.journey_pacing >= 20 and mix.sas_pacing >= 5  # room for a journey, a search, to slow down
    assert mix.users == mix.journey_users + mix.poll_users + mix.sas_users


def stats(name: str, count: int = 100, failures: int = 0, p95: float = 50.0) -> CallStats:
    return CallStats(name=name, count=count, failures=failures, p50=p95 / 2, p95=p95, p99=p95 * 2)


def step(fraction: float, *, count: int, failures: int = 0, p95: float = 50.0) -> Step:
    calls = [stats("request page", count // 2, failures, p95), stats("POST book", count // 2, 0, p95 / 2)]
    total = CallStats("all", count, failures, p95 / 2, p95, p95 * 2)
    return Step(fraction=fraction, asked=count / 20, seconds=20, calls=calls, total=total)


def test_a_step_passes_only_under_200_ms_at_p95_without_errors() -> None:
    assert step(1, count=400).passed
    assert not step(1, count=400, p95=200).passed
    assert not step(1, count=400, failures=1).passed
    assert not step(1, count=0).passed


def test_the_best_step_is_the_fastest_that_passed() -> None:
    steps = [step(0.5, count=200), step(1, count=400), step(2, count=700, p95=350)]
    best = best_step(steps)
    assert best is not None and best.fraction == 1 and best.rate == 20
    assert best_step([step(2, count=700, failures=3)]) is None


def test_the_table_has_a_row_per_kind_of_call_and_the_total() -> None:
    table = format_table(step(1, count=400, failures=2, p95=240))
    lines = table.splitlines()
    assert lines[0].split() == ["kind", "of", "call", "count", "p50", "p95", "p99", "errors"]
    assert lines[2].split() == ["POST", "book", "200", "60", "120", "240", "0"]  # sorted by name
    assert lines[3].split() == ["request", "page", "200", "120", "240", "480", "2"]
    assert lines[5].split() == ["all", "400", "120", "240", "480", "2"]
    assert lines[6].startswith("20.0 calls/s over 20 s") and "failed" in lines[6]


def test_the_rate_is_locusts_own_when_it_measured_one() -> None:
    measured = step(1, count=400)
    measured.measured_rate = 18.5
    assert measured.rate == 18.5 and "18.5 calls/s" in format_table(measured)


def test_small_times_keep_a_decimal() -> None:
    assert "  4.5  " in format_table(step(1, count=10, p95=9))


def test_no_write_lost_when_every_answer_has_its_row() -> None:
    check = write_check(
        answered_ids=[11, 12, 13], created_ids=[11, 12, 13], bookings_answered=2, bookings_created=2, booked_increment=2
    )
    assert check.holds and check.lines()[-1] == "no write lost"


@pytest.mark.parametrize(
    ("answered", "created", "bookings"),
    [
        ([11, 12, 13], [11, 12], (2, 2, 2)),  # a request answered but not in the table
        ([11, 12], [11, 12, 13], (2, 2, 2)),  # a row nobody was told of (an answer lost on the way)
        ([11, 12, 14], [11, 12, 13], (2, 2, 2)),  # same counts, another id
        ([11, 12, 13], [11, 12, 13], (2, 1, 1)),  # a confirmed booking with no row
        ([11, 12, 13], [11, 12, 13], (2, 2, 3)),  # a slot counted booked twice
    ],
)
def test_a_lost_or_unaccounted_write_fails_the_check(
    answered: list[int], created: list[int], bookings: tuple[int, int, int]
) -> None:
    check = write_check(
        answered_ids=answered,
        created_ids=created,
        bookings_answered=bookings[0],
        bookings_created=bookings[1],
        booked_increment=bookings[2],
    )
    assert not check.holds and check.lines()[-1] == "WRITES LOST OR UNACCOUNTED FOR"
