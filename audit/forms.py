from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import french_phone
from referrals.models import Request, Sex
from territory.forms import CommuneField
from territory.models import Cell

from .models import AccessAction, DataPolicy
from .selectors import LogSearch

EARLIEST, LATEST = 2000, 2099


class LogSearchForm(forms.Form):
    patient = forms.CharField(
        label=_("Patient"), required=False, max_length=100, help_text=_("Name or request reference.")
    )
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("All")), *AccessAction.choices])
    first_day = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("first_day", "last_day"):
            day = data.get(name)
            if day and not EARLIEST <= day.year <= LATEST:
                self.add_error(name, _("Give a date between 2000 and 2099."))
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The end comes before the start."))
        return data

    def search(self) -> LogSearch:
        data = self.cleaned_data if self.is_valid() else {}
        return LogSearch(
            patient=data.get("patient") or "",
            user=data.get("user") or "",
            action=data.get("action") or "",
            first_day=data.get("first_day"),
            last_day=data.get("last_day"),
        )


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Patient"), max_length=100, help_text=_("Name or request reference."))


class RectifyForm(forms.Form):
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

    @staticmethod
    def initial_from(request: Request) -> dict[str, Any]:
        return {
            "patient_last_name": request.patient_last_name,
            "patient_first_name": request.patient_first_name,
            "patient_birth_date": request.patient_birth_date,
            "patient_sex": request.patient_sex,
            "patient_commune": request.patient_commune,
            "patient_street": request.patient_street,
            "patient_phone": request.patient_phone,
        }


class DataPolicyForm(forms.ModelForm):
    class Meta:
        model = DataPolicy
        fields = ["request_months"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
