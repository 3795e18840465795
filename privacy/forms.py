from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AccessAction, DataPolicy
from referrals.forms import PatientIdentityForm
from territory.models import Cell

from .selectors import LogSearch


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Patient"), max_length=100, help_text=_("Name or request reference."))


class RectifyForm(PatientIdentityForm):
    """The patient's identity and contact, as intake takes them, to correct."""


class DataPolicyForm(forms.ModelForm):
    class Meta:
        model = DataPolicy
        fields = ["request_months"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


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
