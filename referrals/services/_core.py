"""What every request service shares: the cell's settings, the row lock, the checked move and its timeline line."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.models import AccessAction
from audit.services import access_record
from common.errors import DomainError
from common.locking import lock_wait_bounded

from ..models import (
    EventKind,
    Request,
    RequestEvent,
)
from ..selectors import settings_for
from ..signals import request_moved
from ..states import OPEN, IllegalMove, Status, check_move

EXAM_REQUIRED = _("Say which imaging exam is wanted.")
HELD_BY_OTHER = _("%(name)s is handling this request: wait, or ask them to release it.")
NOT_OPEN = _("This request is no longer open.")


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
    """A line of the request's timeline, and its row in the access log: every change of a request passes here.

    The access log row is written once the change is committed, in a short transaction of its own: the chain's lock
    is never held while this transaction waits for a slot or a request (no deadlock between a booking and a
    request's creation), and a change rolled back leaves no row. Should the process die between the two, the
    timeline line, committed with the change, still says who changed what and when."""
    created = kind == EventKind.MOVE and not from_status
    transaction.on_commit(
        partial(
            access_record,
            action=AccessAction.CREATE if created else AccessAction.CHANGE,
            object_type="request",
            object_id=request.reference or request.pk,
            requests=[request.pk],
            cell=request.cell_id,
            detail=f"{kind}:{to_status}" if to_status else str(kind),
            user=actor,
        )
    )
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


def _move(request: Request, target: Status, *, actor: User | None, at: datetime, text: str = "") -> RequestEvent:
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
    return _event(request, at=at, actor=actor, kind=EventKind.MOVE, from_status=previous, to_status=target, text=text)


def _announce(request: Request, move: RequestEvent, booking: Any = None) -> None:
    """After the (saved) request moved, or its appointment moved: the apps that follow requests are told, in this
    transaction (referrals.signals), with the appointment concerned when the agenda gives it (a series has several)."""
    request_moved.send(sender=Request, request=request, event=move, booking=booking)


def _locked(request: Request) -> Request:
    """The request re-read under a row lock, so that two coordinators' actions are applied one after the other; a
    lock held elsewhere longer than the lock timeout refuses the action ("busy": try again)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock a request only inside a transaction")
    with lock_wait_bounded():
        return Request.objects.select_for_update().get(pk=request.pk)


def _require_handler(request: Request, user: User, now: datetime) -> None:
    idle = timedelta(minutes=settings_for(request.cell).hold_idle_minutes)
    if request.is_held_by_other(user.pk, now, idle):
        raise DomainError(HELD_BY_OTHER % {"name": request.holder}, code="held")


DECISION_REQUIRED = _("Give a decision.")
