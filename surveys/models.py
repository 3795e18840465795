"""Satisfaction surveys: after a handled request, a sample of requesters and effectors are asked a few questions
(1 to 5, and a comment) by an e-mail link, and seen patients one question by an SMS link; the results go to the
dashboard."""

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
    patients_surveyed = models.BooleanField(
        _("also ask seen patients, by SMS"),
        default=True,
        help_text=_(
            "One question and a comment, by an SMS link a few hours after the appointment, to the same share of "
            "requests; never to a patient who declined messages or surveys, nor when the requester answers for them."
        ),
    )

    class Meta:
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policies")

    def __str__(self) -> str:
        return str(self.cell)


class Audience(models.TextChoices):
    REQUESTER = "requester", _("Requesters")
    EFFECTOR = "effector", _("Effectors")
    PATIENT = "patient", _("Patients")


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
    Audience.PATIENT: [
        ("visit", _("How did your appointment go?")),
    ],
}


class Survey(models.Model):
    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="surveys")
    request = models.ForeignKey("referrals.Request", on_delete=models.CASCADE, related_name="surveys")
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices)
    # An e-mail address (requesters, effectors) or a mobile phone in E.164 (patients): checked by the service.
    address = models.CharField(_("sent to"), max_length=254)
    token = models.CharField(max_length=43, unique=True)
    sent_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # The patient asked, on this survey's page, never to be surveyed again: no survey goes to this address in the cell.
    no_more = models.BooleanField(_("asked not to be surveyed again"), default=False)

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


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Sent, answers open")
    CLOSED = "closed", _("Closed")


class Questionnaire(models.Model):
    """A questionnaire on SNP practices (seed 003) that the cell builds and sends to the territory's professionals."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="questionnaires")
    title = models.CharField(_("title"), max_length=150)
    intro = models.TextField(_("introduction"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    ONE = "one", _("One choice")
    MANY = "many", _("Several choices")
    SCALE = "scale", _("A mark from 1 to 5")
    TEXT = "text", _("Free text")


class QuestionnaireQuestion(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=QuestionKind.choices)
    choices = models.TextField(_("choices, one per line"), blank=True)
    required = models.BooleanField(_("answer required"), default=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Invitation(models.Model):
    """One professional asked to answer, by a link in an e-mail; answered once."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="invitations")
    address = models.EmailField()
    token = models.CharField(max_length=43, unique=True)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["questionnaire", "address"], name="invitation_once_per_address")]

    def __str__(self) -> str:
        return self.address


class Answer(models.Model):
    """One answer to one question: a choice (one row per choice ticked), a mark, or a text."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(QuestionnaireQuestion, on_delete=models.CASCADE, related_name="answers")
    choice = models.CharField(max_length=200, blank=True)
    mark = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.question_id}: {self.choice or self.mark or self.text[:20]}"
