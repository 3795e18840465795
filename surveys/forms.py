from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from territory.models import Cell

from .models import QUESTIONS, SurveyPolicy

MARKS = [(str(value), str(value)) for value in range(1, 6)]


class AnswerForm(forms.Form):
    """One 1-to-5 mark per question of the audience, and a comment."""

    def __init__(self, *args: Any, audience: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in QUESTIONS[audience]:
            self.fields[code] = forms.TypedChoiceField(
                label=label, choices=MARKS, coerce=int, widget=forms.RadioSelect, help_text=_("1: poor — 5: very good")
            )
        self.fields["comment"] = forms.CharField(
            label=_("Comment (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
        )

    def scores(self) -> dict[str, int]:
        return {name: value for name, value in self.cleaned_data.items() if name != "comment"}


class SurveyPolicyForm(forms.ModelForm):
    class Meta:
        model = SurveyPolicy
        fields = ["is_active", "sampling_percent"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
