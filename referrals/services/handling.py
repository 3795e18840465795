"""Handling a request: taking it, calling back, reorienting, closing, notes, duplicates decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError
from directory.models import ReorientationResource

from ..models import (
    FAILED_OUTCOMES,
    CallbackOutcome,
    DuplicateFlag,
    EventKind,
    Request,
    RequestEvent,
)
from ..models import Callback as CallbackAttempt
from ..selectors import settings_for
from ..states import OPEN, ORIENTABLE, CloseReason, ReorientationReason, Status
from ._core import (
    DECISION_REQUIRED,
    HELD_BY_OTHER,
    NOT_OPEN,
    _announce,
    _event,
    _locked,
    _move,
    _require_handler,
)

NEXT_TRY_IN_PAST = _("The next try cannot be in the past.")
ALREADY_DECIDED = _("This possible duplicate has already been decided.")
CLOSE_REASON_REQUIRED = _("Say why the request is closed.")
RESOURCE_REQUIRED = _("Choose where the patient is sent.")
REORIENTATION_REASON_REQUIRED = _("Say why the patient is reoriented.")
RESOURCE_OF_OTHER_CELL = _("This resource does not belong to the cell.")


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
    if next_try_at is not None and next_try_at < now:
        raise DomainError(NEXT_TRY_IN_PAST, field="next_try_at")
    if outcome in FAILED_OUTCOMES:
        request.failed_callbacks += 1
    if request.holder_id != user.pk:
        # Nobody holds it, or the hold expired (checked above): the one calling now holds it.
        request.holder, request.held_since = user, now
        _event(request, at=now, actor=user, kind=EventKind.TAKEN, visible_to_requester=False)
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
    move = _move(request, Status.CLOSED, actor=user, at=now, text=f"{CloseReason(reason).label}. {note}".strip())
    request.close_reason = reason
    request.save()
    _announce(request, move)
    return request


@transaction.atomic
def request_reorient(
    *,
    request: Request,
    user: User,
    resource: ReorientationResource | None,
    reason: str = ReorientationReason.OTHER,
    note: str = "",
    now: datetime | None = None,
) -> Request:
    """Send the patient to the most suitable resource of the directory, with a coded reason (for the indicators);
    the requester sees where and why."""
    now = now or timezone.now()
    if resource is None:
        raise DomainError(RESOURCE_REQUIRED, field="resource")
    if reason not in ReorientationReason.values:
        raise DomainError(REORIENTATION_REASON_REQUIRED, field="reason")
    request = _locked(request)
    if resource.cell_id != request.cell_id:
        raise DomainError(RESOURCE_OF_OTHER_CELL, field="resource")
    _require_handler(request, user, now)
    label = ReorientationReason(reason).label
    move = _move(request, Status.REORIENTED, actor=user, at=now, text=f"{resource.name} ({label}). {note}".strip())
    request.reoriented_to = resource
    request.reorientation_reason = reason
    request.save()
    _announce(request, move)
    return request


@transaction.atomic
def request_validate(*, request: Request, user: User, now: datetime | None = None) -> Request:
    """A coordinator accepts a QR-code self-registration into the queue."""
    now = now or timezone.now()
    request = _locked(request)
    _require_handler(request, user, now)
    _move(request, Status.RECEIVED, actor=user, at=now)
    request.save()
    return request


@transaction.atomic
def request_add_note(
    *, request: Request, user: User, text: str, visible_to_requester: bool = False, now: datetime | None = None
) -> RequestEvent:
    now = now or timezone.now()
    request = _locked(request)
    _require_handler(request, user, now)
    request.last_activity_at = now
    request.save(update_fields=["last_activity_at"])
    return _event(
        request, at=now, actor=user, kind=EventKind.NOTE, text=text.strip(), visible_to_requester=visible_to_requester
    )


@transaction.atomic
def duplicate_decide(*, flag: DuplicateFlag, user: User, decision: str, now: datetime | None = None) -> DuplicateFlag:
    """A coordinator says whether two flagged requests are the same patient; nothing is merged either way."""
    now = now or timezone.now()
    if decision not in (DuplicateFlag.Decision.LINKED, DuplicateFlag.Decision.DISMISSED):
        raise DomainError(DECISION_REQUIRED, field="decision")
    flag = DuplicateFlag.objects.select_for_update().select_related("first", "second").get(pk=flag.pk)
    if flag.decision != DuplicateFlag.Decision.PENDING:
        raise DomainError(ALREADY_DECIDED, field="decision")
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


ORIENT_NOT_ALLOWED = _("This request cannot be oriented now (it is “%(status)s”).")


def request_lock(request: Request) -> Request:
    """The request re-read under its row lock, for another app's transaction (the agenda's booking)."""
    return _locked(request)


def request_log_alerts(*, request: Request, user: User | None, at: datetime, text: str) -> RequestEvent:
    """Inside an alert cascade's transaction: a line on the timeline (for the cell only) saying who was alerted, who
    answered, or that nobody did."""
    return _event(request, at=at, actor=user, kind=EventKind.ALERT, text=text, visible_to_requester=False)


def request_check_orientable(*, request: Request, user: User, now: datetime, by_alert: bool = False) -> None:
    """Raise unless this user may orient this (locked) request now. An effector's acceptance of an alert
    (`by_alert`) orients it whoever holds it: the cell asked for it."""
    if request.status not in ORIENTABLE:
        raise DomainError(ORIENT_NOT_ALLOWED % {"status": Status(request.status).label}, field="slot")
    if not by_alert:
        _require_handler(request, user, now)


def request_orient(
    *, request: Request, user: User, at: datetime, modality: str, where: str, booking: Any = None
) -> Request:
    """Inside the booking's transaction: the (locked) request is oriented to an appointment (`booking`)."""
    request.modality = modality
    move = _move(request, Status.ORIENTED, actor=user, at=at, text=where)
    request.save()
    _announce(request, move, booking)
    return request


