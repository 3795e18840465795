"""Questionnaires on SNP practices (seed 003): the cell writes the questions, sends the questionnaire to the
territory's professionals by e-mail link, and reads the answers analysed — counts and percentages per choice, the
marks' average, the free texts — which it can export."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import DomainError
from directory.models import Professional
from notifications.models import Message, MessageChannel, MessageKind
from notifications.services import message_queue
from territory.models import Cell

from .models import (
    Answer,
    Invitation,
    QuestionKind,
    Questionnaire,
    QuestionnaireQuestion,
    QuestionnaireStatus,
)

NOT_A_DRAFT = gettext_lazy("The questionnaire has been sent: its questions can no longer change.")
TWO_CHOICES = gettext_lazy("Give at least two choices, one per line.")
NO_QUESTION = gettext_lazy("Add at least one question before sending.")
NOBODY = gettext_lazy("No professional of the cell with an e-mail matches: nobody to send it to.")
NOT_OPEN = gettext_lazy("This questionnaire is not open for answers.")
LINK_INVALID = gettext_lazy("This questionnaire link is not valid.")
ALREADY_ANSWERED = gettext_lazy("You have already answered this questionnaire: thank you.")
REQUIRED = gettext_lazy("This question needs an answer.")
NOT_A_CHOICE = gettext_lazy("Choose among the answers offered.")
NOT_A_MARK = gettext_lazy("Give a mark from 1 to 5.")


def questionnaire_create(*, cell: Cell, title: str, intro: str = "", now: datetime | None = None) -> Questionnaire:
    return Questionnaire.objects.create(
        cell=cell, title=title.strip(), intro=intro.strip(), created_at=now or timezone.now()
    )


def question_add(
    *, questionnaire: Questionnaire, text: str, kind: str, choices: str = "", required: bool = True
) -> QuestionnaireQuestion:
    if questionnaire.status != QuestionnaireStatus.DRAFT:
        raise DomainError(NOT_A_DRAFT)
    question = QuestionnaireQuestion(
        questionnaire=questionnaire, text=text.strip(), kind=kind, choices=choices.strip(), required=required
    )
    if kind in (QuestionKind.ONE, QuestionKind.MANY) and len(question.options) < 2:
        raise DomainError(TWO_CHOICES, field="choices")
    if kind not in (QuestionKind.ONE, QuestionKind.MANY):
        question.choices = ""
    last = questionnaire.questions.aggregate(last=Max("order"))["last"] or 0
    question.order = last + 1
    question.save()
    return question


def question_remove(*, question: QuestionnaireQuestion) -> None:
    if question.questionnaire.status != QuestionnaireStatus.DRAFT:
        raise DomainError(NOT_A_DRAFT)
    question.delete()


@transaction.atomic
def questionnaire_send(
    *, questionnaire: Questionnaire, professions: list[str] | None = None, now: datetime | None = None
) -> int:
    """Send the questionnaire to the cell's active professionals who have an e-mail (of these professions, if
    given), once per address; it opens for answers. Sending again reaches only those not yet asked."""
    now = now or timezone.now()
    if questionnaire.status == QuestionnaireStatus.CLOSED:
        raise DomainError(NOT_OPEN)
    if not questionnaire.questions.exists():
        raise DomainError(NO_QUESTION)
    recipients = Professional.objects.filter(cell=questionnaire.cell, is_active=True).exclude(email="")
    if professions:
        recipients = recipients.filter(profession__in=professions)
    addresses = sorted({address.lower() for address in recipients.values_list("email", flat=True)})
    if not addresses:
        raise DomainError(NOBODY, field="professions")
    sent = 0
    for address in addresses:
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    questionnaire=questionnaire, address=address, token=secrets.token_urlsafe(32), sent_at=now
                )
        except IntegrityError:
            continue  # asked already
        _invite(invitation, now)
        sent += 1
    if questionnaire.status == QuestionnaireStatus.DRAFT:
        questionnaire.status, questionnaire.sent_at = QuestionnaireStatus.OPEN, now
        questionnaire.save(update_fields=["status", "sent_at"])
    return sent


def _invite(invitation: Invitation, now: datetime) -> None:
    questionnaire = invitation.questionnaire
    cell = questionnaire.cell
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse(
            "questionnaire_answer", kwargs={"token": invitation.token}
        )
        body = render_to_string("surveys/questionnaire_invitation.txt", {"q": questionnaire, "cell": cell, "url": url})
        subject = _("[%(cell)s] Questionnaire: %(title)s") % {"cell": cell.name, "title": questionnaire.title}
    message_queue(
        Message(
            cell=cell,
            kind=MessageKind.QUESTIONNAIRE,
            channel=MessageChannel.EMAIL,
            to=invitation.address,
            subject=subject[:200],
            body=body,
            key=f"{MessageKind.QUESTIONNAIRE}:{invitation.pk}",
            created_at=now,
        )
    )


def questionnaire_close(*, questionnaire: Questionnaire) -> Questionnaire:
    if questionnaire.status != QuestionnaireStatus.OPEN:
        raise DomainError(NOT_OPEN)
    questionnaire.status = QuestionnaireStatus.CLOSED
    questionnaire.save(update_fields=["status"])
    return questionnaire


def invitation_by_token(token: str) -> Invitation:
    invitation = Invitation.objects.select_related("questionnaire__cell").filter(token=token).first()
    if invitation is None:
        raise DomainError(LINK_INVALID, code="invalid")
    return invitation


def check_open(invitation: Invitation) -> None:
    if invitation.answered_at is not None:
        raise DomainError(ALREADY_ANSWERED, code="answered")
    if invitation.questionnaire.status != QuestionnaireStatus.OPEN:
        raise DomainError(NOT_OPEN, code="closed")


@transaction.atomic
def questionnaire_answer(*, token: str, answers: dict[int, object], now: datetime | None = None) -> Invitation:
    """Record one professional's answers, once; each checked against its question (a DomainError names the
    question's field, `q<id>`)."""
    now = now or timezone.now()
    invitation = invitation_by_token(token)
    check_open(invitation)
    rows = []
    for question in invitation.questionnaire.questions.all():
        value = answers.get(question.pk)
        empty = value in (None, "", [])
        if empty:
            if question.required:
                raise DomainError(REQUIRED, field=f"q{question.pk}")
            continue
        if question.kind == QuestionKind.ONE:
            if value not in question.options:
                raise DomainError(NOT_A_CHOICE, field=f"q{question.pk}")
            rows.append(Answer(invitation=invitation, question=question, choice=str(value)))
        elif question.kind == QuestionKind.MANY:
            chosen = list(dict.fromkeys(value if isinstance(value, (list, tuple)) else [value]))  # each once
            if any(choice not in question.options for choice in chosen):
                raise DomainError(NOT_A_CHOICE, field=f"q{question.pk}")
            rows.extend(Answer(invitation=invitation, question=question, choice=str(c)) for c in chosen)
        elif question.kind == QuestionKind.SCALE:
            if not isinstance(value, int) or not 1 <= value <= 5:
                raise DomainError(NOT_A_MARK, field=f"q{question.pk}")
            rows.append(Answer(invitation=invitation, question=question, mark=value))
        else:
            rows.append(Answer(invitation=invitation, question=question, text=str(value).strip()[:4000]))
    taken = Invitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(answered_at=now)
    if not taken:
        raise DomainError(ALREADY_ANSWERED, code="answered")
    Answer.objects.bulk_create(rows)
    invitation.answered_at = now
    return invitation


