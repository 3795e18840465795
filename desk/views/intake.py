"""The intake: a requester's web form (with a slot, when they may book one) and the coordinator's phone intake."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.models import User
from accounts.policies import CellMixin, Perm
from agenda import selectors as agenda_selectors
from agenda import services as agenda_services
from agenda.models import books_directly
from common.views import CellFormView
from directory import selectors as directory_selectors
from referrals import services
from referrals.forms import IntakeForm, PhoneIntakeForm
from referrals.models import Channel, Request
from referrals.views import request_url


class IntakeView(CellFormView):
    """A requester's web form."""

    permission = Perm.REQUEST_SUBMIT
    form_class: type[IntakeForm] = IntakeForm
    template_name = "referrals/intake.html"
    cancel_url_name = "referrals:my_requests"
    title = _("Send a patient")
    channel = Channel.WEB

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    chosen_slot = ""  # the label of the slot chosen elsewhere (the SAS platform), shown above the form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # the form is built here, which sets chosen_slot
        context["chosen_slot"] = self.chosen_slot
        return context

    def wanted_slot(self) -> int | None:
        """The slot chosen elsewhere (`?creneau=`: the SAS platform's link to a slot), when it is a number."""
        value = self.request.GET.get("creneau", "")
        return int(value) if value.isdigit() and len(value) < 12 else None

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        if "slot" in form.fields:
            # Seed 004: the pharmacist books a GP's SNP slot, the GP an imaging slot, with the request.
            # A requester of another kind may still be named on some slots (decision 0017): the field shows then.
            choices = (
                agenda_selectors.direct_booking_choices(
                    self.cell,
                    self.membership.requester_type,
                    timezone.now(),
                    wanted=self.wanted_slot(),
                    professional_id=self.membership.professional_id,
                    site_id=self.membership.site_id,
                )
                if self.channel == Channel.WEB
                else []
            )
            if choices or (self.channel == Channel.WEB and books_directly(self.membership.requester_type)):
                form.fields["slot"].choices = [("", "—"), *choices]
                if not form.is_bound and str(self.wanted_slot()) in dict(choices):
                    form.initial["slot"] = str(self.wanted_slot())
                    self.chosen_slot = dict(choices)[str(self.wanted_slot())]
            else:
                del form.fields["slot"]
        return form

    def patient(self, form: IntakeForm) -> services.PatientData:
        data = form.cleaned_data
        return form.patient_data(
            requester_answers=data["requester_answers"],
            mt_name=data["mt_name"],
            mt_situation=data["mt_situation"],
        )

    def need(self, form: IntakeForm) -> services.NeedData:
        data = form.cleaned_data
        return services.NeedData(
            reason=data["reason"],
            reason_category=data["reason_category"],
            care_channel=data["care_channel"],
            exam_type=data["exam_type"],
            urgency=data["urgency"],
            elsewhere=data["elsewhere"],
        )

    def save(self, form: IntakeForm) -> Model:
        data = form.cleaned_data
        assert isinstance(self.request.user, User)
        return agenda_services.request_submit(
            cell=self.cell,
            channel=self.channel,
            patient=self.patient(form),
            need=self.need(form),
            submitted_by=self.request.user,
            vital_emergency=data["vital_emergency"],
            submission_key=data["submission_key"],
            requester_type=self.membership.requester_type,
            slot_id=int(data["slot"]) if data.get("slot") else None,
            requester_professional=self.membership.professional,
            requester_site=self.membership.site,
        )

    def success_url_for(self, obj: Model) -> str:
        assert isinstance(obj, Request)
        return request_url(obj)

    def success_message(self, obj: Model) -> str:
        assert isinstance(obj, Request)
        return gettext("Request %(reference)s received: the cell calls the patient back.") % {
            "reference": obj.reference
        }


class PhoneIntakeView(IntakeView):
    """A coordinator types a request received on the professionals-only number."""

    permission = Perm.REQUEST_PHONE_INTAKE
    form_class = PhoneIntakeForm
    cancel_url_name = "referrals:queue"
    title = _("Request received by phone")
    channel = Channel.PHONE

    def save(self, form: IntakeForm) -> Model:
        data = form.cleaned_data
        user = self.request.user
        assert isinstance(user, User)
        return services.request_phone_intake(
            cell=self.cell,
            user=user,
            patient=self.patient(form),
            need=self.need(form),
            requester_professional=data["requester_professional"],
            requester_site=data["requester_site"],
            new_requester=services.NewRequester(
                last_name=data["new_requester_last_name"],
                first_name=data["new_requester_first_name"],
                profession=data["new_requester_profession"],
                identifier=data["new_requester_rpps"],
                phone=data["new_requester_phone"] or "",
            ),
            vital_emergency=data["vital_emergency"],
            submission_key=data["submission_key"],
            tags=list(data.get("tags") or ()),
        )

    def success_message(self, obj: Model) -> str:
        assert isinstance(obj, Request)
        return gettext("Request %(reference)s recorded: you hold it, call the patient back.") % {
            "reference": obj.reference
        }


class RequesterSearch(CellMixin, View):
    """The cell's professionals matching what the coordinator types on the phone intake (static/js/professional.js),
    as JSON: each one's id and label ("Dr Claire MARTIN — General practitioner — Argentan"). The form still checks
    that the id chosen is one of the cell's."""

    permission = Perm.REQUEST_PHONE_INTAKE
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = directory_selectors.professional_search(self.cell, request.GET.get("q", "")[:100])
        return JsonResponse({"suggestions": [{"id": pro.pk, "label": pro.long_label()} for pro in found]})