def request_appointment_cancelled(
    *, request: Request, user: User | None, at: datetime, reason: str = "", booking: Any = None
) -> Request:
    """Inside the cancellation's transaction (of `booking`): the request goes back to the coordinators."""
    if request.status == Status.ORIENTED:
        move = _move(request, Status.APPOINTMENT_CANCELLED, actor=user, at=at, text=reason.strip())
        request.save()
        _announce(request, move, booking)
    return request


def request_appointment_outcome(
    *,
    request: Request,
    user: User,
    at: datetime,
    seen: bool,
    note: str = "",
    follow_up_needed: bool = False,
    booking: Any = None,
) -> Request:
    """Inside the outcome's transaction (of `booking`, the last of a series): seen or no-show, with the note for the
    médecin traitant."""
    text = note.strip()
    if follow_up_needed:
        text = f"{text} {FOLLOW_UP_NEEDED}".strip()
    move = _move(request, Status.SEEN if seen else Status.NO_SHOW, actor=user, at=at, text=text)
    request.save()
    _announce(request, move, booking)
    return request


FOLLOW_UP_NEEDED = _("Follow-up needed.")


def request_debriefed(*, request: Request, user: User, at: datetime, text: str) -> RequestEvent:
    """Inside the debrief's transaction: the spot IDEL's debrief on the request's timeline, for the coordinators
    (health details: not shown to the requester)."""
    event = _event(request, at=at, actor=user, kind=EventKind.DEBRIEF, text=text, visible_to_requester=False)
    _announce(request, event)
    return event


APPOINTMENT_NOT_MOVABLE = _("Only an appointment to come of an oriented request can be moved.")


def request_appointment_moved(
    *, request: Request, user: User, at: datetime, where: str, booking: Any = None
) -> Request:
    """Inside the move's transaction: the (locked) request stays oriented; its timeline says where it now goes."""
    if request.status != Status.ORIENTED:
        raise DomainError(APPOINTMENT_NOT_MOVABLE, field="slot")
    _require_handler(request, user, at)
    request.last_activity_at = at
    request.save(update_fields=["last_activity_at"])
    moved = _event(request, at=at, actor=user, kind=EventKind.APPOINTMENT_MOVED, text=where)
    _announce(request, moved, booking)
    return request
