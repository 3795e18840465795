from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from referrals.models import Request
from territory.models import Cell

from .models import Message, OptOut


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


def is_opted_out(cell_id: int, address: str) -> bool:
    return OptOut.objects.filter(cell_id=cell_id, address=address).exists()
