from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from common.care import CareChannel, ExamType, Modality
from directory.models import Professional, Site
from territory.forms import CommuneField
from territory.models import Cell

from .finder import Filters
from .models import AvailabilityPlan, Relay

# HTML date and time inputs read and write ISO values, whatever the page's language.
DATE: dict[str, Any] = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
TIME: dict[str, Any] = {"attrs": {"type": "time"}, "format": "%H:%M"}
DATETIME: dict[str, Any] = {"attrs": {"type": "datetime-local"}, "format": "%Y-%m-%dT%H:%M"}


class WhoForm(forms.Form):
    """Whose availability: any professional and site of the cell for a coordinator; an effector, their own."""

    professional = forms.ModelChoiceField(label=_("Professional"), queryset=Professional.objects.none(), required=False)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)

    def __init__(self, *args: Any, cell: Cell, own: Professional | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        professional = self.fields["professional"]
        site = self.fields["site"]
        assert isinstance(professional, forms.ModelChoiceField) and isinstance(site, forms.ModelChoiceField)
        professional.queryset = Professional.objects.filter(cell=cell, is_active=True).order_by("search_name")
        site.queryset = Site.objects.filter(cell=cell, is_active=True).select_related("commune").order_by("name")
        if own is not None:
            professional.queryset = Professional.objects.filter(pk=own.pk)
            professional.initial = own.pk
            professional.required = True
            site.queryset = own.sites.select_related("commune").order_by("name")


class OfferForm(WhoForm):
    """What is offered and to whom: care, exam, modality, capacity, audience."""

    care_channel = forms.ChoiceField(label=_("Care"), choices=CareChannel.choices)
    exam_type = forms.ChoiceField(label=_("Imaging exam"), choices=[("", "—"), *ExamType.choices], required=False)
    modality = forms.ChoiceField(label=_("Modality"), choices=Modality.choices)
    capacity = forms.IntegerField(label=_("Patients per slot"), initial=1, min_value=1, max_value=50)
    open_to_pharmacists = forms.BooleanField(label=_("Pharmacists may book them directly"), required=False)
    open_to_sas = forms.BooleanField(label=_("SAS regulators may book them"), required=False)
    open_to_er = forms.BooleanField(label=_("Emergency departments may book them"), required=False)
    open_to_gps = forms.BooleanField(label=_("GPs may book them (e.g. imaging)"), required=False)
    # Seed 004: "the GPs of the experiment", not every GP. Checkboxes in a scrolling box under a legend (the
    # spot's nurses' pattern): each one labelled by the name, found with the browser's search.
    open_to_professionals = forms.ModelMultipleChoiceField(
        label=_("Also open to these professionals, by name"),
        queryset=Professional.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For instance the GPs of an experiment: they may book these slots with their requests."),
    )
    open_to_sites = forms.ModelMultipleChoiceField(
        label=_("Also open to these sites (pharmacy, emergency department…), by name"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their requesters may book these slots with their requests."),
    )

    def __init__(self, *args: Any, cell: Cell, own: Professional | None = None, **kwargs: Any) -> None:
        super().__init__(*args, cell=cell, own=own, **kwargs)
        professionals = self.fields["open_to_professionals"]
        sites = self.fields["open_to_sites"]
        assert isinstance(professionals, forms.ModelMultipleChoiceField)
        assert isinstance(sites, forms.ModelMultipleChoiceField)
        # The whole directory of the cell, an effector's form too: a radiologist names the GPs of the experiment.
        professionals.queryset = Professional.objects.filter(cell=cell, is_active=True).order_by("search_name")
        sites.queryset = Site.objects.filter(cell=cell, is_active=True).select_related("commune").order_by("name")


class PublishForm(OfferForm):
    """One-off slots: a day, from… to…, cut in slots of N minutes, and who may book them."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(**DATE))
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(**TIME))
    end = forms.TimeField(label=_("To"), widget=forms.TimeInput(**TIME))
    minutes = forms.IntegerField(label=_("Length of a slot (minutes)"), initial=20, min_value=5, max_value=240)


class PlanForm(OfferForm):
    """A recurring plan: weekdays, times, slot length, and the period it runs (an end is required)."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days of the week"),
        choices=sorted(WEEKDAYS.items()),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(**TIME))
    end_time = forms.TimeField(label=_("To"), widget=forms.TimeInput(**TIME))
    minutes = forms.IntegerField(label=_("Length of a slot (minutes)"), initial=15, min_value=5, max_value=240)
    first_day = forms.DateField(label=_("First day"), widget=forms.DateInput(**DATE))
    # Not required here: the service says why a plan needs an end.
    last_day = forms.DateField(label=_("Last day"), widget=forms.DateInput(**DATE), required=False)
    open_on_holidays = forms.BooleanField(
        label=_("Open on public holidays"),
        required=False,
        help_text=_("Otherwise no slot is generated on the public holidays of the cell (1 May, 15 August…)."),
    )

    @classmethod
    def initial_from(cls, plan: AvailabilityPlan) -> dict[str, Any]:
        lists = ("open_to_professionals", "open_to_sites")
        names = [name for name in cls.base_fields if name not in ("professional", "site", *lists)]
        initial = {name: getattr(plan, name) for name in names}
        initial.update(professional=plan.professional_id, site=plan.site_id)
        initial.update({name: [record.pk for record in getattr(plan, name).all()] for name in lists})
        return initial


