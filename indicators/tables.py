"""The dashboard's tables, built from the figures: a title, column headings and rows of plain values. The page, the
charts and the exports (CSV, XLSX) all read them, so every chart has its numbers and every table its export."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from directory.models import Profession, ResourceKind, SiteKind
from referrals.models import CareChannel, Channel, Elsewhere, Modality, ReasonCategory
from referrals.states import CloseReason

from . import figures, origins, periods, suppression
from .figures import Period, Scope

SMALL = suppression.SMALL  # counts under this are not shown in exports meant for outside the cell
Rate = Callable[[list[object]], "float | None"]


@dataclass(frozen=True)
class Table:
    """A table as the page shows it: `rows` of plain values, and under them `total` (a total row) when it has one.

    What a reader can add up, declared for the secondary suppression (indicators/suppression.py):
    - `margins`: each entry names key columns; the rows sharing the values of those columns sum, count column by count
      column, to a figure a reader knows. `()` is all the rows (they sum to the total row, or to a figure shown
      elsewhere: a dimension's rows to the period's requests in the headline, the months to the year's figure); `(0,)`
      the rows of a same month across cares, `(1,)` a care's rows across months: such totals are taken as shown
      elsewhere under the same rule (`suppression.published`). No entry: the rows sum to nothing shown (a request may
      have several tags).
    - `parts`: within a row, a count column that is the sum of others (places offered = taken + not taken + to come).
    """

    slug: str
    title: str
    headings: list[str]
    rows: list[list[object]]
    count_columns: tuple[int, ...] = (1,)  # which columns hold counts of people (suppressed when small, outside)
    margins: tuple[tuple[int, ...], ...] = ((),)
    parts: tuple[tuple[int, tuple[int, ...]], ...] = ()
    total: list[object] | None = None

    def lines(self) -> list[list[object]]:
        """What an export writes: the rows, then the total row."""
        return [*self.rows, *([self.total] if self.total is not None else [])]

    def with_total(self, label: str | None = None, rate: Rate | None = None) -> Table:
        """The table with a total row: each count column summed, the first column saying "Total", other text columns
        empty, a rate column recomputed from the totals by `rate` (a sum of rates means nothing)."""
        width = len(self.headings)
        total: list[object] = [None] * width
        for column in self.count_columns:
            total[column] = sum(int(row[column]) for row in self.rows if isinstance(row[column], int))  # type: ignore[call-overload]
        total[0] = label if label is not None else _("Total")
        for column in range(1, width):
            if column not in self.count_columns:
                total[column] = rate(total) if rate is not None and column == width - 1 else ""
        return replace(self, total=total)

    def sums(self) -> list[suppression.Sum]:
        """The sums a reader knows, over cells `(row, column)`; the total row is row `len(rows)`."""
        found: list[suppression.Sum] = []
        total_row = len(self.rows)
        values = {(r, c): v for r, row in enumerate(self.rows) for c, v in enumerate(row) if isinstance(v, int)}
        for keys in self.margins:
            groups: dict[tuple[object, ...], list[int]] = {}
            for index, row in enumerate(self.rows):
                groups.setdefault(tuple(row[k] for k in keys), []).append(index)
            if keys == () and self.total is not None:  # onto the total row, a part of the table
                found += [
                    suppression.Sum(tuple((i, c) for i in range(total_row)), (total_row, c))
                    for c in self.count_columns
                    if isinstance(self.total[c], int)
                ]
            else:  # a month's or a care's total, or the period's (the headline): as shown there, under the same rule
                found += suppression.margins(list(groups.values()), self.count_columns, values, self.parts)
        for index, row in enumerate(self.lines()):
            for whole, parts in self.parts:
                if isinstance(row[whole], int) and all(isinstance(row[p], int) for p in parts):
                    found.append(suppression.Sum(tuple((index, p) for p in parts), (index, whole)))
        return found

    def suppressed(self) -> Table:
        """For outside the cell: aggregates only, any count from 1 to 4 shown as "< 5", then as many other counts
        hidden (shown as "hidden") as it takes for none of them to be worked out from the totals a reader knows (the
        total row, the headline, the other months or cares), and a rate computed from a hidden count hidden too (3
        taken out of "< 5" offered at 75 % would give it away)."""
        lines = self.lines()
        values = {
            (r, c): int(line[c])  # type: ignore[call-overload]
            for r, line in enumerate(lines)
            for c in self.count_columns
            if isinstance(line[c], int) and not isinstance(line[c], bool)
        }
        found = suppression.suppress(values, self.sums())
        less_than, hidden = f"< {SMALL}", _("hidden")
        shown = []
        for r, line in enumerate(lines):
            masked = any((r, c) in found.hidden for c in self.count_columns)
            shown.append(
                [
                    less_than
                    if (r, c) in found.primary
                    else hidden
                    if (r, c) in found.secondary
                    else ("—" if masked and isinstance(value, float) else value)
                    for c, value in enumerate(line)
                ]
            )
        rows, total = (shown[:-1], shown[-1]) if self.total is not None else (shown, None)
        return replace(self, rows=rows, total=total)


def month_label(month: date) -> str:
    return date_format(month, "F Y")


def _labels() -> dict[str, dict[str, str]]:
    origin = {
        **dict(Profession.choices),
        **dict(SiteKind.choices),
        origins.QR: str(_("QR code (the patient)")),
        origins.SAS: str(origins.SAS_LABEL),
    }
    return {
        "origin": {k: str(v) for k, v in origin.items()},
        "channel": {k: str(v) for k, v in Channel.choices},
        "care_channel": {k: str(v) for k, v in CareChannel.choices},
        "reason_category": {k: str(v) for k, v in ReasonCategory.choices},
        "elsewhere": {k: str(v) for k, v in Elsewhere.choices},
        "oriented": {k: str(v) for k, v in Modality.choices},
        "reoriented": {k: str(v) for k, v in ResourceKind.choices},
        "closed": {k: str(v) for k, v in CloseReason.choices},
        "tags": {},  # the cell's own tags: their names are their labels
    }


DIMENSIONS = {
    "origin": lambda: _("Requests by origin"),
    "channel": lambda: _("Requests by channel"),
    "care_channel": lambda: _("Requests by care wanted"),
    "reason_category": lambda: _("Requests by kind of reason"),
    "elsewhere": lambda: _("Where the patient would have gone otherwise"),
    "oriented": lambda: _("Oriented, by modality"),
    "reoriented": lambda: _("Reoriented, by destination"),
    "closed": lambda: _("Closed, by reason"),
    "tags": lambda: _("Requests by tag of the cell"),
}


def shown_months(
    period: Period, today: date, found: Iterable[date], *, up_to_today: bool = False
) -> list[periods.Month]:
    """The months a per-month table shows, in order: every month of the period, empty ones too (as 0), so that a month
    without activity is seen as such rather than skipped; with `up_to_today`, none after today's (no request is
    received in the future), but any month that has figures all the same."""
    listed = periods.months(period, today, up_to_today=up_to_today)
    have, found = {m.first for m in listed}, set(found)
    extra = [m for m in periods.months(period, today) if m.first in found and m.first not in have]
    return sorted(listed + extra, key=lambda m: m.first)


SEVERAL_PER_REQUEST = {"tags"}  # dimensions where a request may count in several rows


def _fill_rate(total: list[object]) -> float | None:
    """The fill rate of a total row of places: taken out of the places whose time has come."""
    offered, taken, upcoming = (int(total[c]) for c in (2, 3, 5))  # type: ignore[call-overload]
    return round(100 * taken / (offered - upcoming), 1) if offered - upcoming else None


def places(scope: Scope, period: Period, now: datetime, months: list[figures.SlotMonth] | None = None) -> Table:
    """Places per month and care; a month without any place offered is a row of zeros (care "—")."""
    cares = dict(CareChannel.choices)
    found = months if months is not None else figures.slots_by_month(scope, period, now)
    by_month: dict[date, list[figures.SlotMonth]] = {}
    for r in found:
        by_month.setdefault(r.month, []).append(r)
    rows: list[list[object]] = []
    for month in shown_months(period, timezone.localdate(now), by_month):
        label = month.label()
        for r in by_month.get(month.first, []):
            care = str(cares.get(r.care_channel, r.care_channel))
            rows.append([label, care, r.offered, r.taken, r.not_taken, r.upcoming, r.fill_rate])
        if month.first not in by_month:
            rows.append([label, "—", 0, 0, 0, 0, None])
    return places_table(rows).with_total(rate=_fill_rate)


def places_table(rows: list[list[object]]) -> Table:
    """The places table (month, care, offered, taken, not taken, still to come, fill rate) with what its rows add up
    to, for the secondary suppression: the dashboard's and the ACI report's."""
    return Table(
        "places",
        _("Places offered, taken and not taken per month"),
        [
            _("Month"),
            _("Care"),
            _("Offered"),
            pgettext("places", "Taken"),
            _("Not taken"),
            _("Still to come"),
            _("Fill rate (%)"),
        ],
        rows,
        count_columns=(2, 3, 4, 5),
        margins=((), (0,), (1,)),  # the period's places (headline); a month's across cares; a care's across months
        parts=((2, (3, 4, 5)),),  # offered = taken + not taken + still to come
    )


def requests_per_month(
    scope: Scope,
    period: Period,
    months: list[figures.RequestMonth] | None = None,
    now: datetime | None = None,
) -> Table:
    """Requests per month, every month up to today's shown (0 when none came); the running month says so."""
    found = {r.month: r for r in (months if months is not None else figures.requests_by_month(scope, period))}
    today = timezone.localdate(now)
    rows: list[list[object]] = []
    for month in shown_months(period, today, found, up_to_today=True):
        r = found.get(month.first)
        counts = [r.received, r.oriented, r.reoriented, r.closed] if r else [0, 0, 0, 0]
        rows.append([month.label(), *counts])
    return Table(
        "requests",
        _("Requests per month"),
        [
            _("Month"),
            pgettext("requests", "Received"),
            pgettext("requests", "Oriented"),
            pgettext("requests", "Reoriented"),
            pgettext("requests", "Closed"),
        ],
        rows,
        count_columns=(1, 2, 3, 4),
    ).with_total()  # the months sum to the period's figures (the headline)


