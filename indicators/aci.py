"""The yearly ACI report (issue 22): what the *dialogue de gestion* asks of a cell's SNP mission, for a calendar year
or any period — requests handled, seen within 48 h, delays, outcomes, ER visits avoided, places per month and care,
the professionals taking part, satisfaction, the breakdowns (MT situation, origin with the SAS, age, commune, QPV),
distinct patients — and a page of method. PDF (WeasyPrint) and XLSX (one typed sheet per table).

It leaves the cell: every table goes through `Table.suppressed()` (counts from 1 to 4 written "< 5", and whatever
would let a hidden count be recomputed), and a rate or a mean delay computed over 1 to 4 cases is not shown.
A handful of aggregations whatever the year's activity (`figures`, `breakdowns`, `surveys.services.results`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.exports import Month, Sheet, xlsx_workbook
from common.pdf import pdf_from_html
from directory.models import Profession
from referrals.models import CareChannel, MTSituation
from surveys.models import Audience
from surveys.services import Results, results
from territory.models import Cell

from . import breakdowns, figures, origins
from .figures import Period, Scope
from .periods import month_starts
from .tables import SMALL, Table, dimension, places_table
from .tables import _labels as dimension_labels

Progress = Callable[[int], None]


def aci_year(year: int) -> Period:
    """The calendar year, as the ACI counts it (1 January to 31 December, Paris days)."""
    return Period(date(year, 1, 1), date(year, 12, 31))


def _month(first: date) -> Month:
    return Month(first, date_format(first, "F Y"))


def _hours(delay: timedelta | None) -> float | None:
    return round(delay.total_seconds() / 3600, 1) if delay is not None else None


def _hidden(count: int) -> object:
    return f"< {SMALL}" if 0 < count < SMALL else count


def _shown(value: float | None, over: int) -> float | None:
    """A rate or a mean over `over` cases: not shown when 1 to 4 cases would be recognisable."""
    return None if 0 < over < SMALL else value


@dataclass(frozen=True)
class Computed:
    summary: figures.Summary
    distinct_patients: int
    communes: list[breakdowns.CommuneRow]
    qpv: breakdowns.QpvSplit
    participants: list[breakdowns.ProfessionRow]
    satisfaction: Results
    tables: dict[str, Table]  # raw (not suppressed), by slug


def _compute(cell: Cell, period: Period, now: datetime, progress: Progress | None = None) -> Computed:
    tick = progress or (lambda _percent: None)
    scope = Scope(cell)
    request_months = figures.requests_by_month(scope, period)
    slot_months = figures.slots_by_month(scope, period, now)
    summary = figures.summary(scope, period, now, request_months, slot_months)
    patients = breakdowns.distinct_patients(scope, period)
    tick(25)
    found = figures.requests_by_all(scope, period)
    mt = breakdowns.by_mt_situation(scope, period)
    origin = breakdowns.by_origin(scope, period)
    ages = breakdowns.by_age_band(scope, period)
    communes = breakdowns.by_commune(scope, period)
    qpv = breakdowns.qpv_split(scope, communes)
    tick(55)
    participants = breakdowns.participants(scope, period)
    satisfaction = results(cell, period)
    tick(75)

    built: dict[str, Table] = {}

    def add(table: Table) -> None:
        built[table.slug] = table

    add(_headline(summary, patients))
    add(_outcomes(summary))
    add(_delays(summary))
    add(_places(period, slot_months))
    add(_requests(period, request_months))
    for name in ("oriented", "reoriented", "closed", "elsewhere"):
        add(dimension(scope, period, name, found[name]))
    add(
        _coded(
            "mt_situation", _("Requests by situation of the patient"), mt, {k: str(v) for k, v in MTSituation.choices}
        )
    )
    add(origin_table(origin))
    age_labels = {code: str(label) for code, _low, _high, label in breakdowns.AGE_BANDS}
    add(_coded("age", _("Requests by age of the patient at reception"), ages, age_labels, breakdowns.AGE_UNKNOWN_LABEL))
    add(_communes(communes))
    add(_qpv(qpv))
    add(participants_table(participants))
    add(satisfaction_table(satisfaction))
    tick(90)
    return Computed(summary, patients, communes, qpv, participants, satisfaction, built)


def _headline(s: figures.Summary, patients: int) -> Table:
    """Figures none of which is the sum of others here: the outcomes (which add up to the requests) and the places
    (offered = taken + not taken + still to come) have their own tables, so that the suppression sees their sums."""
    rows: list[list[object]] = [
        [_("Requests received"), s.requests],
        [_("Distinct patients"), patients],
        [_("ER visits avoided"), s.er_avoided],
        [_("Patients seen"), s.seen],
        [_("Patients seen within 48 h"), s.seen_within_48h],
        [_("Sessions seen"), s.sessions_seen],
        [_("No-shows"), s.no_shows],
        [_("Cancellations"), s.cancellations],
        [_("Callbacks to patients"), s.callbacks],
        [_("Questions to the supervisor"), s.escalations],
    ]
    return Table("headline", _("The period in figures"), [_("Figure"), _("Number")], rows, margins=())


def _outcomes(s: figures.Summary) -> Table:
    """What became of the requests: the four rows add up to the requests received."""
    rows: list[list[object]] = [
        [pgettext("requests", "Oriented"), s.oriented],
        [pgettext("requests", "Reoriented"), s.reoriented],
        [pgettext("requests", "Closed"), s.closed],
        [_("Still being handled"), s.still_open],
    ]
    return Table("outcomes", _("What became of the requests"), [_("Outcome"), _("Requests")], rows)


def _delays(s: figures.Summary) -> Table:
    rows: list[list[object]] = [
        [_("Seen within 48 h (% of patients seen)"), _shown(s.seen_within_48h_rate, s.seen)],
        [_("Fill rate of the places (%)"), _shown(s.fill_rate, s.taken + s.not_taken)],
        [_("Mean delay to the first callback (hours)"), _shown(_hours(s.first_callback_delay), s.requests)],
        [_("Mean delay to the consultation (hours)"), _shown(_hours(s.consultation_delay), s.seen)],
        [_("Mean delay of the supervisor's answer (hours)"), _shown(_hours(s.supervisor_answer_delay), s.escalations)],
        [_("Callbacks per request"), _shown(s.callbacks_per_request, s.requests)],
    ]
    return Table("delays", _("Rates and delays"), [_("Figure"), _("Value")], rows, count_columns=())


def _places(period: Period, months: list[figures.SlotMonth]) -> Table:
    cares = dict(CareChannel.choices)
    by_month: dict[date, list[figures.SlotMonth]] = {}
    for r in months:
        by_month.setdefault(r.month, []).append(r)
    rows: list[list[object]] = []
    for first in month_starts(period):
        for r in by_month.get(first, []):
            care = str(cares.get(r.care_channel, r.care_channel))
            rows.append([_month(first), care, r.offered, r.taken, r.not_taken, r.upcoming, r.fill_rate])
    return places_table(rows)


def _requests(period: Period, months: list[figures.RequestMonth]) -> Table:
    found = {r.month: r for r in months}
    rows: list[list[object]] = []
    for first in month_starts(period):
        r = found.get(first)
        counts = [r.received, r.oriented, r.reoriented, r.closed, r.er_avoided] if r else [0, 0, 0, 0, 0]
        rows.append([_month(first), *counts])
    return Table(
        "requests",
        _("Requests per month"),
        [
            _("Month"),
            pgettext("requests", "Received"),
            pgettext("requests", "Oriented"),
            pgettext("requests", "Reoriented"),
            pgettext("requests", "Closed"),
            _("ER visits avoided"),
        ],
        rows,
        count_columns=(1, 2, 3, 4, 5),
    )


def _coded(slug: str, title: str, rows: list[figures.Row], labels: dict[str, str], unknown: Any = None) -> Table:
    shown: list[list[object]] = [
        [labels.get(r.key, r.key) if r.key else str(unknown or _("Not given")), r.count] for r in rows
    ]
    return Table(slug, title, [_("What"), _("Requests")], shown)


def origin_table(rows: list[figures.Row]) -> Table:
    """Requests by origin, the SAS named as such."""
    labels = {**dimension_labels()["origin"], origins.SAS: str(origins.SAS_LABEL)}
    return _coded("origin", _("Requests by origin"), rows, labels)


def _communes(rows: list[breakdowns.CommuneRow]) -> Table:
    shown: list[list[object]] = [
        [r.name, r.insee_code, _("yes") if r.has_qpv else (_("no") if r.covered else _("unknown")), r.count]
        for r in rows
    ]
    return Table(
        "communes",
        _("Requests by commune of the patient"),
        [_("Commune"), _("INSEE code"), _("Commune with a QPV"), _("Requests")],
        shown,
        count_columns=(3,),
    )


def _qpv(split: breakdowns.QpvSplit) -> Table:
    rows: list[list[object]] = [
        [_("Patients living in a commune with a QPV"), split.in_qpv_commune],
        [_("Patients living in a commune without a QPV"), split.elsewhere],
    ]
    if split.not_covered:
        rows.append([_("Commune outside the QPV list shipped (unknown)"), split.not_covered])
    return Table("qpv", _("Requests and priority neighbourhoods (QPV)"), [_("What"), _("Requests")], rows)


def participants_table(rows: list[breakdowns.ProfessionRow]) -> Table:
    professions = dict(Profession.choices)
    shown: list[list[object]] = [
        [str(professions.get(r.profession, r.profession)), r.count, r.cpts_adherents] for r in rows
    ]
    return Table(
        "professionals",
        _("Professionals taking part, by profession"),
        [_("Profession"), _("Professionals"), _("Of whom CPTS adherents")],
        shown,
        count_columns=(1, 2),
    )


def satisfaction_table(found: Results) -> Table:
    """Each audience surveyed in the period (requesters, effectors, patients: whatever `results` gives): surveys
    sent and answered, then each question's answers and average mark."""
    audiences = dict(Audience.choices)
    rows: list[list[object]] = []
    for audience in audiences:
        sent, answered = found.sent.get(audience, 0), found.answered.get(audience, 0)
        if not sent:
            continue
        who, sent_label, answered_label = str(audiences[audience]), _("Surveys sent"), _("Surveys answered")
        rows.append([f"{who} — {sent_label}", sent, None])
        rows.append([f"{who} — {answered_label}", answered, None])
        for q in found.questions:
            if q.audience == audience:
                rows.append([f"{who} — {q.label}", q.answers, q.average])
    return Table(
        "satisfaction",
        _("Satisfaction (marks from 1 to 5)"),
        [_("Question"), _("Answers"), _("Average mark")],
        rows,
        margins=(),  # sent, answered and each question's answers: none is the sum of others
    )


