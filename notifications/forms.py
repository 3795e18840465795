from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import templating


class TemplateForm(forms.Form):
    text = forms.CharField(label=_("Text of the SMS"), widget=forms.Textarea(attrs={"rows": 5}), max_length=600)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(*args, **kwargs)

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        try:
            templating.check(self.kind, text)
        except templating.TemplateError as error:
            raise forms.ValidationError(str(error)) from error
        return text
