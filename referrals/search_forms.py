"""The form of "Find a request": dates typed as the French write them (31/12/1975), errors on the field concerned."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .search import RequestSearch, StatusGroup

# Explicit formats: the language of the page must not turn 02/04/1975 into the 4th of February.
DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATE_INVALID = _("Not a date: write it as 31/12/1975.")
BIRTH_DATE_OUT_OF_RANGE = _("Give a date of birth between 1900 and today.")
PERIOD_OUT_OF_RANGE = _("Give a date between 2000 and 2099.")
PERIOD_REVERSED = _("The end of the period comes before its start.")
FIRST_BIRTH_YEAR, FIRST_YEAR, LAST_YEAR = 1900, 2000, 2099


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": DATE_INVALID},
        help_text=_("dd/mm/yyyy"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 10, "maxlength": 10}),
    )


class RequestSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, reference or phone"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )
    birth_date = _date_field(_("Date of birth"))
    received_from = _date_field(_("Received from"))
    received_to = _date_field(_("Received until"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=StatusGroup.choices)

    def clean_birth_date(self) -> date | None:
        day: date | None = self.cleaned_data.get("birth_date")
        if day and (day.year < FIRST_BIRTH_YEAR or day > timezone.localdate()):
            raise forms.ValidationError(BIRTH_DATE_OUT_OF_RANGE)
        return day

    def _period_day(self, name: str) -> date | None:
        day: date | None = self.cleaned_data.get(name)
        if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise forms.ValidationError(PERIOD_OUT_OF_RANGE)
        return day

    def clean_received_from(self) -> date | None:
        return self._period_day("received_from")

    def clean_received_to(self) -> date | None:
        return self._period_day("received_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("received_from"), data.get("received_to")
        if first and last and last < first:
            self.add_error("received_to", PERIOD_REVERSED)
        return data

    def search(self) -> RequestSearch:
        """What to look for; nothing when the form is empty or wrong (the errors say why)."""
        if not self.is_bound or not self.is_valid():
            return RequestSearch()
        data = self.cleaned_data
        return RequestSearch(
            text=data["q"],
            birth_date=data["birth_date"],
            received_from=data["received_from"],
            received_to=data["received_to"],
            status=data["status"] or StatusGroup.ALL,
        )
