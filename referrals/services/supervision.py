"""The supervising doctor: questions from the coordinators, answers, and the duty roster."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role, User
from common.errors import DomainError
from territory.models import Cell

from ..models import (
    DutyShift,
    EventKind,
    Request,
    SupervisorDecision,
    SupervisorQuestion,
)
from ..signals import supervisor_asked
from ..states import OPEN, Status
from ._core import (
    DECISION_REQUIRED,
    NOT_OPEN,
    _event,
    _locked,
    _move,
    _require_handler,
)

QUESTION_REQUIRED = _("Write the question for the supervising doctor.")
ALREADY_ANSWERED = _("This question has already been answered.")
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
    _tell_supervisors(request, asked, now)
    return asked


def _tell_supervisors(request: Request, asked: SupervisorQuestion, now: datetime) -> None:
    """The supervisor on duty is told at once; with nobody on duty, every supervisor of the cell."""
    supervisors = Membership.objects.filter(cell=request.cell, role=Role.SUPERVISOR, is_active=True)
    on_duty = supervisor_on_duty(request.cell, now)
    if on_duty is not None and supervisors.filter(user=on_duty).exists():
        supervisors = supervisors.filter(user=on_duty)
    supervisor_asked.send(
        sender=Request,
        request=request,
        question_pk=asked.pk,
        at=now,
        supervisors=list(supervisors.select_related("user", "professional")),
    )


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
    if request.status not in OPEN:
        raise DomainError(NOT_OPEN, field="decision")
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


SHIFT_ORDER = _("A shift ends after it starts.")
SHIFT_NOT_SUPERVISOR = _("Choose a supervising doctor of the cell.")


def shift_add(*, cell: Cell, supervisor: User, starts_at: datetime, ends_at: datetime) -> DutyShift:
    if starts_at >= ends_at:
        raise DomainError(SHIFT_ORDER, field="ends_at")
    if not supervisor.memberships.filter(cell=cell, role=Role.SUPERVISOR, is_active=True).exists():
        raise DomainError(SHIFT_NOT_SUPERVISOR, field="supervisor")
    return DutyShift.objects.create(cell=cell, supervisor=supervisor, starts_at=starts_at, ends_at=ends_at)


def answers_read(*, request: Request, user: User, now: datetime | None = None) -> list[SupervisorQuestion]:
    """A coordinator opened the request: the supervisor's answers not read yet are shown at the top of the page, and
    from now on read (the queue stops showing an answer waiting). Returns them, as they were before."""
    now = now or timezone.now()
    unread = list(
        SupervisorQuestion.objects.filter(request=request, answered_at__isnull=False, read_at__isnull=True)
        .select_related("answered_by")
        .order_by("answered_at")
    )
    if unread:
        SupervisorQuestion.objects.filter(pk__in=[question.pk for question in unread]).update(read_at=now)
    return unread
