"""The cell's own wording of the messages to patients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User

from .. import templating
from ..models import MessageTemplate


def template_save(*, cell: Any, kind: str, text: str, user: User, now: datetime | None = None) -> MessageTemplate:
    """The cell's own wording of a message to patients (checked: only its blanks)."""
    templating.check(kind, text)
    template, _created = MessageTemplate.objects.update_or_create(
        cell=cell, kind=kind, defaults={"text": text, "updated_at": now or timezone.now(), "updated_by": user}
    )
    return template


def template_reset(*, cell: Any, kind: str) -> None:
    """Back to Aiguillage's wording."""
    MessageTemplate.objects.filter(cell=cell, kind=kind).delete()
