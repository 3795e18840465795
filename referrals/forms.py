from __future__ import annotations

import time
import uuid
from typing import Any

from django import forms
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Role, User
from common.forms import french_phone
from directory.models import Profession, Professional, ReorientationResource, ResourceKind, Site
from territory.forms import CommuneField, suggest_addresses
from territory.models import Cell, Commune

from . import selectors
from .models import (
    CallbackOutcome,
    CareChannel,
    Elsewhere,
    ExamType,
    Modality,
    MTSituation,
    Partner,
    ProtocolQuestion,
    ProtocolRule,
    QuestionKind,
    ReasonCategory,
    ReferralSettings,
    Request,
    Sex,
    SupervisorDecision,
    Tag,
    TagColour,
    Urgency,
)
from .services import PatientData
from .states import CloseReason, ReorientationReason

CHOOSE = ("", _("— choose —"))


class PatientIdentityForm(forms.Form):
    """Who the patient is and how to reach them: taken at intake, corrected at the patient's request."""

    patient_last_name = forms.CharField(label=_("Patient's last name"), max_length=100)
    patient_first_name = forms.CharField(label=_("Patient's first name"), max_length=100)
    patient_birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    patient_sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    patient_commune = CommuneField(label=_("Commune where the patient is"))
    patient_street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    patient_phone = french_phone(_("Patient's phone"))

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        commune = self.fields["patient_commune"]
        assert isinstance(commune, CommuneField)
        commune.set_cell(cell, all_of_france=True)
        # The point is not taken from the browser: the worker geocodes the address once saved (referrals.tasks).
        suggest_addresses(self, "patient_street", cell=cell, commune_field="patient_commune")

    def patient_data(self, **more: Any) -> PatientData:
        data = self.cleaned_data
        return PatientData(
            last_name=data["patient_last_name"],
            first_name=data["patient_first_name"],
            commune=data["patient_commune"],
            birth_date=data["patient_birth_date"],
            sex=data["patient_sex"],
            street=data["patient_street"],
            phone=data["patient_phone"] or "",
            **more,
        )

    @staticmethod
    def initial_from(request: Request) -> dict[str, Any]:
        return {field: getattr(request, field) for field in PatientIdentityForm.base_fields}


class IntakeForm(PatientIdentityForm):
    """One screen, in the order a professional gives the information on the phone (seed 000)."""

    field_order = ["vital_emergency"]  # first; then the patient's identity, then the rest as declared

    vital_emergency = forms.BooleanField(
        label=_("Signs of a vital emergency"),
        required=False,
        help_text=_(
            "Chest pain, breathing distress, loss of consciousness, heavy bleeding, signs of stroke…: call the 15."
        ),
    )
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
    # No default here nor on the reasons below: a preselected answer would be counted as given (ER visits avoided).
    elsewhere = forms.ChoiceField(
        label=_("Without the cell, the patient would have gone to"), choices=[CHOOSE, *Elsewhere.choices]
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    slot = forms.ChoiceField(
        label=_("Book a slot now (optional)"),
        required=False,
        help_text=_("Slots the professionals opened to your profession; the cell still calls the patient."),
    )

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_key", uuid.uuid4().hex)
        super().__init__(*args, cell=cell, **kwargs)
        self.mt_suggestions = list(
            Professional.objects.filter(cell=cell, profession=Profession.GP, is_active=True)
            .order_by("search_name")
            .values_list("first_name", "last_name")
        )
        self.fields["mt_name"].widget.attrs.update(list="mt-suggestions", autocomplete="off")
        self.fields["patient_last_name"].widget.attrs.update(autocomplete="off", autofocus=True)
        self.fields["patient_first_name"].widget.attrs.update(autocomplete="off")


class ProfessionalCombobox(forms.Select):
    """A select of the cell's professionals that static/js/professional.js turns into a search field (an ARIA 1.2
    combobox: typed words find the name, the profession or the commune, on our server); without the script, the
    plain select stays, its options labelled the same way."""

    template_name = "referrals/widgets/professional_combobox.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.search_url = ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = self.search_url
        return context


class ProfessionalChoiceField(forms.ModelChoiceField):
    """The cell's professionals only (any other id is refused as not one of the choices), named with their profession
    and commune."""

    widget = ProfessionalCombobox

    def label_from_instance(self, obj: Any) -> str:
        assert isinstance(obj, Professional)
        return obj.long_label()


class TagCheckboxes(forms.CheckboxSelectMultiple):
    """The cell's tags as checkboxes, each labelled by its chip (its name, on its colour)."""

    option_template_name = "referrals/widgets/tag_option.html"


class TagsField(forms.MultipleChoiceField):
    """Some of the tags offered (read once by the view: `offer`); an id that is not among them, another cell's or
    an archived one, is refused as not one of the choices. Each choice's label is the tag itself, so that its
    checkbox shows its chip (referrals/widgets/tag_option.html)."""

    widget = TagCheckboxes

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("The cell's tags"))
        super().__init__(choices=(), required=False, **kwargs)
        self.tags: dict[str, Tag] = {}

    def offer(self, tags: list[Tag]) -> None:
        self.tags = {str(tag.pk): tag for tag in tags}
        self.choices = [(str(tag.pk), tag) for tag in tags]

    def clean(self, value: Any) -> list[Tag]:
        chosen = super().clean(value)
        return [self.tags[pk] for pk in chosen]


