"""A series of sessions (physiotherapy, nursing): how many a request needs, and its timeline's lines.

The request counts its sessions taken (booked or recorded, not cancelled) under its row lock; the agenda's booking
services keep that count as they book, cancel and record. An oriented request with a session left to book waits in
the queue for it (`referrals.selectors.IN_QUEUE`); it is finished when every session of the series is recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.care import CareChannel
from common.errors import DomainError

from ..models import SESSIONS_MAX, EventKind, Request, RequestEvent
from ..states import FINAL, Status
from ._core import _announce, _event, _require_handler

# The care that comes in series; any other is one appointment.
SERIES_CARE = frozenset({CareChannel.PHYSIOTHERAPY, CareChannel.NURSING})

SESSIONS_OUT_OF_RANGE = _("A series holds from 1 to %(max)d sessions.")
SERIES_NOT_FOR_CARE = _("Only physiotherapy and nursing care come in a series of sessions.")
SESSIONS_BELOW_TAKEN = _(
    "%(taken)d sessions are already booked or recorded: the series cannot hold fewer (cancel one first)."
)
SERIES_FINISHED = _("This request is finished: its series cannot change.")
SERIES_COMPLETE = _(
    "Every session of the series is booked or recorded (%(total)d): cancel one, or lengthen the series."
)
SERIES_CHANGED = _("Series of %(count)d sessions.")
SESSION_BOOKED = _("Session %(number)d of %(total)d: %(where)s")
SESSION_CANCELLED = _("Session %(number)d of %(total)d cancelled: %(reason)s")
SESSION_RECORDED_SEEN = _("Session %(number)d of %(total)d: seen.")
SESSION_RECORDED_NO_SHOW = _("Session %(number)d of %(total)d: no-show.")


def request_series_check(*, request: Request, sessions: int) -> None:
    """Raise unless the (locked) request may hold a series of `sessions`."""
    if not 1 <= sessions <= SESSIONS_MAX:
        raise DomainError(SESSIONS_OUT_OF_RANGE % {"max": SESSIONS_MAX}, field="sessions", code="range")
    if request.status in FINAL:
        raise DomainError(SERIES_FINISHED, field="sessions", code="finished")
    if sessions > 1 and request.care_channel not in SERIES_CARE:
        raise DomainError(SERIES_NOT_FOR_CARE, field="sessions", code="care")
    if sessions < request.sessions_taken:
        raise DomainError(SESSIONS_BELOW_TAKEN % {"taken": request.sessions_taken}, field="sessions", code="taken")


def request_series_set(*, request: Request, user: User, sessions: int, at: datetime) -> RequestEvent:
    """Inside the agenda's transaction, the request locked: the number of sessions it needs, on its timeline."""
    request_series_check(request=request, sessions=sessions)
    _require_handler(request, user, at)
    request.sessions = sessions
    request.last_activity_at = at
    request.save(update_fields=["sessions", "last_activity_at"])
    return _event(request, at=at, actor=user, kind=EventKind.SESSION, text=str(SERIES_CHANGED % {"count": sessions}))


def session_to_book(request: Request) -> int:
    """How many sessions will be taken once one more is booked; refused when the series is complete."""
    if request.sessions_taken >= request.sessions:
        raise DomainError(SERIES_COMPLETE % {"total": request.sessions}, field="slot", code="series_complete")
    return request.sessions_taken + 1


def is_next_session(request: Request) -> bool:
    """The (locked) request is an oriented series: booking adds a session to it (when one is left to book)."""
    return request.status == Status.ORIENTED and request.sessions > 1


def request_check_next_session(*, request: Request, user: User, now: datetime, by_alert: bool = False) -> None:
    """Raise unless this user may book the next session of this (locked) oriented series now."""
    session_to_book(request)
    if not by_alert:
        _require_handler(request, user, now)


def sessions_taken_change(request: Request, by: int) -> None:
    """The (locked) request's count of sessions taken moves by one booking more or less."""
    request.sessions_taken = max(0, request.sessions_taken + by)
    request.save(update_fields=["sessions_taken"])


def request_session_event(
    *, request: Request, user: User | None, at: datetime, text: str, booking: Any = None
) -> RequestEvent:
    """A line of the series on the request's timeline (booked, cancelled, recorded), the request staying oriented.
    Given the session's appointment (`booking`: booked or cancelled), the followers are told, as of a move: the
    patient and the effector hear of it."""
    request.last_activity_at = at
    request.save(update_fields=["last_activity_at"])
    event = _event(request, at=at, actor=user, kind=EventKind.SESSION, text=text)
    if booking is not None:
        _announce(request, event, booking)
    return event