@dataclass
class QuestionAnalysis:
    question: QuestionnaireQuestion
    answered: int = 0  # respondents who answered this question
    counts: list[tuple[str, int, float]] = field(default_factory=list)  # answer, count, % of those who answered
    average: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class Analysis:
    invited: int
    respondents: int
    questions: list[QuestionAnalysis]

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.respondents / self.invited, 1) if self.invited else None


def analysis(questionnaire: Questionnaire) -> Analysis:
    """Counts and percentages per choice, the marks' distribution and average, the free texts: a few SQL
    aggregations whatever the number of answers."""
    invitations = questionnaire.invitations.aggregate(
        invited=Count("pk"), respondents=Count("pk", filter=Q(answered_at__isnull=False))
    )
    questions = list(questionnaire.questions.all())
    answers = Answer.objects.filter(question__questionnaire=questionnaire)
    respondents_per_question = {
        row["question"]: row["n"] for row in answers.values("question").annotate(n=Count("invitation", distinct=True))
    }
    choices = answers.exclude(choice="").values("question", "choice").annotate(n=Count("pk"))
    marks = answers.filter(mark__isnull=False).values("question", "mark").annotate(n=Count("pk"))
    averages = {
        row["question"]: row["avg"]
        for row in answers.filter(mark__isnull=False).values("question").annotate(avg=Avg("mark"))
    }
    texts: dict[int, list[str]] = {}
    for question_id, text in answers.exclude(text="").order_by("pk").values_list("question", "text"):
        texts.setdefault(question_id, []).append(text)
    counted: dict[tuple[int, str], int] = {(row["question"], row["choice"]): row["n"] for row in choices}
    counted.update({(row["question"], str(row["mark"])): row["n"] for row in marks})
    result = []
    for question in questions:
        answered = respondents_per_question.get(question.pk, 0)
        options = question.options if question.kind in (QuestionKind.ONE, QuestionKind.MANY) else []
        if question.kind == QuestionKind.SCALE:
            options = [str(mark) for mark in range(1, 6)]
        counts = [
            (option, counted.get((question.pk, option), 0), _percent(counted.get((question.pk, option), 0), answered))
            for option in options
        ]
        average = averages.get(question.pk)
        result.append(
            QuestionAnalysis(
                question,
                answered,
                counts,
                round(average, 2) if average is not None else None,
                texts.get(question.pk, []),
            )
        )
    return Analysis(invitations["invited"], invitations["respondents"], result)


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0
