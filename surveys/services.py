"""Who is surveyed, the answer, and the results.

After a request is handled — the patient seen, or reoriented — its requester (and, when the patient was seen, the
effector) may get a survey by e-mail: a share of the cell's handled requests chosen by a stable draw (the same
request always gives the same answer), and never more than one survey a week to the same address.

A seen patient of the sample may get one question by SMS (`patient_survey`): once per request, when the request
becomes seen — after its last session for a series (the request is seen once all its sessions are recorded): the
patient judges the care as a whole, and is not asked while it is still going on.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import DomainError
from common.periods import Period
from common.phones import takes_sms
from notifications.models import Message, MessageChannel, MessageKind
from notifications.selectors import is_opted_out
from notifications.services import email_about, message_queue, requester_address
from referrals.models import Request, RequestEvent
from referrals.states import Status
from territory.models import Cell

from .models import QUESTIONS, Audience, Score, Survey, SurveyPolicy
from .patient_sms import TOKEN_BYTES, survey_sms

ONE_A_WEEK = timedelta(days=7)
ANSWER_WITHIN = timedelta(days=30)
HANDLED = (Status.SEEN, Status.REORIENTED)

LINK_INVALID = gettext_lazy("This survey link is not valid.")
ALREADY_ANSWERED = gettext_lazy("This survey has already been answered: thank you.")
EXPIRED = gettext_lazy("This survey is closed: it could be answered for 30 days.")
SCORE_REQUIRED = gettext_lazy("Give a mark from 1 to 5.")
# The patient's SMS leaves a few hours after the appointment is recorded, in the day: not at night.
PATIENT_DELAY = timedelta(hours=3)
DAY_STARTS, DAY_ENDS = 10, 20  # hours, Europe/Paris
PARIS = ZoneInfo("Europe/Paris")


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
        if policy.patients_surveyed:
            sent.append(patient_survey(request=request, at=event.at))
    return [survey for survey in sent if survey is not None]


def patient_send_time(at: datetime) -> datetime:
    """When the patient's SMS leaves: PATIENT_DELAY after `at`, moved into the day (10:00 to 20:00, Paris time): a
    time before 10:00 becomes 10:00 that day, a time from 20:00 becomes 10:00 the next day."""
    when = (at + PATIENT_DELAY).astimezone(PARIS)
    if when.hour < DAY_STARTS:
        when = when.replace(hour=DAY_STARTS, minute=0, second=0, microsecond=0)
    elif when.hour >= DAY_ENDS:
        next_day = when.date() + timedelta(days=1)
        when = datetime(next_day.year, next_day.month, next_day.day, DAY_STARTS, tzinfo=PARIS)
    return when


def patient_survey(*, request: Request, at: datetime) -> Survey | None:
    """The seen patient's survey, by an SMS queued in the outbox to leave a few hours later (`patient_send_time`):
    once per request; not when the requester answers for the patient, nor for an anonymised request, nor without a
    mobile phone; not to a number whose patient declined messages (the outbox also holds back the SMS if they decline
    after it is queued) or asked on a survey's page not to be surveyed again; one survey a week at most per number.
    No health detail in the SMS: the cell's name and the link."""
    if request.requester_answers or request.anonymised_at is not None or not request.patient_phone:
        return None
    if not takes_sms(request.patient_phone):
        return None
    phone = request.patient_phone.as_e164
    if is_opted_out(request.cell_id, phone):
        return None
    if Survey.objects.filter(cell_id=request.cell_id, address=phone, no_more=True).exists():
        return None
    survey = _survey_create(request, Audience.PATIENT, phone, at, token=secrets.token_urlsafe(TOKEN_BYTES))
    if survey is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse("survey_answer", kwargs={"token": survey.token})
        text = survey_sms(request.cell.name, url).text
        subject = str(MessageKind.PATIENT_SURVEY.label)
    message_queue(
        Message(
            cell_id=request.cell_id,
            request=request,
            kind=MessageKind.PATIENT_SURVEY,
            channel=MessageChannel.SMS,
            to=phone,
            subject=subject,
            body=text,
            key=f"{MessageKind.PATIENT_SURVEY}:{survey.pk}",
            created_at=at,
            next_try_at=patient_send_time(at),
        )
    )
    return survey


def _survey_create(request: Request, audience: str, address: str, now: datetime, *, token: str) -> Survey | None:
    recent = Survey.objects.filter(cell_id=request.cell_id, address__iexact=address, sent_at__gt=now - ONE_A_WEEK)
    if recent.exists():
        return None  # one survey a week at most, to the same person
    try:
        with transaction.atomic():
            return Survey.objects.create(
                cell_id=request.cell_id,
                request=request,
                audience=audience,
                address=address,
                token=token,
                sent_at=now,
            )
    except IntegrityError:
        return None  # this request's survey for this audience was already sent


def _survey(request: Request, audience: str, address: str, now: datetime) -> Survey | None:
    survey = _survey_create(request, audience, address, now, token=secrets.token_urlsafe(32))
    if survey is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse("survey_answer", kwargs={"token": survey.token})
        body = render_to_string("surveys/invitation.txt", {"cell": request.cell, "url": url, "audience": audience})
        subject = _("[Aiguillage] One minute for the coordination cell %(cell)s?") % {"cell": request.cell.name}
    # A cell's name may take 150 characters: the subject is cut to what the outbox keeps (else no survey at all).
    subject = Truncator(subject).chars(Message._meta.get_field("subject").max_length or 200)
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
def survey_answer(
    *, token: str, scores: dict[str, int], comment: str = "", no_more: bool = False, now: datetime | None = None
) -> Survey:
    """Record the answer once: a second submission (a double click, the link opened twice) is refused. A patient may
    also ask not to be surveyed again (`no_more`): with their answer, or alone, without a mark nor a comment."""
    now = now or timezone.now()
    survey = survey_by_token(token)
    check_open(survey, now)
    no_more = no_more and survey.audience == Audience.PATIENT
    comment = comment.strip()[:2000]
    if no_more and not scores and not comment:
        Survey.objects.filter(pk=survey.pk).update(no_more=True)
        survey.refresh_from_db()
        return survey
    for code, _label in QUESTIONS[survey.audience]:
        value = scores.get(code)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise DomainError(SCORE_REQUIRED, field=code)
    taken = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        answered_at=now, comment=comment, no_more=no_more
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
