"""The reports page: the cell administrator asks for a report (the yearly ACI one, PDF or XLSX, or the monthly PDF),
watches it being built by the worker (the page polls its fragment with htmx), then downloads it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from accounts.policies import CellMixin, Perm
from common.periods import Period

from . import report_jobs
from .models import ReportJob, ReportKind
from .periods import month_period

YEAR_RANGE = _("Choose a year between 2000 and 2099.")
MONTH_FORMAT = _("Give the month as YYYY-MM, for example 2026-10.")
MONTH_REQUIRED = _("Choose the month of the monthly report.")
YEAR_REQUIRED = _("Choose the year of the yearly report.")


def last_complete_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


class ReportForm(forms.Form):
    """What report, and of which year (the yearly ones; the last complete year by default) or month (the monthly
    one)."""

    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices, widget=forms.RadioSelect)
    year = forms.IntegerField(
        label=_("Year (yearly reports)"),
        required=False,
        min_value=2000,
        max_value=2099,
        error_messages={"invalid": YEAR_RANGE, "min_value": YEAR_RANGE, "max_value": YEAR_RANGE},
    )
    month = forms.CharField(
        label=_("Month (monthly report)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
    )

    @staticmethod
    def initial_for(today: date) -> dict[str, Any]:
        return {"kind": ReportKind.ACI_PDF, "year": today.year - 1, "month": f"{last_complete_month(today):%Y-%m}"}

    def clean_month(self) -> date | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        try:
            month = datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(MONTH_FORMAT, code="invalid") from None
        if not 2000 <= month.year <= 2099:
            raise forms.ValidationError(MONTH_FORMAT, code="invalid")
        return month

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind == ReportKind.MONTHLY_PDF and cleaned.get("month") is None and "month" not in self.errors:
            self.add_error("month", forms.ValidationError(MONTH_REQUIRED, code="required"))
        elif kind and kind != ReportKind.MONTHLY_PDF and cleaned.get("year") is None and "year" not in self.errors:
            self.add_error("year", forms.ValidationError(YEAR_REQUIRED, code="required"))
        return cleaned

    def period(self) -> Period:
        if self.cleaned_data["kind"] == ReportKind.MONTHLY_PDF:
            return month_period(self.cleaned_data["month"])
        return report_jobs.aci_year(self.cleaned_data["year"])


class Reports(CellMixin, TemplateView):
    """The form that asks for a report, and the cell's recent reports."""

    permission = Perm.INDICATORS_FULL
    template_name = "indicators/reports.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ReportForm(initial=ReportForm.initial_for(timezone.localdate()))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ReportForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self.get_context_data(form=form), status=400)
        job = report_jobs.report_job_request(
            cell=self.cell, user=request.user, kind=form.cleaned_data["kind"], period=form.period()
        )
        return HttpResponseRedirect(reverse("indicators:report_job", kwargs={"cell": self.cell.slug, "pk": job.pk}))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(title=_("Reports"), jobs=report_jobs.report_job_list(self.cell)[: report_jobs.SHOWN_JOBS])
        return context


class ReportJobDetail(CellMixin, TemplateView):
    """One report: its progress while the worker builds it (the page polls its own fragment), then its download."""

    permission = Perm.INDICATORS_FULL
    template_name = "indicators/report_job.html"

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["indicators/_report_job_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(title=_("Report"), job=report_jobs.report_job_get(self.cell, self.kwargs["pk"]))
        return context


class ReportJobDownload(CellMixin, View):
    """The file of a ready report, as an attachment."""

    permission = Perm.INDICATORS_FULL

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job: ReportJob = report_jobs.report_job_file(self.cell, kwargs["pk"])
        response = HttpResponse(bytes(job.content), content_type=job.content_type)
        response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        return response
