"""Writes to requests. Each service locks the request, checks the move against `states.MOVES`, writes the change
and one timeline event, in one transaction."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import Role, User
from common.errors import DomainError
from common.text import normalize
from directory.models import Professional, ReorientationResource, Site
from territory.models import Cell, Commune
from territory.selectors import commune_in_cell

from . import protocol
from .deadlines import deadline_for
from .models import (
    FAILED_OUTCOMES,
    CallbackOutcome,
    CareChannel,
    Channel,
    DuplicateFlag,
    DutyShift,
    EventKind,
    Modality,
    Partner,
    ProtocolQuestion,
    ProtocolRule,
    PublicSubmission,
    Qualification,
    QuestionKind,
    ReferralSettings,
    Request,
    RequestEvent,
    SupervisorDecision,
    SupervisorQuestion,
    Urgency,
)
from .models import Callback as CallbackAttempt
from .states import OPEN, CloseReason, IllegalMove, Status, check_move

VITAL_EMERGENCY = _("A vital emergency is not unscheduled care: call the 15 now. Nothing has been recorded.")
PHONE_REQUIRED = _("Give the patient's phone, or say that you answer for the patient.")
EXAM_REQUIRED = _("Say which imaging exam is wanted.")
REQUESTER_REQUIRED = _("Say who sends the request.")
REQUESTER_OF_OTHER_CELL = _("This requester does not belong to the cell.")
HELD_BY_OTHER = _("%(name)s is handling this request: wait, or ask them to release it.")
NOT_OPEN = _("This request is no longer open.")
CLOSE_REASON_REQUIRED = _("Say why the request is closed.")
RESOURCE_REQUIRED = _("Choose where the patient is sent.")
RESOURCE_OF_OTHER_CELL = _("This resource does not belong to the cell.")
BIRTH_DATE_IN_FUTURE = _("A date of birth cannot be in the future.")


class VitalEmergency(DomainError):
    def __init__(self) -> None:
        super().__init__(VITAL_EMERGENCY, field="vital_emergency", code="vital_emergency")


def settings_for(cell: Cell) -> ReferralSettings:
    found, _created = ReferralSettings.objects.get_or_create(cell=cell)
    return found


def _event(
    request: Request,
    *,
    at: datetime,
    actor: User | None,
    kind: str,
    text: str = "",
    from_status: str = "",
    to_status: str = "",
    visible_to_requester: bool = True,
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        at=at,
        actor=actor,
        kind=kind,
        text=text,
        from_status=from_status,
        to_status=to_status,
        visible_to_requester=visible_to_requester,
    )


def _move(request: Request, target: Status, *, actor: User | None, at: datetime, text: str = "") -> None:
    try:
        check_move(request.status, target)
    except IllegalMove as error:
        raise DomainError(error.message, code="illegal_move") from error
    previous = request.status
    request.status = target
    request.last_activity_at = at
    if target not in OPEN:
        request.holder = None
        request.held_since = None
    _event(request, at=at, actor=actor, kind=EventKind.MOVE, from_status=previous, to_status=target, text=text)


def _locked(request: Request) -> Request:
    """The request re-read under a row lock, so that two coordinators' actions are applied one after the other."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock a request only inside a transaction")
    return Request.objects.select_for_update().get(pk=request.pk)


@dataclass(frozen=True)
class PatientData:
    last_name: str
    first_name: str
    commune: Commune
    birth_date: date | None = None
    sex: str = ""
    street: str = ""
    phone: PhoneNumber | str = ""
    requester_answers: bool = False
    mt_name: str = ""
    mt_situation: str = "no_mt"


@dataclass(frozen=True)
class NeedData:
    reason: str
    reason_category: str
    care_channel: str
    urgency: str
    elsewhere: str
    exam_type: str = ""


