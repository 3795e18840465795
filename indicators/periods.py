"""The dashboard's periods in calendar terms: the presets a coordinator clicks (this month, last quarter, the ACI
year…) and the months a period covers, each said whole, cut by the period, or still in progress, so that a chart never
shows a month of seven days as a fall of activity.

Dates only: a `Period` turns them into Paris midnights (a month with a clock change is 743 or 745 hours long, still one
month here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.periods import Period


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def add_months(day: date, count: int) -> date:
    """The first day of the month `count` months after (or before, if negative) `day`'s month."""
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_period(month: date) -> Period:
    """The whole month of `month` (any day of it)."""
    first = month.replace(day=1)
    return Period(first, month_end(first))


def month_starts(period: Period) -> list[date]:
    """The first day of every month the period touches, in order."""
    found, first = [], period.first.replace(day=1)
    while first <= period.last:
        found.append(first)
        first = add_months(first, 1)
    return found


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# Each preset: its name in the address, its label, and its dates seen from `today`. Current ones end today ("to
# date"): what has happened so far, the running month marked as such.
def _twelve_months(today: date) -> Period:
    return Period(add_months(today, -11), today)


def _this_month(today: date) -> Period:
    return Period(today.replace(day=1), today)


def _last_month(today: date) -> Period:
    first = add_months(today, -1)
    return Period(first, month_end(first))


def _this_quarter(today: date) -> Period:
    return Period(quarter_start(today), today)


def _last_quarter(today: date) -> Period:
    first = add_months(quarter_start(today), -3)
    return Period(first, month_end(add_months(first, 2)))


def _this_year(today: date) -> Period:
    return Period(date(today.year, 1, 1), today)


def _aci_year(today: date) -> Period:
    """The last complete ACI year: the ACI's indicators are assessed by calendar year, and the *dialogue de gestion*
    of year N looks back on the whole of N-1 (so it is also "last year")."""
    return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))


@dataclass(frozen=True)
class Preset:
    slug: str
    label: str | Promise  # lazy: translated when shown
    dates: Callable[[date], Period]

    def period(self, today: date) -> Period:
        return self.dates(today)

    def title(self, today: date) -> str:
        return str(self.label) % {"year": self.period(today).first.year}


PRESETS: tuple[Preset, ...] = (
    Preset("12-months", gettext_lazy("Last 12 months"), _twelve_months),
    Preset("this-month", gettext_lazy("This month"), _this_month),
    Preset("last-month", gettext_lazy("Last month"), _last_month),
    Preset("this-quarter", gettext_lazy("This quarter"), _this_quarter),
    Preset("last-quarter", gettext_lazy("Last quarter"), _last_quarter),
    Preset("this-year", gettext_lazy("This year"), _this_year),
    Preset("aci-year", gettext_lazy("Last year (ACI %(year)s)"), _aci_year),
)
BY_SLUG = {preset.slug: preset for preset in PRESETS}
DEFAULT = BY_SLUG["12-months"]


def default_period(today: date) -> Period:
    """The last twelve months to date, the running month included (and marked as in progress).

    Why not the month to date or the year to date: a coordinator opens the dashboard to see a trend and a season
    (winter's GP demand, summer's lull), which the "per month" charts can only draw with several months in them; a
    month to date is one dot, and a year to date is one dot in January. Twelve months always draw a year's shape, end
    with what happened this week, and stay under the one-year limit of a period."""
    return DEFAULT.period(today)


@dataclass(frozen=True)
class Month:
    """One month of a period: `first` is its first day; `shown_first`/`shown_last` the days counted in it."""

    first: date
    shown_first: date
    shown_last: date
    in_progress: bool  # it has not ended: its figures will still grow

    @property
    def whole(self) -> bool:
        return not self.in_progress and self.shown_first == self.first and self.shown_last == month_end(self.first)

    def label(self) -> str:
        """The month in full, with what it covers when it is not whole: "décembre 2026 (en cours, jusqu'au 7)"."""
        name = date_format(self.first, "F Y")
        parts = []
        if self.in_progress:
            parts.append(_("in progress"))
        cut_first, cut_last = self.shown_first > self.first, self.shown_last < month_end(self.first)
        if cut_first and cut_last:
            parts.append(
                _("from the %(first)s to the %(last)s") % {"first": self.shown_first.day, "last": self.shown_last.day}
            )
        elif cut_first:
            parts.append(_("from the %(first)s") % {"first": self.shown_first.day})
        elif cut_last:
            parts.append(_("up to the %(last)s") % {"last": self.shown_last.day})
        return f"{name} ({', '.join(parts)})" if parts else name

    def short_label(self) -> str:
        """For a chart's axis, short enough to fit under its bar: "déc. 2026" (the chart marks it if not whole)."""
        return date_format(self.first, "N Y")


def months(period: Period, today: date, *, up_to_today: bool = False) -> list[Month]:
    """Every month the period touches, in order, each with the days it counts. `up_to_today`: for what cannot lie in
    the future (requests received), the months after today's are left out and today's stops today; places can be
    offered ahead, so they keep the whole period."""
    last = min(period.last, today) if up_to_today else period.last
    found: list[Month] = []
    first = period.first.replace(day=1)
    while first <= last:
        end = month_end(first)
        found.append(
            Month(
                first=first,
                shown_first=max(first, period.first),
                shown_last=min(end, last),
                in_progress=first <= today <= end and period.last >= today,
            )
        )
        first = add_months(first, 1)
    return found
