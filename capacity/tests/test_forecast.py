"""The forecast model on synthetic series (plain Python, no database)."""

from __future__ import annotations

import ast
import math
import random
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import forecast

MONDAY = date(2024, 1, 1)  # a Monday


def days_of(weeks: int, per_weekday: tuple[int, ...]) -> list[int]:
    return [per_weekday[d % 7] for d in range(weeks * 7)]


def test_the_model_imports_nothing_of_django() -> None:
    tree = ast.parse(Path(forecast.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("django") for name in imported)


def test_a_flat_series_is_forecast_flat() -> None:
    predicted = forecast.forecast(MONDAY, days_of(20, (3, 3, 3, 3, 3, 3, 3)))
    assert predicted is not None and len(predicted.demand) == forecast.HORIZON
    assert all(math.isclose(value, 21, rel_tol=1e-9) for value in predicted.demand)
    assert predicted.weeks[0] == MONDAY + timedelta(weeks=20) and not predicted.seasonal


def test_fewer_than_eight_weeks_give_no_forecast() -> None:
    assert forecast.forecast(MONDAY, days_of(7, (1,) * 7)) is None
    assert forecast.forecast(MONDAY, days_of(8, (1,) * 7)) is not None


def test_the_weekday_profile_is_recovered_and_splits_the_week() -> None:
    week = (10, 6, 5, 5, 5, 2, 1)  # Monday busiest, few at weekends
    predicted = forecast.forecast(MONDAY, days_of(52, week))
    assert predicted is not None
    expected = [count / sum(week) for count in week]
    assert all(abs(share - want) < 0.01 for share, want in zip(predicted.weekday_share, expected, strict=True))
    monday, sunday = predicted.weeks[0], predicted.weeks[0] + timedelta(days=6)
    assert predicted.day_demand(monday) > 4 * predicted.day_demand(sunday)


def test_a_holiday_week_is_forecast_lower_and_does_not_pull_the_level_down() -> None:
    week = (6, 5, 5, 5, 5, 2, 1)
    counts = days_of(30, week)
    holidays = {MONDAY + timedelta(weeks=w, days=2) for w in (5, 12, 20)}  # past Wednesdays: a fifth of usual
    for day in holidays:
        counts[(day - MONDAY).days] = 1
    upcoming = MONDAY + timedelta(weeks=31, days=2)  # a Wednesday in the second week forecast
    predicted = forecast.forecast(MONDAY, counts, holidays=holidays | {upcoming})
    assert predicted is not None
    assert 0.15 < predicted.holiday_share < 0.5  # measured, pulled towards the prior by the few holidays seen
    ordinary, with_holiday = predicted.demand[0], predicted.demand[1]
    assert math.isclose(ordinary, sum(week), rel_tol=0.01)  # the past holiday weeks did not lower the level
    assert with_holiday < ordinary - 2
    assert predicted.day_demand(upcoming, holidays | {upcoming}) < 2


def seasonal(weeks: int, *, seed: int = 1) -> list[int]:
    """A winter peak (twice the level in January) with Poisson-like noise, daily counts."""
    rng = random.Random(seed)
    counts = []
    for day_index in range(weeks * 7):
        day = MONDAY + timedelta(days=day_index)
        winter = max(0.0, math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)) ** 2
        rate = 3.0 * (1 + winter)
        counts.append(sum(1 for _ in range(20) if rng.random() < rate / 20))
    return counts


def test_the_season_term_helps_on_a_seasonal_series() -> None:
    counts = seasonal(150)
    with_season = forecast.back_test(MONDAY, counts)
    saved = forecast.SEASON_PRIOR
    forecast.SEASON_PRIOR = 1e12  # the season pulled all the way to "none"
    try:
        without = forecast.back_test(MONDAY, counts)
    finally:
        forecast.SEASON_PRIOR = saved
    assert with_season.compared == without.compared > 100
    assert with_season.model_mae is not None and without.model_mae is not None
    assert with_season.model_mae < without.model_mae


def test_the_back_test_compares_the_three_on_the_same_weeks() -> None:
    counts = seasonal(120, seed=7)
    tested = forecast.back_test(MONDAY, counts)
    # targets with a year behind them: weeks 52..119, each reached from up to 4 origins
    assert tested.compared == sum(min(4, t - 7) for t in range(52, 120))
    assert tested.forecast_weeks >= tested.compared
    assert tested.beats_baselines == (
        tested.model_mae < tested.last4_mae and tested.model_mae < tested.last_year_mae  # type: ignore[operator]
    )


def test_without_a_year_the_baselines_cannot_be_compared() -> None:
    tested = forecast.back_test(MONDAY, days_of(30, (2,) * 7))
    assert tested.compared == 0 and tested.last_year_mae is None and not tested.beats_baselines
    assert tested.model_mae_all is not None and tested.model_mae_all < 1e-9  # a flat series, forecast exactly


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=60), min_size=0, max_size=7 * 70),
    holiday_days=st.sets(st.integers(min_value=0, max_value=7 * 75), max_size=12),
)
def test_forecasts_are_never_negative_nor_infinite(counts: list[int], holiday_days: set[int]) -> None:
    holidays = {MONDAY + timedelta(days=d) for d in holiday_days}
    predicted = forecast.forecast(MONDAY, counts, holidays=holidays)
    if len(counts) // 7 < forecast.MIN_WEEKS:
        assert predicted is None
        return
    assert predicted is not None
    assert all(value >= 0 and math.isfinite(value) for value in predicted.demand)
    assert math.isclose(sum(predicted.weekday_share), 1)
    for monday in predicted.weeks:
        for d in range(7):
            assert predicted.day_demand(monday + timedelta(days=d), holidays) >= 0
    tested = forecast.back_test(MONDAY, counts, holidays=holidays)
    assert tested.model_mae_all is None or tested.model_mae_all >= 0
