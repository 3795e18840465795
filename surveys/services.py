"""Who is surveyed, the answer, and the results.

After a request is handled — the patient seen, or reoriented — its requester (and, when the patient was seen, the
effector) may get a survey by e-mail: a share of the cell's handled requests chosen by a stable draw (the same
request always gives the same answer), and never more than one survey a week to the same address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import DomainError
from common.periods import Period
from notifications.models import MessageKind
from notifications.services import email_about, requester_address
from referrals.models import Request, RequestEvent
from referrals.states import Status
from territory.models import Cell

from .models import QUESTIONS, Audience, Score, Survey, SurveyPolicy

ONE_A_WEEK = timedelta(days=7)
ANSWER_WITHIN = timedelta(days=30)
HANDLED = (Status.SEEN, Status.REORIENTED)

LINK_INVALID = gettext_lazy("This survey link is not valid.")
ALREADY_ANSWERED = gettext_lazy("This survey has already been answered: thank you.")
EXPIRED = gettext_lazy("This survey is closed: it could be answered for 30 days.")
SCORE_REQUIRED = gettext_lazy("Give a mark from 1 to 5.")


def policy_for(cell_id: int) -> SurveyPolicy:
    return SurveyPolicy.objects.filter(cell_id=cell_id).first() or SurveyPolicy(cell_id=cell_id)


def sampled(request: Request, percent: int) -> bool:
    """A stable draw: the same request is always in or out of the sample."""
    digest = hashlib.sha256(f"{request.cell_id}:{request.pk}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < percent


def request_handled(*, request: Request, event: RequestEvent) -> list[Survey]:
    """Inside the transaction that saw or reoriented the request: queue its surveys, if it is in the sample."""
    if event.to_status not in HANDLED:
        return []
    policy = policy_for(request.cell_id)
    if not policy.is_active or not sampled(request, policy.sampling_percent):
        return []
    sent = []
    address, _name = requester_address(request)
    if address:
        sent.append(_survey(request, Audience.REQUESTER, address, event.at))
    if event.to_status == Status.SEEN:
        booking = request.bookings.filter(status="seen").select_related("slot__professional", "slot__site").first()
        if booking is not None:
            record = booking.slot.professional or booking.slot.site
            if record is not None and record.email:
                sent.append(_survey(request, Audience.EFFECTOR, record.email, event.at))
    return [survey for survey in sent if survey is not None]


def _survey(request: Request, audience: str, address: str, now: datetime) -> Survey | None:
    recent = Survey.objects.filter(cell_id=request.cell_id, address__iexact=address, sent_at__gt=now - ONE_A_WEEK)
    if recent.exists():
        return None  # one survey a week at most, to the same person
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                cell_id=request.cell_id,
                request=request,
                audience=audience,
                address=address,
                token=secrets.token_urlsafe(32),
                sent_at=now,
            )
    except IntegrityError:
        return None  # this request's survey for this audience was already sent
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse("survey_answer", kwargs={"token": survey.token})
        body = render_to_string("surveys/invitation.txt", {"cell": request.cell, "url": url, "audience": audience})
        subject = _("[Aiguillage] One minute for the coordination cell %(cell)s?") % {"cell": request.cell.name}
    email_about(request, MessageKind.SURVEY, address, subject, body, key=f"{MessageKind.SURVEY}:{survey.pk}", at=now)
    return survey


def survey_by_token(token: str) -> Survey:
    survey = Survey.objects.select_related("cell").filter(token=token).first()
    if survey is None:
        raise DomainError(LINK_INVALID, code="invalid")
    return survey


def check_open(survey: Survey, now: datetime) -> None:
    if survey.answered_at is not None:
        raise DomainError(ALREADY_ANSWERED, code="answered")
    if survey.sent_at + ANSWER_WITHIN < now:
        raise DomainError(EXPIRED, code="expired")


@transaction.atomic
def survey_answer(*, token: str, scores: dict[str, int], comment: str = "", now: datetime | None = None) -> Survey:
    """Record the answer once: a second submission (a double click, the link opened twice) is refused."""
    now = now or timezone.now()
    survey = survey_by_token(token)
    check_open(survey, now)
    for code, _label in QUESTIONS[survey.audience]:
        value = scores.get(code)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise DomainError(SCORE_REQUIRED, field=code)
    taken = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        answered_at=now, comment=comment.strip()[:2000]
    )
    if not taken:
        raise DomainError(ALREADY_ANSWERED, code="answered")
    Score.objects.bulk_create(
        [Score(survey=survey, question=code, value=scores[code]) for code, _label in QUESTIONS[survey.audience]]
    )
    survey.refresh_from_db()
    return survey


@dataclass(frozen=True)
class QuestionResult:
    audience: str
    question: str
    label: str
    answers: int
    average: float | None


@dataclass(frozen=True)
class Results:
    sent: dict[str, int]
    answered: dict[str, int]
    questions: list[QuestionResult]
    comments: list[tuple[str, str]]


def results(cell: Cell, period: Period) -> Results:
    """The surveys sent in the period, how many were answered, the average mark of each question (SQL)."""
    surveys = Survey.objects.filter(cell=cell, sent_at__gte=period.starts, sent_at__lt=period.ends)
    counts = surveys.values("audience").annotate(
        sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    )
    marks = {
        (row["survey__audience"], row["question"]): (row["answers"], row["average"])
        for row in Score.objects.filter(survey__in=surveys.values("pk"))
        .values("survey__audience", "question")
        .annotate(answers=Count("pk"), average=Avg("value"))
    }
    questions = []
    for audience, asked in QUESTIONS.items():
        for code, label in asked:
            answers, average = marks.get((audience, code), (0, None))
            questions.append(
                QuestionResult(audience, code, str(label), answers, round(average, 2) if average is not None else None)
            )
    comments = list(surveys.exclude(comment="").order_by("-answered_at").values_list("audience", "comment")[:50])
    return Results(
        sent={row["audience"]: row["sent"] for row in counts},
        answered={row["audience"]: row["answered"] for row in counts},
        questions=questions,
        comments=comments,
    )
