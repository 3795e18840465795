"""Satisfaction surveys: after a handled request, a sample of requesters and effectors are asked a few questions
(1 to 5, and a comment) by an e-mail link; the results go to the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from territory.models import Cell

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class SurveyPolicy(models.Model):
    cell = models.OneToOneField(Cell, on_delete=models.CASCADE, related_name="survey_policy")
    is_active = models.BooleanField(_("send satisfaction surveys"), default=True)
    sampling_percent = models.PositiveSmallIntegerField(
        _("share of handled requests surveyed (%)"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Nobody gets more than one survey a week, whatever this share."),
    )

    class Meta:
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policies")

    def __str__(self) -> str:
        return str(self.cell)


class Audience(models.TextChoices):
    REQUESTER = "requester", _("Requesters")
    EFFECTOR = "effector", _("Effectors")


# The questions, 1 (poor) to 5 (very good), for each audience: short, answered in a minute.
QUESTIONS: dict[str, list[tuple[str, StrOrPromise]]] = {
    Audience.REQUESTER: [
        ("speed", _("How quickly was your request handled?")),
        ("fit", _("Did the answer fit your patient's need?")),
        ("contact", _("How were your exchanges with the coordination cell?")),
        ("again", _("Would you send a patient to the cell again?")),
    ],
    Audience.EFFECTOR: [
        ("fit", _("Did the patient you saw fit unscheduled care?")),
        ("information", _("Was the information you were given enough?")),
        ("organisation", _("How well was the appointment organised?")),
    ],
}


class Survey(models.Model):
    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="surveys")
    request = models.ForeignKey("referrals.Request", on_delete=models.CASCADE, related_name="surveys")
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices)
    address = models.EmailField(_("sent to"))
    token = models.CharField(max_length=43, unique=True)
    sent_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["request", "audience"], name="survey_once_per_request")]
        indexes = [models.Index(fields=["cell", "address", "sent_at"], name="survey_per_person")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.audience}"


class Score(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="scores")
    question = models.CharField(max_length=20)
    value = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "question"], name="score_once_per_question"),
            models.CheckConstraint(condition=models.Q(value__gte=1, value__lte=5), name="score_from_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.question}={self.value}"
