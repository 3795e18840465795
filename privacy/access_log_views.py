"""The cell administrator's screen of the access log: search by patient, user, action and period; export."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from audit.models import AccessAction
from audit.services import access_record
from common.exports import FORMATS, spreadsheet_response

from . import selectors
from .forms import LogSearchForm

EXPORT_LIMIT = 100_000


class AccessLog(CellMixin, TemplateView):
    permission = Perm.ACCESS_LOG_VIEW
    template_name = "privacy/access_log.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = LogSearchForm(request.GET or None)
        self.search = self.form.search()
        self.patients = selectors.patients_matching(self.cell, self.search.patient)
        if self.search.patient:
            # Finding who saw a patient shows which requests carry that name: itself a reading of patient data.
            access_record(
                action=AccessAction.LIST,
                object_type="access_log_search",
                requests=self.patients,
                cell=self.cell,
                detail=f"{len(self.patients)}",
            )
        fmt = request.GET.get("format", "")
        if fmt in FORMATS:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["privacy/_access_log_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = selectors.log_rows(self.cell, self.search, patients=self.patients)
        page = Paginator(rows, int(settings.AIGUILLAGE_PAGE_SIZE) * 2).get_page(self.request.GET.get("page"))
        references = selectors.references_of(list(page.object_list))
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("format", None)
        context.update(
            form=self.form,
            page_obj=page,
            rows=[(row, [references.get(pk, f"#{pk}") for pk in row.subject_ids]) for row in page.object_list],
            patients=self.patients,
            query=query.urlencode(),
            retention_months=settings.AIGUILLAGE_ACCESS_LOG_MONTHS,
        )
        return context

    def export(self, fmt: str) -> HttpResponse:
        rows = list(selectors.log_rows(self.cell, self.search, patients=self.patients)[:EXPORT_LIMIT])
        references = selectors.references_of(rows)
        table = [
            (
                timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"),
                row.actor,
                row.get_action_display(),
                row.object_label,
                row.object_id,
                " ".join(references.get(pk, f"#{pk}") for pk in row.subject_ids),
                row.ip or "",
                row.detail,
            )
            for row in rows
        ]
        access_record(
            action=AccessAction.EXPORT,
            object_type="access_log",
            cell=self.cell,
            requests=[pk for row in rows for pk in row.subject_ids][:5000],
            detail=f"{fmt} {len(rows)} rows",
        )
        return spreadsheet_response(
            fmt,
            table,
            headers=["when (Europe/Paris)", "who", "action", "object", "id", "requests", "from", "detail"],
            filename=f"aiguillage-{self.cell.slug}-journal-des-acces-{timezone.localdate():%Y%m%d}",
        )