class PhoneIntakeForm(IntakeForm):
    """A coordinator types a request received on the professionals-only number: they name the requester."""

    requester_professional = ProfessionalChoiceField(
        label=_("Requesting professional"),
        queryset=Professional.objects.none(),
        required=False,
    )
    requester_site = forms.ModelChoiceField(
        label=_("Requesting structure"), queryset=Site.objects.none(), required=False
    )
    # A requester missing from the directory is added on the fly, with the request.
    new_requester_last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    new_requester_first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    new_requester_profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices, required=False)
    new_requester_rpps = forms.CharField(label=_("RPPS or ADELI"), max_length=20, required=False)
    new_requester_phone = french_phone(_("Phone"))
    # The cell's own vocabulary (seed 002): on the coordinator's intake, not on the requester's form.
    tags = TagsField()
    field_order = ["requester_professional", "requester_site", "vital_emergency"]

    NEW_REQUESTER_FIELDS = (
        "new_requester_last_name",
        "new_requester_first_name",
        "new_requester_profession",
        "new_requester_rpps",
        "new_requester_phone",
    )

    def new_requester_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.NEW_REQUESTER_FIELDS]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, cell=cell, **kwargs)
        professional = self.fields["requester_professional"]
        site = self.fields["requester_site"]
        assert isinstance(professional, forms.ModelChoiceField) and isinstance(site, forms.ModelChoiceField)
        professional.queryset = (
            Professional.objects.filter(cell=cell, is_active=True)
            .prefetch_related("sites__commune")
            .order_by("search_name")
        )
        assert isinstance(professional.widget, ProfessionalCombobox)
        professional.widget.search_url = reverse("referrals:requester_search", kwargs={"cell": cell.slug})
        site.queryset = Site.objects.filter(cell=cell, is_active=True).select_related("commune").order_by("name")
        tags = self.fields["tags"]
        assert isinstance(tags, TagsField)
        tags.offer(selectors.tags_offered(cell))


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallbackOutcome.choices, widget=forms.RadioSelect)
    next_try_at = forms.DateTimeField(
        label=_("Next try"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, ready: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ready:  # the coordinator holds the request: arrows choose the outcome, Enter records the call
            self.fields["outcome"].widget.attrs["autofocus"] = True


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[CHOOSE, *CloseReason.choices])
    note = forms.CharField(label=_("Note for the requester"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReorientForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of resource"), choices=[("", _("All kinds")), *ResourceKind.choices], required=False
    )
    resource = forms.ModelChoiceField(label=_("Resource"), queryset=ReorientationResource.objects.none())
    reason = forms.ChoiceField(label=_("Why"), choices=[CHOOSE, *ReorientationReason.choices])
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


class PublicForm(forms.Form):
    """The patient's short form behind a partner's QR code. Public: a honeypot field and a signed start time keep
    robots out; nothing typed is ever shown back after sending."""

    MIN_SECONDS, MAX_SECONDS = 3, 2 * 3600
    SALT = "aiguillage.qr-form"

    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    birth_date = forms.DateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    phone = french_phone(_("Phone number where the cell can call you"), required=True)
    commune = forms.ModelChoiceField(label=_("Commune where you are"), queryset=Commune.objects.none())
    mt_situation = forms.ChoiceField(label=_("Your médecin traitant"), choices=MTSituation.choices)
    need = forms.ChoiceField(
        label=_("You need"),
        choices=[
            (CareChannel.GP, pgettext_lazy("you need", "A doctor's consultation")),
            (CareChannel.NURSING, pgettext_lazy("you need", "Nursing care")),
            (CareChannel.PHYSIOTHERAPY, pgettext_lazy("you need", "Physiotherapy")),
        ],
    )
    reason = forms.CharField(label=_("In a few words, why?"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.BooleanField(
        label=_("I agree that the coordination cell keeps these details to call me back and organise my care."),
    )
    website = forms.CharField(label=_("Leave this field empty"), required=False)  # the honeypot
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        # The start time and a one-time number, signed: the number is the submission's idempotency key, so a form
        # sent twice (double click, replayed by a robot within the validity) creates one request.
        started = signing.dumps({"t": time.time(), "n": uuid.uuid4().hex}, salt=self.SALT)
        kwargs.setdefault("initial", {}).setdefault("started", started)
        super().__init__(*args, **kwargs)
        commune = self.fields["commune"]
        assert isinstance(commune, forms.ModelChoiceField)
        commune.queryset = Commune.objects.filter(territories__cell=cell).distinct().order_by("search_name")
        self.fields["website"].widget.attrs.update(tabindex="-1", autocomplete="off")

    def is_robot(self) -> bool:
        """Filled the hidden field, sent the form faster than a person can, or with a forged or stale start time."""
        if self.data.get("website"):
            return True
        started = self._started()
        if started is None or not started.get("n"):
            return True
        return time.time() - float(started.get("t", 0)) < self.MIN_SECONDS

    def _started(self) -> dict[str, Any] | None:
        try:
            loaded = signing.loads(self.data.get("started", ""), salt=self.SALT, max_age=self.MAX_SECONDS)
        except signing.BadSignature:
            return None
        return loaded if isinstance(loaded, dict) else None

    @property
    def submission_key(self) -> str:
        """The one-time number of this form (checked by `is_robot` first)."""
        started = self._started() or {}
        return str(started.get("n", ""))


class PartnerForm(forms.ModelForm):
    commune = CommuneField(label=_("Commune"))

    class Meta:
        model = Partner
        fields = ["name", "kind", "commune", "is_active"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        commune = self.fields["commune"]
        assert isinstance(commune, CommuneField)
        commune.set_cell(cell)

    def _post_clean(self) -> None:
        # The service checks the territory and the uniqueness.
        pass


YES_NO = [("yes", pgettext_lazy("answer", "Yes")), ("no", pgettext_lazy("answer", "No"))]


class QualificationForm(forms.Form):
    """The protocol's questions (fields q<pk>), then the decision: empty means 'as the protocol suggests'."""

    care_channel = forms.ChoiceField(label=_("Care decided"), required=False)
    exam_type = forms.ChoiceField(label=_("Imaging exam"), choices=[("", "—"), *ExamType.choices], required=False)
    modality = forms.ChoiceField(label=_("Modality decided"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency decided"), required=False)
    reason = forms.CharField(
        label=_("Reason for the decision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you decide otherwise than the protocol suggests."),
    )

    def __init__(self, *args: Any, questions: list[ProtocolQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        suggestion = ("", _("As suggested"))
        for name, choices in (
            ("care_channel", CareChannel.choices),
            ("modality", Modality.choices),
            ("urgency", Urgency.choices),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [suggestion, *choices]
        self.questions = questions
        answer_fields: dict[str, forms.Field] = {}
        for question in questions:
            name = f"q{question.pk}"
            if question.kind == QuestionKind.YES_NO:
                answer_fields[name] = forms.ChoiceField(
                    label=question.text, choices=YES_NO, required=False, widget=forms.RadioSelect
                )
            elif question.kind == QuestionKind.CHOICE:
                answer_fields[name] = forms.ChoiceField(
                    label=question.text,
                    required=False,
                    choices=[("", "—"), *[(choice, choice) for choice in question.choice_list]],
                )
            else:
                answer_fields[name] = forms.CharField(
                    label=question.text,
                    required=False,
                    max_length=20,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
        self.fields = {**answer_fields, **self.fields}

    def answers(self) -> dict[str, str]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        if data:
            return {str(q.pk): str(data.get(f"q{q.pk}", "") or "") for q in self.questions}
        return {str(q.pk): str(self.data.get(self.add_prefix(f"q{q.pk}"), "") or "") for q in self.questions}

    def answer_fields(self) -> list[forms.BoundField]:
        return [self[f"q{q.pk}"] for q in self.questions]

    def decision_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("care_channel", "exam_type", "modality", "urgency", "reason")]


class ProtocolQuestionForm(forms.ModelForm):
    class Meta:
        model = ProtocolQuestion
        fields = ["order", "text", "kind", "choices", "red_flag", "red_flag_message", "is_active"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def _post_clean(self) -> None:
        pass


class ProtocolRuleForm(forms.ModelForm):
    class Meta:
        model = ProtocolRule
        fields = ["answer", "care_channel", "modality", "urgency", "note"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def _post_clean(self) -> None:
        pass


class ReferralSettingsForm(forms.ModelForm):
    max_failed_callbacks = forms.IntegerField(
        label=_("Failed callbacks before proposing closure"), min_value=1, max_value=10
    )
    hold_idle_minutes = forms.IntegerField(
        label=_("Minutes after which an idle request frees itself"),
        min_value=1,
        max_value=240,
        help_text=_("A coordinator who took a request and did nothing on it for this long no longer holds it."),
    )

    warn_hours_before = forms.IntegerField(
        label=_("Hours before the deadline when a waiting request raises an alert"),
        min_value=1,
        max_value=23,
        help_text=_(
            "A request neither oriented nor reoriented by then alerts its coordinator (or the cell's coordinators) "
            "and the supervising doctor on duty, once."
        ),
    )

    class Meta:
        model = ReferralSettings
        fields = ["max_failed_callbacks", "hold_idle_minutes", "warn_hours_before"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class RequestTagsForm(forms.Form):
    """The tags of a request, on its page: the cell's active tags, and the archived ones it already has (as
    `selectors.tags_offered` read them, each saying whether the request has it)."""

    tags = TagsField()

    def __init__(self, *args: Any, offered: list[Tag], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"tags": [str(tag.pk) for tag in offered if getattr(tag, "on_request", False)]})
        super().__init__(*args, **kwargs)
        tags = self.fields["tags"]
        assert isinstance(tags, TagsField)
        tags.offer(offered)


class ColourRadios(forms.RadioSelect):
    option_template_name = "referrals/widgets/colour_option.html"


class TagForm(forms.Form):
    """A tag's name and colour (the service checks the name is free in the cell)."""

    name = forms.CharField(label=_("Name"), max_length=40, help_text=_("For example: faible urgence, paramédical."))
    colour = forms.ChoiceField(label=_("Colour"), choices=TagColour.choices, widget=ColourRadios)

    def __init__(self, *args: Any, cell: Cell, instance: Tag | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {"name": instance.name, "colour": instance.colour})
        else:
            kwargs.setdefault("initial", {"colour": TagColour.BLUE})
        super().__init__(*args, **kwargs)