class AbsenceForm(WhoForm):
    starts_at = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(**DATETIME))
    ends_at = forms.DateTimeField(label=_("To"), widget=forms.DateTimeInput(**DATETIME))
    reason = forms.CharField(label=_("Reason (holiday, training…)"), max_length=150, required=False)


class FinderForm(forms.Form):
    """The slot finder's filters (GET): a modality, a maximum distance, before the deadline only."""

    modality = forms.ChoiceField(
        label=_("Modality"), choices=[("", _("Any modality")), *Modality.choices], required=False
    )
    km = forms.FloatField(label=_("Within (km)"), min_value=1, max_value=500, required=False)
    deadline = forms.BooleanField(label=_("Before the deadline only"), required=False)

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(modality=data["modality"], max_km=data["km"], before_deadline_only=data["deadline"])


class TourForm(forms.Form):
    name = forms.CharField(label=_("Name of the tour"), max_length=150)
    doctor = forms.ModelChoiceField(label=_("Doctor"), queryset=Professional.objects.none())
    assistant = forms.ModelChoiceField(
        label=_("Medical assistant"), queryset=Professional.objects.none(), required=False
    )
    site = forms.ModelChoiceField(label=_("Vehicle"), queryset=Site.objects.none(), required=False)
    minutes = forms.IntegerField(label=_("Length of a consultation (minutes)"), initial=20, min_value=5, max_value=240)
    open_on_holidays = forms.BooleanField(
        label=_("Open on public holidays"),
        required=False,
        help_text=_("Otherwise no slot is generated on the public holidays of the cell (1 May, 15 August…)."),
    )

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = Professional.objects.filter(cell=cell, is_active=True).order_by("search_name")
        for name, queryset in (
            ("doctor", people.filter(profession__in=["gp", "specialist"])),
            ("assistant", people.exclude(profession__in=["gp", "specialist"])),
            ("site", Site.objects.filter(cell=cell, is_active=True, kind="mobile_unit").order_by("name")),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset


class StopForm(forms.Form):
    """One stop of the tour: a day, a commune and a place, from… to…, how many patients per consultation time."""

    # An empty first choice, so that the formset's blank extra stops are left alone rather than refused.
    weekday = forms.TypedChoiceField(
        label=_("Day"), choices=[("", "—"), *sorted(WEEKDAYS.items())], coerce=int, empty_value=None
    )
    commune = CommuneField(label=_("Commune"))
    place = forms.CharField(label=_("Place"), max_length=150)
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(**TIME))
    end_time = forms.TimeField(label=_("To"), widget=forms.TimeInput(**TIME))
    capacity = forms.IntegerField(label=_("Patients per time"), initial=1, min_value=1, max_value=25)

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        commune = self.fields["commune"]
        assert isinstance(commune, CommuneField)
        commune.set_cell(cell)


