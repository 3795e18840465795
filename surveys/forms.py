from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Profession
from territory.models import Cell

from .models import QUESTIONS, Audience, QuestionKind, QuestionnaireQuestion, SurveyPolicy

MARKS = [(str(value), str(value)) for value in range(1, 6)]


class AnswerForm(forms.Form):
    """One 1-to-5 mark per question of the audience, and a comment. A patient may also ask not to be surveyed
    again: their mark is then optional here, and the service says when it is missing (`services.survey_answer`)."""

    def __init__(self, *args: Any, audience: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        patient = audience == Audience.PATIENT
        for code, label in QUESTIONS[audience]:
            self.fields[code] = forms.TypedChoiceField(
                label=label,
                choices=MARKS,
                coerce=int,
                empty_value=None,
                required=not patient,
                widget=forms.RadioSelect,
                help_text=_("1: poor — 5: very good"),
            )
        self.fields["comment"] = forms.CharField(
            label=_("Comment (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
        )
        if patient:
            self.fields["no_more"] = forms.BooleanField(
                label=_("Do not send me satisfaction surveys again"),
                required=False,
                help_text=_("You will still receive the messages about your appointments."),
            )

    def scores(self) -> dict[str, int]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("comment", "no_more") and value is not None
        }


class SurveyPolicyForm(forms.ModelForm):
    class Meta:
        model = SurveyPolicy
        fields = ["is_active", "sampling_percent", "patients_surveyed"]

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class QuestionnaireForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    intro = forms.CharField(
        label=_("Introduction (why, how long it takes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=QuestionKind.choices)
    choices = forms.CharField(
        label=_("Choices, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For one choice or several choices only."),
        max_length=4000,
    )
    required = forms.BooleanField(label=_("Answer required"), required=False, initial=True)


class SendForm(forms.Form):
    professions = forms.MultipleChoiceField(
        label=_("Send to (every profession if none ticked)"),
        choices=Profession.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class QuestionnaireAnswerForm(forms.Form):
    """The questionnaire's questions as fields named q<id>."""

    def __init__(self, *args: Any, questions: list[QuestionnaireQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in questions:
            name = f"q{question.pk}"
            options = [(option, option) for option in question.options]
            field: forms.Field
            if question.kind == QuestionKind.ONE:
                field = forms.ChoiceField(choices=options, widget=forms.RadioSelect)
            elif question.kind == QuestionKind.MANY:
                field = forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple)
            elif question.kind == QuestionKind.SCALE:
                field = forms.TypedChoiceField(choices=MARKS, coerce=int, widget=forms.RadioSelect)
                field.help_text = _("1: not at all — 5: entirely")
            else:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
            field.label = question.text
            field.required = question.required
            self.fields[name] = field

    def answers(self) -> dict[int, object]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}
