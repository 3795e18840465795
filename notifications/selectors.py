from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from referrals.models import Request
from territory.models import Cell

from .models import CARRIES_HEALTH_DETAILS, Message, OptOut


def messages_about(request: Request) -> QuerySet[Message]:
    """What was sent about this request, newest first (for the coordinators' view of it)."""
    return Message.objects.filter(request=request).order_by("-created_at", "-pk")


def outbox(cell: Cell) -> QuerySet[Message]:
    """The cell's messages, newest first."""
    return Message.objects.filter(cell=cell).order_by("-created_at", "-pk")


def message_for(cell: Cell, pk: int) -> Message:
    message = Message.objects.filter(cell=cell, pk=pk).select_related("request").first()
    if message is None:
        raise Http404
    return message


def health_message_for(cell: Cell, pk: int, *, professional_id: int | None, staff: bool) -> Message:
    """A message with health details, for its reader: the professional it is for (their account's link to the
    directory), or the cell's staff who see the outbox; anyone else gets a 404, as for another cell's message."""
    message = (
        Message.objects.filter(cell=cell, pk=pk, kind__in=CARRIES_HEALTH_DETAILS)
        .select_related("request", "professional")
        .first()
    )
    if message is None:
        raise Http404
    addressee = professional_id is not None and message.professional_id == professional_id
    if not (staff or addressee):
        raise Http404
    return message


def is_opted_out(cell_id: int, address: str) -> bool:
    return OptOut.objects.filter(cell_id=cell_id, address=address).exists()
