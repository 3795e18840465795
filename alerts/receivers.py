"""What the alert cascades follow of the other apps (decision 0016)."""

from __future__ import annotations

from typing import Any

from referrals.models import Request, RequestEvent
from referrals.states import ORIENTABLE

from .services import request_left


def request_moved_stop(sender: Any, request: Request, event: RequestEvent, **kwargs: Any) -> None:
    """A request that can no longer be oriented (booked, closed, reoriented) stops its running cascade."""
    if event.to_status and event.to_status not in ORIENTABLE:
        request_left(request=request, at=event.at)
