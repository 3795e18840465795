"""The weekly demand of one care at one place, forecast a few weeks ahead from the cell's own history (decision 0020).

Plain Python, no Django import: the inputs are the requests received per day, the outputs numbers; the selectors
read the database and the pages speak French.

The model is a small, explainable one, chosen over a forecasting library (statsmodels, Prophet) because the series
are short (one or two years of weeks) and small (a few requests a week at a place), because the cell administrator
must be able to read why next week's figure is what it is, and because it must run in a page's time without a heavy
dependency. Four terms, each estimated only from the weeks before the forecast's origin:

- **weekday profile**: each weekday's share of a week's requests, from the ordinary days (not public holidays) of the
  history, with one request of prior per day so that a short history gives a flat week. It splits a week's demand
  into days ("Tuesday"), and tells how much of a week a holiday removes.
- **public holidays**: a holiday receives a fraction `h` of an ordinary same weekday's requests, `h` measured on the
  history's holidays and pulled towards `HOLIDAY_PRIOR` when there were few. A week's *working share* is the sum of
  its days' shares, each holiday counted `h`: 1 for an ordinary week, less for the week of 1 May. Weekly counts are
  divided by their working share before anything else (a holiday week does not pull the level down), and forecasts
  multiplied by the target week's.
- **level**: an exponentially weighted mean of the recent (holiday-adjusted) weeks, weight `ALPHA` on the last week.
- **season**: when a year of history exists, the same weeks of the previous year (the target week 52 weeks earlier
  and its two neighbours) relative to the level the same average had reached 52 weeks before the origin. This ratio
  carries the winter's rise (or August's dip) whatever the cell's growth since; it is pulled towards 1 when last
  year's weeks held few requests (`SEASON_PRIOR` requests of prior), so that noise is not taken for a season.

The forecast is never negative. `back_test` measures it honestly: rolling origin over the history (from each week t,
forecast t+1 … t+h with only the data up to t), the mean absolute error per week, beside two naive baselines — the
mean of the last 4 weeks, and the same week last year — on the same target weeks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MIN_WEEKS = 8  # fewer whole weeks of history: no forecast (a clear message instead)
HORIZON = 4
ALPHAS = (0.1, 0.2, 0.3, 0.5)  # the level's weight on the last week, the one that forecast the past best
HOLIDAY_PRIOR = 0.5  # a holiday's share of an ordinary day's requests before any holiday was seen
HOLIDAY_PRIOR_WEIGHT = 5.0  # in expected requests
SEASON_SPAN = 2  # last year's weeks on each side of the target's (five weeks)
SEASON_PRIOR = 60.0  # requests of prior towards "no season"
SEASON_BOUNDS = (0.4, 2.5)
WEEK = 7
YEAR = 52  # weeks


@dataclass(frozen=True)
class Forecast:
    """The demand forecast for the weeks after the history, and how a week splits into days."""

    weeks: tuple[date, ...]  # the Mondays of the weeks forecast
    demand: tuple[float, ...]  # requests expected in each week (its holidays included)
    weekday_share: tuple[float, ...]  # Monday … Sunday, summing to 1 (an ordinary week)
    holiday_share: float  # a holiday's requests as a fraction of an ordinary same weekday's
    level: float  # requests a week in an ordinary week now, season aside
    seasonal: bool  # whether a year of history gave the season term

    def day_demand(self, day: date, holidays: Collection[date] = ()) -> float:
        """The requests expected on one day of a forecast week."""
        monday = day - timedelta(days=day.weekday())
        index = self.weeks.index(monday)
        working = _working_share(monday, self.weekday_share, self.holiday_share, holidays)
        share = self.weekday_share[day.weekday()] * (self.holiday_share if day in holidays else 1.0)
        return self.demand[index] * share / working if working > 0 else 0.0


@dataclass(frozen=True)
class BackTest:
    """Mean absolute errors per week, on the same target weeks for the three methods (`compared` weeks), and the
    model's alone over every week it could forecast (`model_mae_all`, over `forecast_weeks`: what is shown)."""

    compared: int
    model_mae: float | None
    last4_mae: float | None
    last_year_mae: float | None
    forecast_weeks: int
    model_mae_all: float | None

    @property
    def beats_baselines(self) -> bool:
        """Strictly better than both baselines on the same weeks (false when they could not be compared)."""
        if self.model_mae is None or self.last4_mae is None or self.last_year_mae is None:
            return False
        return self.model_mae < self.last4_mae and self.model_mae < self.last_year_mae


