"""The dashboard and its exports: thin views over `figures` (the SQL) and `tables` (what is shown and exported)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from common.exports import FORMATS, spreadsheet_response
from surveys.services import results as survey_results

from . import charts, figures, periods, report, rollups, tables
from .forms import DashboardForm, dashboard_data, default_data


def _delay(value: timedelta | None) -> str:
    if value is None:
        return "—"
    sign = "-" if value.total_seconds() < 0 else ""
    hours, minutes = divmod(int(abs(value.total_seconds()) // 60), 60)
    return f"{sign}{hours} h {minutes:02d}" if hours else f"{sign}{minutes} min"


class Dashboard(CellMixin, TemplateView):
    """What the cell achieves over a period: headline figures compared with the period before, places per month,
    requests per month, origins, cares, reasons, outcomes, delays; per professional for the cell administrator."""

    permission = Perm.INDICATORS_VIEW
    template_name = "indicators/dashboard.html"

    def form(self) -> DashboardForm:
        full = self.allows(Perm.INDICATORS_FULL)
        today = timezone.localdate()
        return DashboardForm(dashboard_data(self.request.GET, today), cell=self.cell, full=full, today=today)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.form()
        full = self.allows(Perm.INDICATORS_FULL)
        context.update(form=form, full=full, title=_("Indicators"))
        if not form.is_valid():
            return context
        now, period, scope = timezone.now(), form.period(), form.scope()
        # The period's figures and the period before's, from stored months and live days (rollups, decision 0009):
        # each is read once and serves the summary, the tables and the charts.
        current = rollups.for_period(scope, period, now)
        comparison = figures.Comparison(
            current.summary, rollups.for_period(scope, period.previous(), now, whole=False).summary
        )
        slot_months, request_months, effector_rows = current.slot_months, current.request_months, current.effectors
        shown = tables.all_tables(
            scope, period, now, full, slot_months, request_months, effector_rows, found=current.found
        )
        today = timezone.localdate(now)
        months = {
            "places": tables.shown_months(period, today, [m.month for m in slot_months]),
            "requests": tables.shown_months(period, today, [m.month for m in request_months], up_to_today=True),
        }
        drawn = self.charts(shown, months)
        context.update(
            period=period,
            previous=period.previous(),
            future=period.first > timezone.localdate(),
            summary=comparison.now,
            before=comparison.before,
            headline=self.headline(comparison),
            delays=[
                (_("Reception → first callback"), _delay(comparison.now.first_callback_delay)),
                (_("Reception → consultation"), _delay(comparison.now.consultation_delay)),
                (_("Question → supervisor's answer"), _delay(comparison.now.supervisor_answer_delay)),
            ],
            sections=[(slug, table, drawn.get(slug)) for slug, table in shown.items()],
            professionals=figures.professionals(scope, period, effector_rows),
            satisfaction=survey_results(self.cell, period),
            empty=comparison.now.requests == 0 and comparison.now.offered == 0,
            query=urlencode({k: v for k, v in form.data.items() if v and k != "outside"}),
            partial_charts=[
                slug for slug, found in months.items() if slug in drawn and not all(m.whole for m in found)
            ],
            partial_note=charts.PARTIAL_NOTE,
        )
        return context

    @staticmethod
    def headline(comparison: figures.Comparison) -> list[dict[str, Any]]:
        now = comparison.now
        items = [
            (_("Requests"), "requests", now.requests),
            (pgettext_lazy("requests", "Oriented"), "oriented", now.oriented),
            (pgettext_lazy("requests", "Reoriented"), "reoriented", now.reoriented),
            (_("ER visits avoided"), "er_avoided", now.er_avoided),
            (_("Patients seen"), "seen", now.seen),
            (_("Sessions seen"), "sessions_seen", now.sessions_seen),
            (_("Places offered"), "offered", now.offered),
            (_("Places taken"), "taken", now.taken),
            (_("Places not taken"), "not_taken", now.not_taken),
            (_("No-shows"), "no_shows", now.no_shows),
            (_("Cancellations"), "cancellations", now.cancellations),
            (_("of which late (< 24 h)"), "late_cancellations", now.late_cancellations),
            (_("Questions to the supervisor"), "escalations", now.escalations),
        ]
        return [{"label": label, "value": value, "delta": comparison.delta(name)} for label, name, value in items]

    @staticmethod
    def charts(shown: dict[str, tables.Table], months: dict[str, list[periods.Month]]) -> dict[str, str]:
        """The per-month charts have every month of their table, on a short label, the months that are not whole
        marked (`charts.bars` / `charts.line`)."""
        drawn: dict[str, str] = {}
        places = shown["places"]
        if places.rows:
            shown_months = months["places"]

            labels = [m.label() for m in shown_months]

            def per_month(column: int) -> list[int]:
                sums = dict.fromkeys(labels, 0)
                for r in places.rows:
                    if r[0] in sums:
                        sums[r[0]] += int(r[column])  # type: ignore[call-overload, index]
                return list(sums.values())

            drawn["places"] = charts.bars(
                places.title,
                [m.short_label() for m in shown_months],
                {
                    pgettext("places", "Taken"): per_month(3),
                    gettext("Not taken"): per_month(4),
                    gettext("Still to come"): per_month(5),
                },
                stacked=True,
                partial=[i for i, m in enumerate(shown_months) if not m.whole],
                note=charts.partial_note([m.label() for m in shown_months if not m.whole]),
            )
        requests = shown["requests"]
        if requests.rows:
            request_months = months["requests"]
            drawn["requests"] = charts.line(
                requests.title,
                [m.short_label() for m in request_months],
                {
                    pgettext("requests", "Received"): [int(r[1]) for r in requests.rows],  # type: ignore[call-overload]
                    pgettext("requests", "Oriented"): [int(r[2]) for r in requests.rows],  # type: ignore[call-overload]
                },
                partial=[i for i, m in enumerate(request_months) if not m.whole],
                note=charts.partial_note([m.label() for m in request_months if not m.whole]),
            )
        for name in tables.DIMENSIONS:
            table = shown[name]
            if table.rows:
                drawn[name] = charts.horizontal(table.title, [(str(r[0]), int(r[1])) for r in table.rows])  # type: ignore[call-overload]
        return drawn


class Export(CellMixin):
    """One table of the dashboard, its total row included, as CSV for French spreadsheets (`;`, decimal comma, BOM) or
    XLSX with typed cells, for the same period and filters. `?outside=1`: for outside the cell (ARS, CPAM), counts
    from 1 to 4 shown as "< 5" and, by the secondary suppression, as many others hidden as it takes for none of them to
    be worked out from the totals (indicators/suppression.py)."""

    permission = Perm.INDICATORS_FULL

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt, slug = kwargs["fmt"], kwargs["table"]
        if fmt not in FORMATS:
            raise Http404
        data = request.GET if "first" in request.GET else default_data(timezone.localdate())
        form = DashboardForm(data, cell=self.cell, full=True)
        if not form.is_valid():
            return HttpResponse(
                "\n".join(f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        period, scope = form.period(), form.scope()
        table = self.table(slug, scope, period)
        if request.GET.get("outside") == "1":
            if slug == "effectors":  # names of professionals do not leave the cell
                raise Http404
            table = table.suppressed()
        return spreadsheet_response(
            fmt,
            table.lines(),
            headers=[str(h) for h in table.headings],
            filename=f"aiguillage-{self.cell.slug}-{slug}-{period.first:%Y%m%d}-{period.last:%Y%m%d}",
            title=str(table.title),
        )

    @staticmethod
    def table(slug: str, scope: figures.Scope, period: figures.Period) -> tables.Table:
        now = timezone.now()
        if slug == "places":
            return tables.places(scope, period, now)
        if slug == "requests":
            return tables.requests_per_month(scope, period)
        if slug == "effectors":
            return tables.effectors(scope, period)
        if slug in tables.DIMENSIONS:
            return tables.dimension(scope, period, slug)
        raise Http404


MONTH_FORMAT = _("Give the month as YYYY-MM, for example 2026-10.")


class Report(CellMixin):
    """The monthly PDF report (`?mois=YYYY-MM`, the last complete month by default), for outside the cell."""

    permission = Perm.INDICATORS_FULL

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localdate()
        wanted = request.GET.get("mois", "")
        if wanted:
            try:
                month = datetime.strptime(wanted, "%Y-%m").date()
                if not 2000 <= month.year <= 2099:
                    raise ValueError(wanted)
            except ValueError:
                return HttpResponse(f"mois: {MONTH_FORMAT}", status=400, content_type="text/plain; charset=utf-8")
        else:
            month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        pdf = report.render_pdf(self.cell, month, timezone.now())
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="aiguillage-{self.cell.slug}-rapport-{month:%Y-%m}.pdf"'
        return response
