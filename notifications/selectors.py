from __future__ import annotations

from django.db.models import QuerySet

from referrals.models import Request

from .models import Message


def messages_about(request: Request) -> QuerySet[Message]:
    """What was sent about this request, newest first (for the coordinators' view of it)."""
    return Message.objects.filter(request=request).order_by("-created_at", "-pk")
