from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import patient_sms, templating
from .sms import MAX_SEGMENTS

TOO_LONG_EVEN_BARE = _(
    "Even without its optional parts, with the place reduced to its commune and without the privacy link, this text "
    "takes more than %(segments)s SMS for the cell's longest place: patients would get only the bare essentials. "
    "Shorten it. The worst case: %(worst)s"
)


class TemplateForm(forms.Form):
    text = forms.CharField(label=_("Text of the SMS"), widget=forms.Textarea(attrs={"rows": 5}), max_length=600)

    def __init__(self, *args: Any, kind: str, cell: Any, **kwargs: Any) -> None:
        self.kind = kind
        self.cell = cell
        super().__init__(*args, **kwargs)

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        try:
            templating.check(self.kind, text)
        except templating.TemplateError as error:
            raise forms.ValidationError(str(error)) from error
        worst = patient_sms.worst_case(self.cell, self.kind, text)
        if not worst.keeps_essentials:
            raise forms.ValidationError(
                TOO_LONG_EVEN_BARE % {"segments": MAX_SEGMENTS, "worst": worst.fitted.text}, code="too_long"
            )
        return text
