"""Writing, purging and checking the access log. Every access to a patient's data goes through `access_record`."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.locking import lock_names

from .chain import GENESIS, seal
from .context import SYSTEM, origin
from .guard import purge_allowed
from .models import AccessAction, AccessEvent

CHAIN_LOCK = "audit.access_log.chain"


def _subjects(requests: Iterable[Any]) -> str:
    ids = sorted({int(getattr(item, "pk", item)) for item in requests})
    return f",{','.join(map(str, ids))}," if ids else ""


def _append(event: AccessEvent) -> AccessEvent:
    """Chains and saves one row. The chain lock makes the rows of all processes follow one another."""
    with transaction.atomic():
        lock_names(CHAIN_LOCK)
        previous = AccessEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        event.prev_hash = previous
        event.hash = seal(event, previous)
        event.save(force_insert=True)
    return event


def access_record(
    *,
    action: str,
    object_type: str,
    object_id: object = "",
    requests: Iterable[Any] = (),
    cell: Any = None,
    detail: str = "",
    actor: str | None = None,
    user: Any = None,
    at: datetime | None = None,
) -> AccessEvent:
    """One row: who (the web request's user; else `user`, else `actor`), when, what was done to which patients'
    data, from where."""
    who = origin()
    acting = who.user or user
    name = acting.get_username() if acting is not None else (actor or who.actor)
    return _append(
        AccessEvent(
            at=at or timezone.now(),
            user=acting,
            actor=name[:150],
            cell_id=getattr(cell, "pk", cell),
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:80],
            subjects=_subjects(requests),
            detail=detail[:300],
            ip=who.ip,
        )
    )


def retention_cutoff(now: datetime | None = None) -> datetime:
    days = round(int(settings.AIGUILLAGE_ACCESS_LOG_MONTHS) * 30.44)
    return (now or timezone.now()) - timedelta(days=days)


def access_log_purge(*, now: datetime | None = None) -> AccessEvent | None:
    """Deletes the rows older than the retention period (AIGUILLAGE_ACCESS_LOG_MONTHS), then records the purge
    itself: how many rows, up to which, and the hash of the last one deleted, where the remaining chain now starts."""
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        lock_names(CHAIN_LOCK)
        expired = AccessEvent.objects.filter(at__lt=cutoff).exclude(action=AccessAction.PURGE)
        last = expired.order_by("-id").values("id", "hash").first()
        if last is None:
            return None
        # The chain must stay a chain: delete a prefix (every row up to the last expired one), purge records included.
        doomed = AccessEvent.objects.filter(id__lte=last["id"])
        count = doomed.count()
        with purge_allowed():
            doomed.delete()
        return access_record(
            action=AccessAction.PURGE,
            object_type="access_log",
            object_id=last["hash"],
            detail=f"through={last['id']} count={count} before={cutoff.isoformat(timespec='seconds')}",
            actor=SYSTEM,
        )


@dataclass(frozen=True)
class Break:
    event_id: int
    reason: str


@dataclass(frozen=True)
class Verification:
    rows: int
    breaks: list[Break]
    head_id: int | None
    head_hash: str

    @property
    def intact(self) -> bool:
        return not self.breaks


def _rows() -> Iterator[AccessEvent]:
    return AccessEvent.objects.order_by("id").iterator(chunk_size=5000)


def access_log_verify() -> Verification:
    """Walks the chain from its first row. A row whose hash does not match its content was changed; a row whose
    `prev_hash` is not the hash of the row before it follows a deleted row. The first row must start the chain, or
    start where a recorded purge ended it."""
    anchors = set(AccessEvent.objects.filter(action=AccessAction.PURGE).values_list("object_id", flat=True))
    breaks: list[Break] = []
    previous: str | None = None
    rows, head_id, head_hash = 0, None, GENESIS
    for event in _rows():
        rows += 1
        if previous is None:
            if event.prev_hash != GENESIS and event.prev_hash not in anchors:
                breaks.append(Break(event.id, "the first rows are missing (no purge recorded them)"))
        elif event.prev_hash != previous:
            breaks.append(Break(event.id, "the row before this one is missing or was changed"))
        if not hmac.compare_digest(seal(event, event.prev_hash), event.hash):
            breaks.append(Break(event.id, "this row was changed"))
        previous, head_id, head_hash = event.hash, event.id, event.hash
    return Verification(rows=rows, breaks=breaks, head_id=head_id, head_hash=head_hash)
