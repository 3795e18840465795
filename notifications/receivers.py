"""What the messages follow of the other apps (decision 0016): each receiver queues its messages in the transaction
of the change it follows; the outbox sends them once it is committed."""

from __future__ import annotations

from typing import Any

from referrals.models import Request, RequestEvent

from . import services


def request_moved_tell(sender: Any, request: Request, event: RequestEvent, booking: Any = None, **kwargs: Any) -> None:
    """The requester, the patient and the effector hear of the move that concerns them."""
    services.request_moved(request=request, event=event, booking=booking)


def supervisor_asked_tell(
    sender: Any, request: Request, question_pk: int, at: Any, supervisors: list[Any], **kwargs: Any
) -> None:
    services.supervisor_asked(request=request, question_pk=question_pk, at=at, supervisors=supervisors)


def deadline_near_tell(
    sender: Any, request: Request, at: Any, coordinators: list[Any], supervisors: list[Any], **kwargs: Any
) -> None:
    services.deadline_near(request=request, at=at, coordinators=coordinators, supervisors=supervisors)