def dimension(scope: Scope, period: Period, name: str, found: list[figures.Row] | None = None) -> Table:
    labels = _labels()[name]
    counted = found if found is not None else figures.requests_by(scope, period, name)
    rows: list[list[object]] = [[labels.get(r.key, r.key or _("Not given")), r.count] for r in counted]
    if name in SEVERAL_PER_REQUEST:  # the rows add up to nothing a reader knows: no total, no sum to protect
        return Table(name, DIMENSIONS[name](), [_("What"), _("Requests")], rows, margins=())
    # Each request is counted once: the rows sum to the period's requests (or oriented, reoriented, closed ones).
    return Table(name, DIMENSIONS[name](), [_("What"), _("Requests")], rows).with_total()


def effectors(scope: Scope, period: Period, found: list[figures.EffectorRow] | None = None, top: int = 30) -> Table:
    counted = found if found is not None else figures.slots_per_effector(scope, period)
    rows: list[list[object]] = [[e.professional, e.offered, e.taken, e.fill_rate] for e in counted[:top]]
    return Table(
        "effectors",
        _("Places offered per effector"),
        [_("Effector"), _("Offered"), pgettext("places", "Taken"), _("Fill rate (%)")],
        rows,
        count_columns=(1, 2),  # the effectors' places sum to the period's places (the headline), the top ones to less
    )


def all_tables(
    scope: Scope,
    period: Period,
    now: datetime,
    full: bool,
    slot_months: list[figures.SlotMonth] | None = None,
    request_months: list[figures.RequestMonth] | None = None,
    effector_rows: list[figures.EffectorRow] | None = None,
    found: dict[str, list[figures.Row]] | None = None,
) -> dict[str, Table]:
    tables = {
        "places": places(scope, period, now, slot_months),
        "requests": requests_per_month(scope, period, request_months, now=now),
    }
    if found is None:
        found = figures.requests_by_all(scope, period)
    for name in DIMENSIONS:
        tables[name] = dimension(scope, period, name, found[name])
    if full:
        tables["effectors"] = effectors(scope, period, effector_rows)
    return tables
