from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import DataPolicy
from referrals.forms import PatientIdentityForm
from territory.models import Cell


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