def whole_weeks(first_day: date, counts: Sequence[int]) -> int:
    """How many whole weeks the daily counts hold (the first day must be a Monday)."""
    if first_day.weekday() != 0:
        raise ValueError("the history must start on a Monday")
    return len(counts) // WEEK


def weekly(counts: Sequence[int]) -> list[int]:
    return [sum(counts[w * WEEK : (w + 1) * WEEK]) for w in range(len(counts) // WEEK)]


class _History:
    """The daily counts prepared once, so that refitting at every origin of the back-test costs little: weekly
    totals, and per week the running sums of ordinary days' requests and numbers per weekday."""

    def __init__(self, first_day: date, counts: Sequence[int], horizon: int, holidays: Collection[date]) -> None:
        self.first_day = first_day
        self.weeks = whole_weeks(first_day, counts)
        self.counts = counts
        self.totals = weekly(counts)
        span = self.weeks + horizon
        self.holiday_days = [offset for offset in range(span * WEEK) if first_day + timedelta(days=offset) in holidays]
        self.week_holidays: dict[int, list[int]] = {}
        for offset in self.holiday_days:
            self.week_holidays.setdefault(offset // WEEK, []).append(offset % WEEK)
        sums, seen = [0.0] * WEEK, [0] * WEEK
        self.running: list[tuple[tuple[float, ...], tuple[int, ...]]] = [(tuple(sums), tuple(seen))]
        for week in range(self.weeks):
            off = self.week_holidays.get(week, [])
            for wd in range(WEEK):
                if wd not in off:
                    sums[wd] += counts[week * WEEK + wd]
                    seen[wd] += 1
            self.running.append((tuple(sums), tuple(seen)))

    def weekday_share(self, weeks: int) -> tuple[float, ...]:
        """From the ordinary days of the first `weeks` weeks, one request of prior per weekday."""
        sums, seen = self.running[weeks]
        rates = [(sums[wd] + 1.0) / (seen[wd] + 1.0) for wd in range(WEEK)]
        whole = sum(rates)
        return tuple(rate / whole for rate in rates)

    def working_share(self, week: int, share: Sequence[float], holiday: float) -> float:
        off = self.week_holidays.get(week, ())
        return 1.0 - sum(share[wd] for wd in off) * (1.0 - holiday)

    def holiday_share(self, weeks: int, share: Sequence[float]) -> float:
        """Requests seen on the holidays of the first `weeks` weeks over those expected there from the rest of their
        week, pulled towards `HOLIDAY_PRIOR`."""
        observed = expected = 0.0
        for offset in self.holiday_days:
            week = offset // WEEK
            if week >= weeks:
                break
            off = self.week_holidays[week]
            ordinary_share = 1.0 - sum(share[wd] for wd in off)
            if ordinary_share <= 0:
                continue
            ordinary_count = sum(self.counts[week * WEEK + wd] for wd in range(WEEK) if wd not in off)
            observed += self.counts[offset]
            expected += ordinary_count / ordinary_share * share[offset % WEEK]
        return max(0.0, (observed + HOLIDAY_PRIOR * HOLIDAY_PRIOR_WEIGHT) / (expected + HOLIDAY_PRIOR_WEIGHT))


def _working_share(monday: date, share: Sequence[float], holiday: float, holidays: Collection[date]) -> float:
    return sum(share[wd] * (holiday if monday + timedelta(days=wd) in holidays else 1.0) for wd in range(WEEK))


@dataclass(frozen=True)
class _Fit:
    share: tuple[float, ...]
    holiday: float
    working: list[float]  # per week of the history and the horizon
    levels: list[float]  # the level after each week of the history
    adjusted: list[float]  # the history's weekly counts divided by their working share


def _fit(history: _History, weeks: int, horizon: int) -> _Fit:
    """The terms estimated from the first `weeks` whole weeks only."""
    share = history.weekday_share(weeks)
    holiday = history.holiday_share(weeks, share)
    working = [1.0] * (weeks + horizon)  # an ordinary week's: the whole week
    for week in history.week_holidays:
        if week < weeks + horizon:
            working[week] = history.working_share(week, share, holiday)
    adjusted = [total / working[w] if working[w] > 0 else 0.0 for w, total in enumerate(history.totals[:weeks])]
    start = min(4, weeks)
    first = sum(adjusted[:start]) / start
    best: tuple[float, list[float]] | None = None
    for alpha in ALPHAS:  # the weight whose one-week-ahead forecasts erred least on these weeks
        level, error = first, 0.0
        levels: list[float] = []
        append, keep = levels.append, 1 - alpha
        for w, value in enumerate(adjusted):
            if w >= start:
                error += abs(value - level)
            level = alpha * value + keep * level
            append(level)
        if best is None or error < best[0] - 1e-9:
            best = (error, levels)
    assert best is not None
    return _Fit(share, holiday, working, best[1], adjusted)


def _predict(fit: _Fit, totals: Sequence[int], origin: int, ahead: int) -> tuple[float, bool]:
    """The forecast of week `origin + ahead` from the fit up to `origin` (0-based week index, included)."""
    target = origin + ahead
    ratio, seasonal = 1.0, False
    then = origin - YEAR
    if then >= MIN_WEEKS - 1:
        around = [w for w in range(target - YEAR - SEASON_SPAN, target - YEAR + SEASON_SPAN + 1) if 0 <= w <= origin]
        if around and fit.levels[then] > 0:
            raw = sum(fit.adjusted[w] for w in around) / len(around) / fit.levels[then]
            requests = sum(totals[w] for w in around)
            pull = requests / (requests + SEASON_PRIOR)
            ratio = min(max(1 + pull * (raw - 1), SEASON_BOUNDS[0]), SEASON_BOUNDS[1])
            seasonal = True
    return max(0.0, fit.levels[origin] * ratio * fit.working[target]), seasonal


def forecast(
    first_day: date, counts: Sequence[int], *, horizon: int = HORIZON, holidays: Collection[date] = ()
) -> Forecast | None:
    """The next `horizon` weeks after the whole weeks of `counts` (requests per day from `first_day`, a Monday);
    None with fewer than `MIN_WEEKS` whole weeks."""
    history = _History(first_day, counts, horizon, holidays)
    weeks = history.weeks
    if weeks < MIN_WEEKS:
        return None
    fit = _fit(history, weeks, horizon)
    predicted = [_predict(fit, history.totals, weeks - 1, ahead) for ahead in range(1, horizon + 1)]
    return Forecast(
        weeks=tuple(first_day + timedelta(weeks=weeks + k) for k in range(horizon)),
        demand=tuple(value for value, _ in predicted),
        weekday_share=fit.share,
        holiday_share=fit.holiday,
        level=fit.levels[-1],
        seasonal=any(seasonal for _, seasonal in predicted),
    )


def back_test(
    first_day: date,
    counts: Sequence[int],
    *,
    horizon: int = HORIZON,
    holidays: Collection[date] = (),
    origins: int | None = None,
) -> BackTest:
    """Rolling origin: from each week t with at least `MIN_WEEKS` weeks behind it, forecast t+1 … t+horizon from the
    data up to t only, and compare with what happened. The baselines are compared on the targets where both exist
    (a year behind, four weeks behind the origin), with the model's error on those same targets. `origins`: only
    the last ones (a page's bounded cost), else every week that can be one."""
    history = _History(first_day, counts, horizon, holidays)
    weeks, totals = history.weeks, history.totals
    errors: list[float] = []
    compared: list[tuple[float, float, float]] = []
    earliest = MIN_WEEKS - 1 if origins is None else max(MIN_WEEKS - 1, weeks - 1 - origins)
    for origin in range(earliest, weeks - 1):
        fit = _fit(history, origin + 1, horizon)
        for ahead in range(1, min(horizon, weeks - 1 - origin) + 1):
            target = origin + ahead
            value, _ = _predict(fit, totals, origin, ahead)
            error = abs(value - totals[target])
            errors.append(error)
            if target - YEAR >= 0:
                last4 = sum(totals[origin - 3 : origin + 1]) / 4
                compared.append((error, abs(last4 - totals[target]), abs(totals[target - YEAR] - totals[target])))

    def mean(values: Sequence[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return BackTest(
        compared=len(compared),
        model_mae=mean([row[0] for row in compared]),
        last4_mae=mean([row[1] for row in compared]),
        last_year_mae=mean([row[2] for row in compared]),
        forecast_weeks=len(errors),
        model_mae_all=mean(errors),
    )