def tables_of(computed: Computed) -> list[Table]:
    return [table.suppressed() for table in computed.tables.values()]


def tables(cell: Cell, period: Period, now: datetime) -> list[Table]:
    """Every table of the report, suppressed for outside the cell."""
    return tables_of(_compute(cell, period, now))


def context(cell: Cell, period: Period, now: datetime, progress: Progress | None = None) -> dict[str, Any]:
    computed = _compute(cell, period, now, progress)
    shown = {table.slug: table for table in tables_of(computed)}
    headline = dict((str(label), value) for label, value in shown["headline"].rows)
    s = computed.summary
    whole_year = period.first.month == 1 and period.first.day == 1 and period.last == date(period.first.year, 12, 31)
    return {
        "cell": cell,
        "period": period,
        "period_label": (
            str(period.first.year)
            if whole_year
            else f"{date_format(period.first, 'd/m/Y')} – {date_format(period.last, 'd/m/Y')}"
        ),
        "generated": timezone.localtime(now),
        "empty": s.requests == 0,
        "no_places": s.offered == 0,
        "key_figures": [
            (_("Requests received"), headline[_("Requests received")]),
            (_("Distinct patients"), headline[_("Distinct patients")]),
            (_("Seen within 48 h"), shown["delays"].rows[0][1]),
            (_("ER visits avoided"), headline[_("ER visits avoided")]),
            (_("Places offered"), _hidden(s.offered)),
            (_("Places taken"), _hidden(s.taken)),
        ],
        "tables": shown,
        "outcomes": [shown[name] for name in ("outcomes", "oriented", "reoriented", "closed", "elsewhere")],
        "breakdowns": [shown[name] for name in ("mt_situation", "origin", "age", "communes")],
        "cell_qpvs": computed.qpv.cell_qpvs,
        "qpv_covered": computed.qpv.territory_covered,
        "satisfaction_sent": sum(computed.satisfaction.sent.values()),
        "age_bands": [str(label) for *_rest, label in breakdowns.AGE_BANDS],
        "small": SMALL,
        "summary": s,  # raw: for the tests, never printed as such
        "distinct_patients": computed.distinct_patients,
    }


def render_pdf(cell: Cell, period: Period, now: datetime, progress: Progress | None = None) -> bytes:
    html = render_to_string("indicators/aci_report.html", context(cell, period, now, progress))
    if progress is not None:
        progress(95)
    pdf = pdf_from_html(html)
    if progress is not None:
        progress(100)
    return pdf


def render_xlsx(cell: Cell, period: Period, now: datetime) -> bytes:
    """One sheet per table, typed cells (counts as numbers, months as dates), suppressed as the PDF."""
    return xlsx_workbook([Sheet(t.title, [str(h) for h in t.headings], t.rows) for t in tables(cell, period, now)])
