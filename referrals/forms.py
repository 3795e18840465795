from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from common.forms import french_phone
from directory.models import Profession, Professional, ReorientationResource, ResourceKind, Site
from territory.forms import CommuneField
from territory.models import Cell

from .models import (
    CallbackOutcome,
    CareChannel,
    Elsewhere,
    ExamType,
    MTSituation,
    ReasonCategory,
    Sex,
    SupervisorDecision,
    Urgency,
)
from .states import CloseReason


class IntakeForm(forms.Form):
    """One screen, in the order a professional gives the information on the phone (seed 000)."""

    vital_emergency = forms.BooleanField(
        label=_("Signs of a vital emergency"),
        required=False,
        help_text=_(
            "Chest pain, breathing distress, loss of consciousness, heavy bleeding, signs of stroke…: call the 15."
        ),
    )
    patient_last_name = forms.CharField(label=_("Patient's last name"), max_length=100)
    patient_first_name = forms.CharField(label=_("Patient's first name"), max_length=100)
    patient_birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    patient_sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    patient_commune = CommuneField(label=_("Commune where the patient is"))
    patient_street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    patient_phone = french_phone(_("Patient's phone"))
    requester_answers = forms.BooleanField(label=_("I answer for the patient (no call to the patient)"), required=False)
    mt_situation = forms.ChoiceField(label=_("Médecin traitant"), choices=MTSituation.choices)
    mt_name = forms.CharField(
        label=_("Name of the médecin traitant"),
        max_length=150,
        required=False,
        help_text=_("Leave empty when the patient has none."),
    )
    reason = forms.CharField(label=_("Reason for the request"), widget=forms.Textarea(attrs={"rows": 3}))
    reason_category = forms.ChoiceField(label=_("Kind of reason"), choices=ReasonCategory.choices)
    care_channel = forms.ChoiceField(label=_("Care wanted"), choices=CareChannel.choices)
    exam_type = forms.ChoiceField(
        label=_("Imaging exam"),
        choices=[("", "—"), *ExamType.choices],
        required=False,
        help_text=_("Only for imaging."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency, as you see it"), choices=Urgency.choices, widget=forms.RadioSelect, initial=Urgency.WITHIN_48H
    )
    elsewhere = forms.ChoiceField(
        label=_("Without the cell, the patient would have gone to"), choices=Elsewhere.choices
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        commune = self.fields["patient_commune"]
        assert isinstance(commune, CommuneField)
        commune.set_cell(cell, all_of_france=True)
        self.mt_suggestions = list(
            Professional.objects.filter(cell=cell, profession=Profession.GP, is_active=True)
            .order_by("search_name")
            .values_list("first_name", "last_name")
        )
        self.fields["mt_name"].widget.attrs.update(list="mt-suggestions", autocomplete="off")
        self.fields["patient_last_name"].widget.attrs.update(autocomplete="off", autofocus=True)
        self.fields["patient_first_name"].widget.attrs.update(autocomplete="off")


class PhoneIntakeForm(IntakeForm):
    """A coordinator types a request received on the professionals-only number: they name the requester."""

    requester_professional = forms.ModelChoiceField(
        label=_("Requesting professional"), queryset=Professional.objects.none(), required=False
    )
    requester_site = forms.ModelChoiceField(
        label=_("Requesting structure"), queryset=Site.objects.none(), required=False
    )
    field_order = ["requester_professional", "requester_site", "vital_emergency"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, cell=cell, **kwargs)
        professional = self.fields["requester_professional"]
        site = self.fields["requester_site"]
        assert isinstance(professional, forms.ModelChoiceField) and isinstance(site, forms.ModelChoiceField)
        professional.queryset = Professional.objects.filter(cell=cell, is_active=True).order_by("search_name")
        site.queryset = Site.objects.filter(cell=cell, is_active=True).select_related("commune").order_by("name")


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallbackOutcome.choices, widget=forms.RadioSelect)
    next_try_at = forms.DateTimeField(
        label=_("Next try"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=CloseReason.choices)
    note = forms.CharField(label=_("Note for the requester"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReorientForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of resource"), choices=[("", _("All kinds")), *ResourceKind.choices], required=False
    )
    resource = forms.ModelChoiceField(label=_("Resource"), queryset=ReorientationResource.objects.none())
    note = forms.CharField(label=_("Note for the requester"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, resources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        resource = self.fields["resource"]
        assert isinstance(resource, forms.ModelChoiceField)
        resource.queryset = resources


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))
    visible_to_requester = forms.BooleanField(label=_("The requester may read it"), required=False)


class QuestionForm(forms.Form):
    question = forms.CharField(label=_("Question for the supervising doctor"), widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=SupervisorDecision.choices)
    answer = forms.CharField(
        label=_("Note for the coordinator"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ShiftForm(forms.Form):
    supervisor = forms.ModelChoiceField(label=_("Supervising doctor"), queryset=User.objects.none())
    starts_at = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("To"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        supervisor = self.fields["supervisor"]
        assert isinstance(supervisor, forms.ModelChoiceField)
        supervisor.queryset = User.objects.filter(
            memberships__cell=cell, memberships__role=Role.SUPERVISOR, memberships__is_active=True
        ).order_by("last_name")
