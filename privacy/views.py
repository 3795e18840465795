"""The cell administrator's screens for a patient's rights: find the patient, export what is held (JSON, PDF),
correct their identity, erase their data where the care is over."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from audit.models import AccessAction
from audit.recording import record_list
from audit.services import access_record
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from common.pdf import pdf_from_html
from common.views import CellSettingsEdit
from referrals.models import Request

from . import retention
from .forms import DataPolicyForm, PatientSearchForm, RectifyForm
from .patient_rights import patient_record, same_patient
from .selectors import patients_matching
from .services import patient_rectify


class PatientSearch(CellMixin, TemplateView):
    permission = Perm.PATIENT_RIGHTS
    template_name = "privacy/patient_search.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = PatientSearchForm(self.request.GET or None)
        found = patients_matching(self.cell, form.cleaned_data["q"]) if form.is_valid() else []
        record_list(self.request, cell=self.cell, what="patient_rights_search", requests=found)
        context.update(form=form, found=found)
        return context


class PatientMixin(CellMixin):
    permission = Perm.PATIENT_RIGHTS

    def patient_requests(self) -> list[Request]:
        request = get_object_or_404(Request, cell=self.cell, pk=self.kwargs["pk"])
        return same_patient(request)


class PatientRights(PatientMixin, TemplateView):
    template_name = "privacy/patient_rights.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        requests = self.patient_requests()
        record_list(self.request, cell=self.cell, what="patient_rights", requests=requests)
        form = kwargs.get("form") or RectifyForm(initial=RectifyForm.initial_from(requests[-1]), cell=self.cell)
        describe_fields(form)
        now = timezone.now()
        erasable = []
        for each in requests:
            try:
                retention.erasable(each, now=now)
                erasable.append((each, ""))
            except DomainError as error:
                erasable.append((each, str(error.message)))
        context.update(requests=requests, latest=requests[-1], form=form, erasable=erasable)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Correction of the identity, on every request of the patient still holding it."""
        requests = self.patient_requests()
        form = RectifyForm(request.POST, cell=self.cell)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            patient_rectify(requests=requests, user=request.user, patient=form.patient_data())  # type: ignore[arg-type]
        except DomainError as error:
            add_to_form(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, gettext("The patient's details are corrected."))
        return HttpResponseRedirect(
            reverse("privacy:patient_rights", kwargs={"cell": self.cell.slug, "pk": kwargs["pk"]})
        )


class PatientExport(PatientMixin, View):
    """Everything held about the patient, as JSON (machine-readable, art. 20) or PDF (to hand over)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = kwargs["fmt"]
        if fmt not in ("json", "pdf"):
            raise Http404
        requests = self.patient_requests()
        record = patient_record(requests)
        access_record(
            action=AccessAction.EXPORT,
            object_type="patient_record",
            object_id=requests[-1].reference,
            requests=requests,
            cell=self.cell,
            detail=fmt,
        )
        name = f"aiguillage-{self.cell.slug}-{requests[-1].reference}-donnees.{fmt}"
        if fmt == "json":
            content = json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
            response = HttpResponse(content, content_type="application/json; charset=utf-8")
        else:
            html = render_to_string("privacy/patient_record.html", {"record": record}, request=request)
            response = HttpResponse(pdf_from_html(html), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class PatientErase(PatientMixin, View):
    """Erasure of one request's personal data, asked for by the patient, once the care it was for is over."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target = get_object_or_404(Request, cell=self.cell, pk=request.POST.get("request"))
        if target.pk not in {each.pk for each in self.patient_requests()}:
            raise Http404
        try:
            retention.request_anonymise(request=target)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, gettext("The request's personal data was erased."))
        return HttpResponseRedirect(
            reverse("privacy:patient_rights", kwargs={"cell": self.cell.slug, "pk": kwargs["pk"]})
        )


class DataPolicyEdit(CellSettingsEdit):
    """How long the cell keeps its patients' personal data after their request ends."""

    form_class = DataPolicyForm
    title = _("Data retention")

    def get_object(self) -> Model:
        return retention.policy_for(self.cell)
