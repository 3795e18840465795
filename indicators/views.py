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

from . import charts, figures, report, tables
from .forms import DashboardForm, default_data


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
        data = self.request.GET if "first" in self.request.GET else default_data(timezone.localdate())
        return DashboardForm(data, cell=self.cell, full=full)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.form()
        full = self.allows(Perm.INDICATORS_FULL)
        last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        context.update(form=form, full=full, title=_("Indicators"), report_month=f"{last_month:%Y-%m}")
        if not form.is_valid():
            return context
        now, period, scope = timezone.now(), form.period(), form.scope()
        # Each month list is read once and serves the summary, the tables and the charts.
        slot_months = figures.slots_by_month(scope, period, now)
        request_months = figures.requests_by_month(scope, period)
        effector_rows = figures.slots_per_effector(scope, period)
        comparison = figures.compare(scope, period, now, request_months, slot_months)
        shown = tables.all_tables(scope, period, now, full, slot_months, request_months, effector_rows)
        drawn = self.charts(shown)
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
    def charts(shown: dict[str, tables.Table]) -> dict[str, str]:
        drawn: dict[str, str] = {}
        places = shown["places"]
        if places.rows:
            months = list(dict.fromkeys(str(row[0]) for row in places.rows))

            def per_month(column: int) -> list[int]:
                return [sum(int(r[column]) for r in places.rows if r[0] == m) for m in months]  # type: ignore[call-overload]

            drawn["places"] = charts.bars(
                places.title,
                months,
                {
                    pgettext("places", "Taken"): per_month(3),
                    gettext("Not taken"): per_month(4),
                    gettext("Still to come"): per_month(5),
                },
                stacked=True,
            )
        requests = shown["requests"]
        if requests.rows:
            drawn["requests"] = charts.line(
                requests.title,
                [str(r[0]) for r in requests.rows],
                {
                    pgettext("requests", "Received"): [int(r[1]) for r in requests.rows],  # type: ignore[call-overload]
                    pgettext("requests", "Oriented"): [int(r[2]) for r in requests.rows],  # type: ignore[call-overload]
                },
            )
        for name in tables.DIMENSIONS:
            table = shown[name]
            if table.rows:
                drawn[name] = charts.horizontal(table.title, [(str(r[0]), int(r[1])) for r in table.rows])  # type: ignore[call-overload]
        return drawn


class Export(CellMixin):
    """One table of the dashboard as CSV or XLSX, for the same period and filters. `?outside=1`: for outside the
    cell (ARS, CPAM), counts under 5 are not shown."""

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
            table.rows,
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