@transaction.atomic
def request_create(
    *,
    cell: Cell,
    channel: str,
    patient: PatientData,
    need: NeedData,
    submitted_by: User | None,
    requester_professional: Professional | None = None,
    requester_site: Site | None = None,
    partner: Partner | None = None,
    vital_emergency: bool = False,
    submission_key: str = "",
    now: datetime | None = None,
) -> Request:
    """Record a request: received (or to validate, from a QR code), with its deadline and a first timeline line.

    A vital emergency is refused before anything is stored. The same `submission_key` twice returns the first request
    (a double submit creates one request). A patient matching an open request is flagged on both, never merged.
    """
    if vital_emergency:
        raise VitalEmergency()
    now = now or timezone.now()
    if submission_key:
        existing = Request.objects.filter(cell=cell, submission_key=submission_key).first()
        if existing is not None:
            return existing
    if channel != Channel.QR and requester_professional is None and requester_site is None:
        raise DomainError(REQUESTER_REQUIRED, field="requester")
    for record, field in ((requester_professional, "requester_professional"), (requester_site, "requester_site")):
        if record is not None and record.cell_id != cell.pk:
            raise DomainError(REQUESTER_OF_OTHER_CELL, field=field)
    if not patient.phone and not patient.requester_answers:
        raise DomainError(PHONE_REQUIRED, field="patient_phone")
    if patient.birth_date and patient.birth_date > timezone.localdate(now):
        raise DomainError(BIRTH_DATE_IN_FUTURE, field="patient_birth_date")
    if need.care_channel == CareChannel.IMAGING and not need.exam_type:
        raise DomainError(EXAM_REQUIRED, field="exam_type")
    status = Status.TO_VALIDATE if channel == Channel.QR else Status.RECEIVED
    request = Request(
        cell=cell,
        reference=uuid.uuid4().hex[:20],
        channel=channel,
        status=status,
        received_at=now,
        deadline_at=deadline_for(now, need.urgency),
        requester_professional=requester_professional,
        requester_site=requester_site,
        submitted_by=submitted_by,
        partner=partner,
        patient_last_name=patient.last_name.strip(),
        patient_first_name=patient.first_name.strip(),
        patient_search_name=normalize(f"{patient.last_name} {patient.first_name}"),
        patient_birth_date=patient.birth_date,
        patient_sex=patient.sex,
        patient_street=patient.street,
        patient_commune=patient.commune,
        patient_phone=patient.phone or "",
        requester_answers=patient.requester_answers,
        mt_name=patient.mt_name.strip(),
        mt_situation=patient.mt_situation,
        reason=need.reason.strip(),
        reason_category=need.reason_category,
        care_channel=need.care_channel,
        exam_type=need.exam_type if need.care_channel == CareChannel.IMAGING else "",
        urgency=need.urgency,
        elsewhere=need.elsewhere,
        submission_key=submission_key,
        last_activity_at=now,
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        # The same submission, saved a moment ago by a concurrent double click.
        existing = Request.objects.filter(cell=cell, submission_key=submission_key).first() if submission_key else None
        if existing is None:
            raise
        return existing
    request.reference = f"D{now.year % 100:02d}-{request.pk:06d}"
    request.save(update_fields=["reference"])
    _event(request, at=now, actor=submitted_by, kind=EventKind.MOVE, to_status=status, text=str(Channel(channel).label))
    _flag_duplicates(request, now=now)
    return request


def _flag_duplicates(request: Request, *, now: datetime) -> None:
    same_patient = Q(patient_birth_date=request.patient_birth_date) if request.patient_birth_date else Q(pk__in=[])
    if request.patient_phone:
        same_patient |= Q(patient_phone=request.patient_phone)
    twins = (
        Request.objects.filter(cell=request.cell, patient_search_name=request.patient_search_name, status__in=OPEN)
        .filter(same_patient)
        .exclude(pk=request.pk)
    )
    for twin in twins:
        first, second = sorted((twin.pk, request.pk))
        DuplicateFlag.objects.get_or_create(first_id=first, second_id=second)
        for one, other in ((request, twin), (twin, request)):
            _event(one, at=now, actor=None, kind=EventKind.DUPLICATE, text=other.reference, visible_to_requester=False)


@transaction.atomic
def request_take(*, request: Request, user: User, now: datetime | None = None) -> Request:
    """The coordinator takes the request: nobody else calls this patient until it is released or left idle."""
    now = now or timezone.now()
    request = _locked(request)
    if request.status not in OPEN:
        raise DomainError(NOT_OPEN, code="not_open")
    idle = timedelta(minutes=settings_for(request.cell).hold_idle_minutes)
    if request.is_held_by_other(user.pk, now, idle):
        raise DomainError(HELD_BY_OTHER % {"name": request.holder}, code="held")
    if request.holder_id != user.pk:
        request.holder, request.held_since = user, now
        _event(request, at=now, actor=user, kind=EventKind.TAKEN, visible_to_requester=False)
    if request.status == Status.RECEIVED:
        _move(request, Status.IN_PROGRESS, actor=user, at=now)
    request.last_activity_at = now
    request.save()
    return request


@transaction.atomic
def request_release(*, request: Request, user: User, now: datetime | None = None) -> Request:
    now = now or timezone.now()
    request = _locked(request)
    if request.holder_id == user.pk:
        request.holder, request.held_since = None, None
        request.save(update_fields=["holder", "held_since"])
        _event(request, at=now, actor=user, kind=EventKind.RELEASED, visible_to_requester=False)
    return request


def _require_handler(request: Request, user: User, now: datetime) -> None:
    idle = timedelta(minutes=settings_for(request.cell).hold_idle_minutes)
    if request.is_held_by_other(user.pk, now, idle):
        raise DomainError(HELD_BY_OTHER % {"name": request.holder}, code="held")


@dataclass(frozen=True)
class CallbackResult:
    request: Request
    attempt: CallbackAttempt
    propose_unreachable: bool


@transaction.atomic
def callback_log(
    *,
    request: Request,
    user: User,
    outcome: str,
    next_try_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CallbackResult:
    """Record one attempt to call the patient back. After the cell's number of failed attempts, closing the request
    as unreachable is proposed (the coordinator decides)."""
    now = now or timezone.now()
    request = _locked(request)
    if request.status not in OPEN:
        raise DomainError(NOT_OPEN, code="not_open")
    _require_handler(request, user, now)
    attempt = CallbackAttempt.objects.create(
        request=request, at=now, by=user, outcome=outcome, next_try_at=next_try_at, note=note
    )
    if outcome in FAILED_OUTCOMES:
        request.failed_callbacks += 1
    request.holder, request.held_since = request.holder or user, request.held_since or now
    if request.status == Status.RECEIVED:
        _move(request, Status.IN_PROGRESS, actor=user, at=now)
    request.last_activity_at = now
    request.save()
    label = str(CallbackOutcome(outcome).label)
    _event(
        request,
        at=now,
        actor=user,
        kind=EventKind.CALLBACK,
        text=f"{label}. {note}".strip(),
        visible_to_requester=False,
    )
    limit = settings_for(request.cell).max_failed_callbacks
    return CallbackResult(request, attempt, propose_unreachable=request.failed_callbacks >= limit)


@transaction.atomic
def request_close(*, request: Request, user: User, reason: str, note: str = "", now: datetime | None = None) -> Request:
    """Close a request that will not be oriented nor reoriented; the reason is kept and shown to the requester."""
    now = now or timezone.now()
    if reason not in CloseReason.values:
        raise DomainError(CLOSE_REASON_REQUIRED, field="reason")
    request = _locked(request)
    _require_handler(request, user, now)
    _move(request, Status.CLOSED, actor=user, at=now, text=f"{CloseReason(reason).label}. {note}".strip())
    request.close_reason = reason
    request.save()
    return request


@transaction.atomic
def request_reorient(
    *,
    request: Request,
    user: User,
    resource: ReorientationResource | None,
    note: str = "",
    now: datetime | None = None,
) -> Request:
    """Send the patient to the most suitable resource of the directory; the requester sees where and why."""
    now = now or timezone.now()
    if resource is None:
        raise DomainError(RESOURCE_REQUIRED, field="resource")
    request = _locked(request)
    if resource.cell_id != request.cell_id:
        raise DomainError(RESOURCE_OF_OTHER_CELL, field="resource")
    _require_handler(request, user, now)
    _move(request, Status.REORIENTED, actor=user, at=now, text=f"{resource.name}. {note}".strip())
    request.reoriented_to = resource
    request.save()
    return request


@transaction.atomic
def request_validate(*, request: Request, user: User, now: datetime | None = None) -> Request:
    """A coordinator accepts a QR-code self-registration into the queue."""
    now = now or timezone.now()
    request = _locked(request)
    _move(request, Status.RECEIVED, actor=user, at=now)
    request.save()
    return request


@transaction.atomic
def request_add_note(
    *, request: Request, user: User, text: str, visible_to_requester: bool = False, now: datetime | None = None
) -> RequestEvent:
    now = now or timezone.now()
    request = _locked(request)
    request.last_activity_at = now
    request.save(update_fields=["last_activity_at"])
    return _event(
        request, at=now, actor=user, kind=EventKind.NOTE, text=text.strip(), visible_to_requester=visible_to_requester
    )


QUESTION_REQUIRED = _("Write the question for the supervising doctor.")
ALREADY_ANSWERED = _("This question has already been answered.")
DECISION_REQUIRED = _("Give a decision.")
NOT_A_SUPERVISOR = _("Only a supervising doctor of the cell answers.")


def supervisor_on_duty(cell: Cell, at: datetime | None = None) -> User | None:
    """The supervising doctor whose shift covers `at` (the latest started if shifts overlap), or None."""
    at = at or timezone.now()
    shift = (
        DutyShift.objects.filter(cell=cell, starts_at__lte=at, ends_at__gt=at)
        .select_related("supervisor")
        .order_by("-starts_at")
        .first()
    )
    return shift.supervisor if shift else None


@transaction.atomic
def question_ask(*, request: Request, user: User, question: str, now: datetime | None = None) -> SupervisorQuestion:
    """Ask the supervising doctor when in doubt: the request waits for the answer (and stays in the queue)."""
    now = now or timezone.now()
    if not question.strip():
        raise DomainError(QUESTION_REQUIRED, field="question")
    request = _locked(request)
    _require_handler(request, user, now)
    if request.status != Status.WAITING_SUPERVISOR:
        _move(request, Status.WAITING_SUPERVISOR, actor=user, at=now)
    request.save()
    asked = SupervisorQuestion.objects.create(request=request, asked_by=user, asked_at=now, question=question.strip())
    _event(request, at=now, actor=user, kind=EventKind.QUESTION, text=question.strip(), visible_to_requester=False)
    return asked


@transaction.atomic
def question_answer(
    *, question: SupervisorQuestion, user: User, decision: str, answer: str = "", now: datetime | None = None
) -> SupervisorQuestion:
    """The supervising doctor answers with a decision and a note; the request goes back to the coordinators."""
    now = now or timezone.now()
    if decision not in SupervisorDecision.values:
        raise DomainError(DECISION_REQUIRED, field="decision")
    question = SupervisorQuestion.objects.select_for_update().select_related("request").get(pk=question.pk)
    if question.answered_at is not None:
        raise DomainError(ALREADY_ANSWERED, field="decision")
    if not user.memberships.filter(cell=question.request.cell_id, role=Role.SUPERVISOR, is_active=True).exists():
        raise DomainError(NOT_A_SUPERVISOR, field="decision")
    request = _locked(question.request)
    question.answered_by, question.answered_at = user, now
    question.decision, question.answer = decision, answer.strip()
    question.save()
    label = str(SupervisorDecision(decision).label)
    _event(
        request,
        at=now,
        actor=user,
        kind=EventKind.ANSWER,
        text=f"{label}. {answer}".strip(),
        visible_to_requester=False,
    )
    still_waiting = SupervisorQuestion.objects.filter(request=request, answered_at__isnull=True).exists()
    if request.status == Status.WAITING_SUPERVISOR and not still_waiting:
        _move(request, Status.IN_PROGRESS, actor=user, at=now)
        request.save()
    return question


@transaction.atomic
def duplicate_decide(*, flag: DuplicateFlag, user: User, decision: str, now: datetime | None = None) -> DuplicateFlag:
    """A coordinator says whether two flagged requests are the same patient; nothing is merged either way."""
    now = now or timezone.now()
    if decision not in (DuplicateFlag.Decision.LINKED, DuplicateFlag.Decision.DISMISSED):
        raise DomainError(DECISION_REQUIRED, field="decision")
    flag = DuplicateFlag.objects.select_for_update().select_related("first", "second").get(pk=flag.pk)
    flag.decision, flag.decided_by, flag.decided_at = decision, user, now
    flag.save()
    label = str(DuplicateFlag.Decision(decision).label)
    for one, other in ((flag.first, flag.second), (flag.second, flag.first)):
        _event(
            one,
            at=now,
            actor=user,
            kind=EventKind.DUPLICATE,
            text=f"{other.reference} : {label}",
            visible_to_requester=False,
        )
    return flag


SHIFT_ORDER = _("A shift ends after it starts.")
SHIFT_NOT_SUPERVISOR = _("Choose a supervising doctor of the cell.")


def shift_add(*, cell: Cell, supervisor: User, starts_at: datetime, ends_at: datetime) -> DutyShift:
    if starts_at >= ends_at:
        raise DomainError(SHIFT_ORDER, field="ends_at")
    if not supervisor.memberships.filter(cell=cell, role=Role.SUPERVISOR, is_active=True).exists():
        raise DomainError(SHIFT_NOT_SUPERVISOR, field="supervisor")
    return DutyShift.objects.create(cell=cell, supervisor=supervisor, starts_at=starts_at, ends_at=ends_at)


PARTNER_OUTSIDE = _("%(commune)s is not in the territory of %(cell)s.")
PARTNER_DUPLICATE = _("The cell already has a partner with this name.")
TOO_MANY_SUBMISSIONS = _("Several requests were just sent from here. Please wait a few minutes, or ask the staff.")
PUBLIC_WINDOW = timedelta(minutes=10)
PUBLIC_MAX_PER_WINDOW = 5


@transaction.atomic
def partner_save(*, cell: Cell, partner: Partner | None = None, **fields: object) -> Partner:
    """Create or change a partner organisation; its commune lies in the cell's territory."""
    partner = partner or Partner(cell=cell)
    for name, value in fields.items():
        setattr(partner, name, value)
    if not commune_in_cell(partner.commune, cell):
        raise DomainError(
            _("%(commune)s is not in the territory of %(cell)s.") % {"commune": partner.commune, "cell": cell.name},
            field="commune",
        )
    if Partner.objects.filter(cell=cell, name__iexact=partner.name).exclude(pk=partner.pk).exists():
        raise DomainError(PARTNER_DUPLICATE, field="name")
    partner.save()
    return partner


def public_throttle(*, partner: Partner, address: str, now: datetime | None = None) -> None:
    """At most a few self-registrations per address and partner every few minutes; the address itself is not kept,
    only a keyed hash of it, for a day."""
    now = now or timezone.now()
    key = hmac.new(django_settings.SECRET_KEY.encode(), f"{partner.token}|{address}".encode(), hashlib.sha256)
    digest = key.hexdigest()
    PublicSubmission.objects.filter(at__lt=now - timedelta(days=1)).delete()
    recent = PublicSubmission.objects.filter(key=digest, at__gte=now - PUBLIC_WINDOW).count()
    if recent >= PUBLIC_MAX_PER_WINDOW:
        raise DomainError(TOO_MANY_SUBMISSIONS, code="throttled")
    PublicSubmission.objects.create(key=digest, at=now)


YES_LABEL = pgettext_lazy("answer", "Yes")
NO_LABEL = pgettext_lazy("answer", "No")
ANSWER_NOT_A_CHOICE = _("“%(answer)s” is not one of the answers offered.")
ANSWER_NOT_A_NUMBER = _("Give a number.")
ANSWER_NOT_YES_NO = _("Answer yes or no.")
REASON_REQUIRED_TO_OVERRIDE = _("Say why you decide otherwise than the protocol suggests.")
RED_FLAG_STOPS = _("Red flag: %(flags)s. This is not unscheduled care: call the 15, then close the request.")


def protocol_for(cell: Cell) -> tuple[list[ProtocolQuestion], list[protocol.Question], list[protocol.Rule]]:
    """The cell's active questions, and the same as plain data for `protocol.evaluate` (questions keyed by pk)."""
    questions = list(ProtocolQuestion.objects.filter(cell=cell, is_active=True).prefetch_related("rules"))
    plain = [
        protocol.Question(str(q.pk), q.text, q.kind, tuple(q.choice_list), q.red_flag, q.red_flag_message)
        for q in questions
    ]
    rules = [
        protocol.Rule(str(q.pk), rule.answer, rule.care_channel, rule.modality, rule.urgency, rule.note)
        for q in questions
        for rule in q.rules.all()
    ]
    return questions, plain, rules


def _check_answers(questions: list[ProtocolQuestion], answers: dict[str, str]) -> None:
    for question in questions:
        answer = answers.get(str(question.pk), "").strip()
        if not answer:
            continue
        field = f"q{question.pk}"
        if question.kind == QuestionKind.YES_NO and answer not in ("yes", "no"):
            raise DomainError(ANSWER_NOT_YES_NO, field=field)
        if question.kind == QuestionKind.CHOICE and answer not in question.choice_list:
            raise DomainError(ANSWER_NOT_A_CHOICE % {"answer": answer}, field=field)
        if question.kind == QuestionKind.NUMBER:
            try:
                float(answer.replace(",", "."))
            except ValueError as error:
                raise DomainError(ANSWER_NOT_A_NUMBER, field=field) from error


def suggestion_labels(outcome: protocol.Outcome) -> list[str]:
    """The protocol's suggestion in words, for people."""
    labels = []
    if outcome.care_channel:
        labels.append(str(CareChannel(outcome.care_channel).label))
    if outcome.modality:
        labels.append(str(Modality(outcome.modality).label))
    if outcome.urgency:
        labels.append(str(Urgency(outcome.urgency).label))
    return labels


def _answer_as_said(question: ProtocolQuestion, answer: str) -> str:
    """The answer in words, as kept in the qualification (oui / non rather than yes / no)."""
    if question.kind == QuestionKind.YES_NO and answer in ("yes", "no"):
        return str(YES_LABEL if answer == "yes" else NO_LABEL)
    return answer


def qualification_preview(*, cell: Cell, answers: dict[str, str]) -> protocol.Outcome:
    _questions, plain, rules = protocol_for(cell)
    return protocol.evaluate(plain, rules, answers)


@transaction.atomic
def qualification_record(
    *,
    request: Request,
    user: User,
    answers: dict[str, str],
    care_channel: str = "",
    modality: str = "",
    urgency: str = "",
    exam_type: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> Qualification:
    """Keep the answers, the protocol's suggestion and the coordinator's decision with its reason.

    A red flag stops here: the qualification is kept and the coordinator is told to call the 15 (the request is then
    closed as 'sent to the 15'). An empty decision takes the suggestion, else the request's current value. Deciding
    otherwise than the suggestion needs a reason. The decision updates the request (and its deadline by urgency).
    """
    now = now or timezone.now()
    questions, plain, rules = protocol_for(request.cell)
    _check_answers(questions, answers)
    outcome = protocol.evaluate(plain, rules, answers)
    request = _locked(request)
    if request.status not in OPEN:
        raise DomainError(NOT_OPEN, code="not_open")
    _require_handler(request, user, now)
    decided_channel = care_channel or outcome.care_channel or request.care_channel
    decided_modality = modality or outcome.modality or request.modality
    decided_urgency = urgency or outcome.urgency or request.urgency
    overridden = any(
        chosen and suggested and chosen != suggested
        for chosen, suggested in (
            (care_channel, outcome.care_channel),
            (modality, outcome.modality),
            (urgency, outcome.urgency),
        )
    )
    if overridden and not reason.strip():
        raise DomainError(REASON_REQUIRED_TO_OVERRIDE, field="reason")
    if decided_channel == CareChannel.IMAGING and not (exam_type or request.exam_type):
        raise DomainError(EXAM_REQUIRED, field="exam_type")
    qualification = Qualification.objects.create(
        request=request,
        by=user,
        at=now,
        answers=[{"question": q.text, "answer": _answer_as_said(q, answers.get(str(q.pk), ""))} for q in questions],
        red_flags=outcome.red_flags,
        suggested_care_channel=outcome.care_channel,
        suggested_modality=outcome.modality,
        suggested_urgency=outcome.urgency,
        care_channel=decided_channel,
        modality=decided_modality,
        urgency=decided_urgency,
        reason=reason.strip(),
    )
    if outcome.stop:
        _event(
            request,
            at=now,
            actor=user,
            kind=EventKind.QUALIFIED,
            visible_to_requester=False,
            text=str(RED_FLAG_STOPS % {"flags": "; ".join(outcome.red_flags)}),
        )
        request.last_activity_at = now
        request.save()
        return qualification
    request.care_channel, request.modality, request.urgency = decided_channel, decided_modality, decided_urgency
    if decided_channel == CareChannel.IMAGING:
        request.exam_type = exam_type or request.exam_type
    else:
        request.exam_type = ""
    request.deadline_at = deadline_for(request.received_at, decided_urgency)
    request.last_activity_at = now
    if request.status == Status.RECEIVED:
        _move(request, Status.IN_PROGRESS, actor=user, at=now)
    request.save()
    summary = " · ".join(
        str(label)
        for label in (
            CareChannel(decided_channel).label,
            Modality(decided_modality).label if decided_modality else "",
            Urgency(decided_urgency).label,
        )
        if label
    )
    _event(
        request,
        at=now,
        actor=user,
        kind=EventKind.QUALIFIED,
        visible_to_requester=False,
        text=f"{summary}. {reason.strip()}".strip(),
    )
    return qualification


CHOICES_REQUIRED = _("A choice question needs at least two answers, one per line.")
CONDITION_YES_NO = _("Write oui or non.")
CONDITION_CHOICE = _("Write one of the question's answers.")
CONDITION_NUMBER = _("Write a bound such as >=39, <90 or =0.")
_BOUND = re.compile(r"(>=|<=|>|<|=)\s*-?\d+(?:[.,]\d+)?")
SUGGESTION_REQUIRED = _("A rule suggests a care, a modality or an urgency.")


_YES_NO_WORDS = {"oui": "yes", "non": "no", "yes": "yes", "no": "no"}


def _normalise_condition(question: ProtocolQuestion, value: str) -> str:
    """Administrators may write oui / non: stored as yes / no, the values of the answers."""
    value = value.strip()
    if question.kind == QuestionKind.YES_NO:
        return _YES_NO_WORDS.get(value.casefold(), value)
    return value


def _check_condition(question: ProtocolQuestion, value: str, field: str) -> None:
    value = value.strip()
    if not value:
        return
    if question.kind == QuestionKind.YES_NO and value not in ("yes", "no"):
        raise DomainError(CONDITION_YES_NO, field=field)
    if question.kind == QuestionKind.CHOICE and value not in question.choice_list:
        raise DomainError(CONDITION_CHOICE, field=field)
    if question.kind == QuestionKind.NUMBER and not _BOUND.fullmatch(value):
        raise DomainError(CONDITION_NUMBER, field=field)


@transaction.atomic
def protocol_question_save(*, cell: Cell, question: ProtocolQuestion | None = None, **fields: Any) -> ProtocolQuestion:
    """A question of the cell's protocol; its red-flag answer must make sense for its kind."""
    question = question or ProtocolQuestion(cell=cell)
    for name, value in fields.items():
        setattr(question, name, value)
    if question.kind == QuestionKind.CHOICE and len(question.choice_list) < 2:
        raise DomainError(CHOICES_REQUIRED, field="choices")
    question.red_flag = _normalise_condition(question, question.red_flag)
    _check_condition(question, question.red_flag, "red_flag")
    question.save()
    return question


@transaction.atomic
def protocol_rule_save(*, question: ProtocolQuestion, rule: ProtocolRule | None = None, **fields: Any) -> ProtocolRule:
    rule = rule or ProtocolRule(question=question)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.answer = _normalise_condition(question, rule.answer)
    _check_condition(question, rule.answer, "answer")
    if not rule.answer.strip():
        raise DomainError(
            CONDITION_CHOICE if question.kind == QuestionKind.CHOICE else CONDITION_YES_NO, field="answer"
        )
    if not (rule.care_channel or rule.modality or rule.urgency):
        raise DomainError(SUGGESTION_REQUIRED, field="care_channel")
    rule.save()
    return rule
