from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agenda.forms import DATE, TIME
from directory.models import Professional
from directory.selectors import professional_named
from referrals.models import CareChannel, Request
from territory.models import Cell

from .models import AlertPolicy
from .selectors import CARE_PROFESSIONS, eligible_ids


class CascadeStartForm(forms.Form):
    usual_professional = forms.ModelChoiceField(
        label=_("Usual professional, alerted first"),
        queryset=Professional.objects.none(),
        required=False,
        empty_label=_("— none known —"),
        help_text=_("When the patient's usual professional takes part, they are alerted alone first."),
    )

    def __init__(self, *args: Any, request: Request, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["usual_professional"]
        assert isinstance(field, forms.ModelChoiceField)
        # Only those who can be alerted now (reachable, not absent).
        reachable = eligible_ids(request, timezone.now())
        field.queryset = Professional.objects.filter(pk__in=reachable).order_by("search_name")
        if request.mt_name and not self.is_bound:  # the médecin traitant typed at intake, when the directory has them
            usual = professional_named(
                request.cell_id, request.mt_name, CARE_PROFESSIONS.get(CareChannel(request.care_channel), ())
            )
            if usual is not None:
                self.initial["usual_professional"] = usual.pk


CLOCK_CHANGE = _("The clocks change at that time tonight: choose another time.")


class AnswerForm(forms.Form):
    """The effector's answer: the day and time they see the patient."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(**DATE))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(**TIME))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("day") and cleaned.get("time"):
            zone = timezone.get_current_timezone()
            wall = datetime.combine(cleaned["day"], cleaned["time"])
            first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
            if first.utcoffset() != second.utcoffset():  # the hour the clocks skip, or the one they repeat
                raise forms.ValidationError(CLOCK_CHANGE)
        return cleaned

    def starts_at(self) -> datetime:
        return datetime.combine(
            self.cleaned_data["day"], self.cleaned_data["time"], tzinfo=timezone.get_current_timezone()
        )


class AlertPolicyForm(forms.ModelForm):
    class Meta:
        model = AlertPolicy
        fields = ["usual_minutes", "nearby_minutes", "nearby_km", "territory_minutes", "appointment_minutes"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
