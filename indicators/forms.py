from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agenda.forms import DATE
from directory.models import Professional, Site
from referrals.models import CareChannel, Modality
from territory.models import Cell, Territory

from .figures import Period, Scope

LONGEST = 366
FIRST_AFTER_LAST = _("The first day must not be after the last day.")
TOO_LONG = _("Choose a period of at most a year.")
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
OUT_OF_RANGE = _("Choose a date between 2000 and 2099.")


def month_to_date(today: date) -> Period:
    return Period(today.replace(day=1), today)


class DashboardForm(forms.Form):
    """The period and the filters, from the address (GET): a dashboard can be bookmarked and shared."""

    first = forms.DateField(label=_("From"), widget=forms.DateInput(**DATE))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(**DATE))
    territory = forms.ModelChoiceField(
        label=_("Territory"), queryset=Territory.objects.none(), required=False, empty_label=_("All")
    )
    care_channel = forms.ChoiceField(label=_("Care"), choices=[("", _("All")), *CareChannel.choices], required=False)
    modality = forms.ChoiceField(label=_("Modality"), choices=[("", _("All")), *Modality.choices], required=False)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("All"))
    professional = forms.ModelChoiceField(
        label=_("Professional"), queryset=Professional.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args: Any, cell: Cell, full: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell = cell
        self.fields["territory"].queryset = cell.territories.all()  # type: ignore[attr-defined]
        if full:
            self.fields["site"].queryset = (  # type: ignore[attr-defined]
                Site.objects.filter(cell=cell).select_related("commune").order_by("name")
            )
            self.fields["professional"].queryset = Professional.objects.filter(  # type: ignore[attr-defined]
                cell=cell, is_active=True
            )
        else:  # coordinators see the cell's activity, not each professional's
            del self.fields["site"]
            del self.fields["professional"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first"), cleaned.get("last")
        for name in ("first", "last"):
            value = cleaned.get(name)
            if value is not None and not EARLIEST <= value <= LATEST:
                self.add_error(name, OUT_OF_RANGE)
                cleaned.pop(name, None)
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if first > last:
                self.add_error("last", FIRST_AFTER_LAST)
            elif (last - first).days + 1 > LONGEST:
                self.add_error("first", TOO_LONG)
        return cleaned

    def period(self) -> Period:
        if self.is_bound and self.is_valid():
            return Period(self.cleaned_data["first"], self.cleaned_data["last"])
        return month_to_date(timezone.localdate())

    def scope(self) -> Scope:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return Scope(
            self.cell,
            territory=data.get("territory"),
            care_channel=data.get("care_channel", ""),
            modality=data.get("modality", ""),
            site=data.get("site"),
            professional=data.get("professional"),
        )


def default_data(today: date) -> dict[str, str]:
    period = month_to_date(today)
    return {"first": period.first.isoformat(), "last": period.last.isoformat()}


def previous_month(today: date) -> Period:
    last = today.replace(day=1) - timedelta(days=1)
    return Period(last.replace(day=1), last)
