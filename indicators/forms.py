from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from agenda.forms import DATE
from directory.models import Professional, Site
from referrals.models import CareChannel, Modality
from territory.models import Cell, Territory

from . import periods
from .figures import Period, Scope

LONGEST = 366
FIRST_AFTER_LAST = _("The first day must not be after the last day.")
TOO_LONG = _("Choose a period of at most a year.")
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
OUT_OF_RANGE = _("Choose a date between 2000 and 2099.")


PRESET = "period"  # the address's name for a preset: ?period=last-quarter
PERIOD_FIELDS = ("first", "last", PRESET)


class DashboardForm(forms.Form):
    """The period and the filters, from the address (GET): a dashboard can be bookmarked and shared. A preset
    (`?period=this-quarter`) is bookmarked as such: it means the running quarter whenever the bookmark is opened."""

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

    def __init__(self, *args: Any, cell: Cell, full: bool, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell = cell
        self.today = today or timezone.localdate()
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
        return periods.default_period(self.today)

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

    def presets(self) -> list[dict[str, Any]]:
        """The presets as links that keep the filters: label, address query, dates, and whether it is the period
        shown (the one named in the address, else the first whose dates are those shown)."""
        filters = {k: v for k, v in self.data.items() if v and k not in PERIOD_FIELDS and k != "outside"}
        named = self.data.get(PRESET)
        shown = self.period() if not self.is_bound or self.is_valid() else None
        matching = [preset.slug for preset in periods.PRESETS if preset.period(self.today) == shown]
        chosen = named if named in matching else next(iter(matching), None)
        links = []
        for preset in periods.PRESETS:
            links.append(
                {
                    "slug": preset.slug,
                    "label": preset.title(self.today),
                    "query": urlencode({**filters, PRESET: preset.slug}),
                    "period": preset.period(self.today),
                    "current": preset.slug == chosen,
                }
            )
        return links


def default_data(today: date) -> dict[str, str]:
    """The dates of the default period (see `periods.default_period`)."""
    period = periods.default_period(today)
    return {"first": period.first.isoformat(), "last": period.last.isoformat()}


def dashboard_data(query: Mapping[str, Any], today: date) -> dict[str, Any]:
    """What the dashboard's form reads from the address: the dates typed (kept as typed, even in the wrong order,
    to be corrected); else a preset's dates (`?period=last-month`); else the default period. The filters stay."""
    data = {key: query.get(key) for key in query}
    if "first" in data or "last" in data:
        return data
    preset = periods.BY_SLUG.get(str(data.get(PRESET, "")))
    period = preset.period(today) if preset is not None else periods.default_period(today)
    if preset is None:
        data.pop(PRESET, None)
    return {**data, "first": period.first.isoformat(), "last": period.last.isoformat()}


def previous_month(today: date) -> Period:
    last = today.replace(day=1) - timedelta(days=1)
    return Period(last.replace(day=1), last)
