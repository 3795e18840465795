"""The monthly report, ready to hand to the ARS or the CPAM: a PDF (WeasyPrint) of the month's figures compared with
the month before, the twelve months' trend in charts, and the tables — with the origins (the SAS named as such), the
professionals taking part and the satisfaction surveys of the month, as in the yearly report (`aci`). It leaves the
cell, so it holds aggregates only and every count from 1 to 4 is shown as "< 5" (in the charts such bars are left
out)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.pdf import pdf_from_html
from surveys.services import results
from territory.models import Cell

from . import aci, breakdowns, charts, figures, tables
from .figures import Period, Scope
from .periods import month_period

SMALL = tables.SMALL


def _hidden(value: int | None) -> object:
    return f"< {SMALL}" if isinstance(value, int) and 0 < value < SMALL else value


def _drawable(value: object) -> int:
    return int(value) if isinstance(value, int) else 0  # a hidden count is not drawn


def context(cell: Cell, month: date, now: datetime) -> dict[str, Any]:
    scope = Scope(cell)
    period = month_period(month)
    before = month_period(period.first - timedelta(days=1))
    months_back = period.first.year * 12 + period.first.month - 1 - 11  # eleven months before, and this one
    year = Period(date(months_back // 12, months_back % 12 + 1, 1), period.last)
    current, previous = figures.summary(scope, period, now), figures.summary(scope, before, now)
    rows = [
        (_("Requests received"), "requests"),
        (pgettext("requests", "Oriented"), "oriented"),
        (pgettext("requests", "Reoriented"), "reoriented"),
        (pgettext("requests", "Closed"), "closed"),
        (_("ER visits avoided"), "er_avoided"),
        (_("Patients seen"), "seen"),
        (_("Sessions seen"), "sessions_seen"),
        (_("Places offered"), "offered"),
        (_("Places taken"), "taken"),
        (_("Places not taken"), "not_taken"),
        (_("No-shows"), "no_shows"),
        (_("Cancellations"), "cancellations"),
        (_("Questions to the supervisor"), "escalations"),
    ]
    headline = [(label, _hidden(getattr(current, name)), _hidden(getattr(previous, name))) for label, name in rows]
    places = tables.places(scope, year, now).suppressed()
    requests = tables.requests_per_month(scope, year).suppressed()
    months = list(dict.fromkeys(str(row[0]) for row in places.rows))

    def per_month(column: int) -> list[int]:
        return [sum(_drawable(r[column]) for r in places.rows if r[0] == m) for m in months]

    drawn = {}
    if places.rows:
        drawn["places"] = charts.bars(
            places.title,
            months,
            {pgettext("places", "Taken"): per_month(3), _("Not taken"): per_month(4)},
            stacked=True,
        )
    if requests.rows:
        drawn["requests"] = charts.line(
            requests.title,
            [str(r[0]) for r in requests.rows],
            {
                pgettext("requests", "Received"): [_drawable(r[1]) for r in requests.rows],
                pgettext("requests", "Oriented"): [_drawable(r[2]) for r in requests.rows],
            },
        )
    found = figures.requests_by_all(scope, period)
    shown = [aci.origin_table(breakdowns.by_origin(scope, period)).suppressed()]
    shown += [
        tables.dimension(scope, period, name, found[name]).suppressed()
        for name in ("care_channel", "oriented", "reoriented", "closed")
    ]
    satisfaction = results(cell, period)
    return {
        "cell": cell,
        "month_label": date_format(period.first, "F Y"),
        "before_label": date_format(before.first, "F Y"),
        "generated": timezone.localtime(now),
        "headline": headline,
        "rates": [
            (_("Fill rate"), current.fill_rate, previous.fill_rate),
            (_("Seen within 48 h"), current.seen_within_48h_rate, previous.seen_within_48h_rate),
        ],
        "places": places,
        "requests": requests,
        "charts": drawn,
        "breakdowns": shown,
        "professionals": aci.participants_table(breakdowns.participants(scope, period)).suppressed(),
        "satisfaction": aci.satisfaction_table(satisfaction).suppressed(),
        "satisfaction_sent": sum(satisfaction.sent.values()),
        "small": SMALL,
    }


def render_pdf(cell: Cell, month: date, now: datetime) -> bytes:
    return pdf_from_html(render_to_string("indicators/report.html", context(cell, month, now)))
