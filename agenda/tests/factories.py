from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from agenda.models import Slot
from territory.models import Cell


def make_slot(cell: Cell, *, starts_at: datetime | None = None, minutes: int = 20, **fields: Any) -> Slot:
    start = starts_at or timezone.now() + timedelta(hours=3)
    values: dict[str, Any] = {"care_channel": "gp", "modality": "in_person", "capacity": 1}
    values.update(fields)
    return Slot.objects.create(cell=cell, starts_at=start, ends_at=start + timedelta(minutes=minutes), **values)