StopFormSet = forms.formset_factory(StopForm, extra=2, can_delete=True, max_num=14)


class PeriodForm(forms.Form):
    """One opening period (season) of a spot or a tour: from a first to a last day, both included."""

    # Not required: the formset's blank extra period is left alone; a half-filled one is refused in clean().
    first_day = forms.DateField(label=_("First day"), widget=forms.DateInput(**DATE), required=False)
    last_day = forms.DateField(label=_("Last day"), widget=forms.DateInput(**DATE), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("first_day") and not data.get("last_day") and not data.get("DELETE"):
            self.add_error("last_day", _("Give the last day: a period runs for a set time."))
        if data.get("last_day") and not data.get("first_day") and not data.get("DELETE"):
            self.add_error("first_day", _("Give the first day of the period."))
        return data


class BasePeriodFormSet(forms.BaseFormSet):
    def periods(self) -> list[tuple[Any, Any]]:
        """The periods kept (filled and not removed), as the services take them; call after is_valid()."""
        return [
            (row["first_day"], row["last_day"])
            for row in self.cleaned_data
            if row and row.get("first_day") and row.get("last_day") and not row.get("DELETE")
        ]


# Seasons: seed 001's summer spot reopens each summer. One blank row to add a period, a box to remove one.
PeriodFormSet = forms.formset_factory(PeriodForm, formset=BasePeriodFormSet, extra=1, can_delete=True, max_num=12)


class SpotForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    nurses = forms.ModelMultipleChoiceField(
        label=_("IDEL on duty"), queryset=Professional.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days of the week"),
        choices=sorted(WEEKDAYS.items()),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(**TIME))
    end_time = forms.TimeField(label=_("To"), widget=forms.TimeInput(**TIME))
    minutes = forms.IntegerField(label=_("Length of a teleconsultation (minutes)"), initial=20, min_value=5)
    cabins = forms.IntegerField(label=_("Teleconsultations at the same time"), initial=1, min_value=1, max_value=10)
    open_to_sas = forms.BooleanField(label=_("SAS regulators may book them"), required=False)
    open_on_holidays = forms.BooleanField(
        label=_("Open on public holidays"),
        required=False,
        help_text=_("Otherwise no slot is generated on the public holidays of the cell (1 May, 15 August…)."),
    )

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = self.fields["site"]
        nurses = self.fields["nurses"]
        assert isinstance(site, forms.ModelChoiceField) and isinstance(nurses, forms.ModelMultipleChoiceField)
        site.queryset = Site.objects.filter(cell=cell, kind="telemedicine_spot").order_by("name")
        nurses.queryset = Professional.objects.filter(cell=cell, profession="nurse", is_active=True).order_by(
            "search_name"
        )


class OutcomeForm(forms.Form):
    """What happened at an appointment, as its effector records it."""

    outcome = forms.ChoiceField(
        label=_("The patient"),
        choices=[("seen", _("was seen")), ("no_show", _("did not come"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the patient was seen.")},
    )
    follow_up = forms.BooleanField(label=_("A follow-up by the médecin traitant is needed"), required=False)
    note = forms.CharField(
        label=_("Note for the médecin traitant"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent to the médecin traitant with the summary, when the cell knows their address."),
    )


class DebriefForm(forms.Form):
    """The spot IDEL's debrief after an assisted teleconsultation (seed 001)."""

    understanding_checked = forms.BooleanField(
        label=_("The patient understood the diagnosis and the next steps"), required=False
    )
    next_steps = forms.CharField(
        label=_("Next steps agreed with the patient"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    relay = forms.ChoiceField(label=_("Who takes over"), choices=Relay.choices, widget=forms.RadioSelect)
    relay_note = forms.CharField(
        label=_("Which pharmacy, nurse or person, and when"),
        required=False,
        max_length=300,
    )
