"""The dashboard's tables, built from the figures: a title, column headings and rows of plain values. The page, the
charts and the exports (CSV, XLSX) all read them, so every chart has its numbers and every table its export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from directory.models import Profession, ResourceKind, SiteKind
from referrals.models import CareChannel, Channel, Elsewhere, Modality, ReasonCategory
from referrals.states import CloseReason

from . import figures
from .figures import Period, Scope

SMALL = 5  # counts under this are not shown in exports meant for outside the cell


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    headings: list[str]
    rows: list[list[object]]
    count_columns: tuple[int, ...] = (1,)  # which columns hold counts of people (suppressed when small, outside)

    def suppressed(self) -> Table:
        """For outside the cell: aggregates only, any count from 1 to 4 shown as "< 5", and a rate computed from such a
        count hidden too (3 taken out of "< 5" offered at 75 % would give it away)."""
        rows = []
        for row in self.rows:
            small = any(
                index in self.count_columns and isinstance(value, int) and 0 < value < SMALL
                for index, value in enumerate(row)
            )
            rows.append(
                [
                    f"< {SMALL}"
                    if index in self.count_columns and isinstance(value, int) and 0 < value < SMALL
                    else ("—" if small and isinstance(value, float) else value)
                    for index, value in enumerate(row)
                ]
            )
        return Table(self.slug, self.title, self.headings, rows, self.count_columns)


def month_label(month: date) -> str:
    return date_format(month, "F Y")


def _labels() -> dict[str, dict[str, str]]:
    origin = {**dict(Profession.choices), **dict(SiteKind.choices), "qr": str(_("QR code (the patient)"))}
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


def places(scope: Scope, period: Period, now: datetime, months: list[figures.SlotMonth] | None = None) -> Table:
    cares = dict(CareChannel.choices)
    rows: list[list[object]] = [
        [
            month_label(r.month),
            str(cares.get(r.care_channel, r.care_channel)),
            r.offered,
            r.taken,
            r.not_taken,
            r.upcoming,
            r.fill_rate,
        ]
        for r in (months if months is not None else figures.slots_by_month(scope, period, now))
    ]
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
    )


def requests_per_month(scope: Scope, period: Period, months: list[figures.RequestMonth] | None = None) -> Table:
    rows: list[list[object]] = [
        [month_label(r.month), r.received, r.oriented, r.reoriented, r.closed]
        for r in (months if months is not None else figures.requests_by_month(scope, period))
    ]
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
    )


def dimension(scope: Scope, period: Period, name: str, found: list[figures.Row] | None = None) -> Table:
    labels = _labels()[name]
    counted = found if found is not None else figures.requests_by(scope, period, name)
    rows: list[list[object]] = [[labels.get(r.key, r.key or _("Not given")), r.count] for r in counted]
    return Table(name, DIMENSIONS[name](), [_("What"), _("Requests")], rows)


def effectors(scope: Scope, period: Period, found: list[figures.EffectorRow] | None = None, top: int = 30) -> Table:
    counted = found if found is not None else figures.slots_per_effector(scope, period)
    rows: list[list[object]] = [[e.professional, e.offered, e.taken, e.fill_rate] for e in counted[:top]]
    return Table(
        "effectors",
        _("Places offered per effector"),
        [_("Effector"), _("Offered"), pgettext("places", "Taken"), _("Fill rate (%)")],
        rows,
        count_columns=(1, 2),
    )


def all_tables(
    scope: Scope,
    period: Period,
    now: datetime,
    full: bool,
    slot_months: list[figures.SlotMonth] | None = None,
    request_months: list[figures.RequestMonth] | None = None,
    effector_rows: list[figures.EffectorRow] | None = None,
) -> dict[str, Table]:
    tables = {
        "places": places(scope, period, now, slot_months),
        "requests": requests_per_month(scope, period, request_months),
    }
    found = figures.requests_by_all(scope, period)
    for name in DIMENSIONS:
        tables[name] = dimension(scope, period, name, found[name])
    if full:
        tables["effectors"] = effectors(scope, period, effector_rows)
    return tables
