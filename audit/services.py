"""Writing, purging and checking the access log. Every access to a patient's data goes through `access_record`."""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.locking import lock_names

from .chain import GENESIS, checkpoint_seal, seal
from .context import SYSTEM, origin
from .guard import purge_prefix
from .models import AccessAction, AccessEvent, AccessLogCheckpoint

CHAIN_LOCK = "audit.access_log.chain"
CHECKPOINT_LOCK = "audit.access_log.checkpoint"


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
    itself: how many rows, up to which, and the hash of the last one deleted, where the remaining chain now starts.
    On PostgreSQL the database lets only the table's owner delete (`guard.purge_prefix`): run it as the owner role."""
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        lock_names(CHAIN_LOCK)
        expired = AccessEvent.objects.filter(at__lt=cutoff).exclude(action=AccessAction.PURGE)
        last = expired.order_by("-id").values("id", "hash").first()
        if last is None:
            return None
        # The chain must stay a chain: delete a prefix (every row up to the last expired one), purge records included.
        count = purge_prefix(cutoff=cutoff, through_id=last["id"])
        return access_record(
            action=AccessAction.PURGE,
            object_type="access_log",
            object_id=last["hash"],
            detail=f"through={last['id']} count={count} before={cutoff.isoformat(timespec='seconds')}",
            actor=SYSTEM,
        )


_PURGED = re.compile(r"through=(\d+) count=(\d+)")


@dataclass(frozen=True)
class Break:
    event_id: int | None  # None: not one row's fault (a checkpoint, a count)
    reason: str


@dataclass(frozen=True)
class Verification:
    rows: int
    breaks: list[Break]
    head_id: int | None
    head_hash: str
    checkpoint: AccessLogCheckpoint | None = None  # the last one, which the tail was checked against

    @property
    def intact(self) -> bool:
        return not self.breaks


def _rows() -> Iterator[AccessEvent]:
    return AccessEvent.objects.order_by("id").iterator(chunk_size=5000)


def _named(checkpoint: AccessLogCheckpoint) -> str:
    return f"checkpoint {checkpoint.pk} of {checkpoint.at:%Y-%m-%d %H:%M} UTC"


def _checkpoint_breaks(checkpoints: list[AccessLogCheckpoint]) -> list[Break]:
    """Each checkpoint's seal must match its content and follow the one before (none deleted or changed between)."""
    breaks: list[Break] = []
    previous = GENESIS
    for checkpoint in checkpoints:
        name = _named(checkpoint)
        if checkpoint.prev_seal != previous:
            breaks.append(Break(None, f"{name}: the checkpoint before it is missing or was changed"))
        if not hmac.compare_digest(checkpoint_seal(checkpoint, checkpoint.prev_seal), checkpoint.seal):
            breaks.append(Break(None, f"{name}: this checkpoint was changed"))
        previous = checkpoint.seal
    return breaks


def _tail_breaks(
    checkpoint: AccessLogCheckpoint, head_hash: str | None, rows_up_to_head: int, purged_since: list[tuple[int, int]]
) -> list[Break]:
    """The last checkpoint's row must still be there, unchanged, with as many rows up to it as it recorded less those
    the purges since deleted; unless a purge since reached it (then the chain's start is checked against the purge)."""
    if any(through >= checkpoint.head_id for through, _count in purged_since):
        return []
    name = _named(checkpoint)
    if head_hash is None:
        return [Break(checkpoint.head_id, f"the last row at {name} is missing (rows were cut off the end)")]
    breaks = []
    if head_hash != checkpoint.head_hash:
        breaks.append(Break(checkpoint.head_id, f"the last row at {name} was changed"))
    expected = checkpoint.rows - sum(count for _through, count in purged_since)
    if rows_up_to_head != expected:
        breaks.append(
            Break(None, f"{rows_up_to_head} rows up to row {checkpoint.head_id}, {expected} expected from {name}")
        )
    return breaks


def access_log_verify() -> Verification:
    """Walks the chain from its first row. A row whose hash does not match its content was changed; a row whose
    `prev_hash` is not the hash of the row before it follows a deleted row. The first row must start the chain, or
    start where a recorded purge ended it. Then the tail: the checkpoints must be intact, and the last one's row still
    there with the rows up to it (see `AccessLogCheckpoint`)."""
    checkpoints = list(AccessLogCheckpoint.objects.order_by("id"))
    last = checkpoints[-1] if checkpoints else None
    anchors = set(AccessEvent.objects.filter(action=AccessAction.PURGE).values_list("object_id", flat=True))
    breaks: list[Break] = []
    previous: str | None = None
    rows, head_id, head_hash = 0, None, GENESIS
    up_to_checkpoint, checkpoint_row_hash = 0, None
    purged_since: list[tuple[int, int]] = []
    for event in _rows():
        rows += 1
        if previous is None:
            if event.prev_hash != GENESIS and event.prev_hash not in anchors:
                breaks.append(Break(event.id, "the first rows are missing (no purge recorded them)"))
        elif event.prev_hash != previous:
            breaks.append(Break(event.id, "the row before this one is missing or was changed"))
        if not hmac.compare_digest(seal(event, event.prev_hash), event.hash):
            breaks.append(Break(event.id, "this row was changed"))
        if last is not None:
            if event.id <= last.head_id:
                up_to_checkpoint += 1
                if event.id == last.head_id:
                    checkpoint_row_hash = event.hash
            elif event.action == AccessAction.PURGE and (purged := _PURGED.search(event.detail)):
                purged_since.append((int(purged[1]), int(purged[2])))
        previous, head_id, head_hash = event.hash, event.id, event.hash
    breaks += _checkpoint_breaks(checkpoints)
    if last is not None:
        breaks += _tail_breaks(last, checkpoint_row_hash, up_to_checkpoint, purged_since)
    return Verification(rows=rows, breaks=breaks, head_id=head_id, head_hash=head_hash, checkpoint=last)


def access_log_checkpoint_record(*, verification: Verification, at: datetime | None = None) -> AccessLogCheckpoint:
    """Records where an intact log ends (its last row, that row's hash, the rows up to it), sealed and chained to the
    previous checkpoint. Needs INSERT on the checkpoints, which the application's role lacks: the owner's job. A
    checkpoint is never moved back: when another verification already recorded a later row, that one is kept."""
    if not verification.intact or verification.head_id is None:
        raise ValueError("only an intact log with rows gets a checkpoint")
    with transaction.atomic():
        lock_names(CHECKPOINT_LOCK)
        last = AccessLogCheckpoint.objects.order_by("-id").first()
        if last is not None and last.head_id > verification.head_id:
            return last
        checkpoint = AccessLogCheckpoint(
            at=at or timezone.now(),
            head_id=verification.head_id,
            head_hash=verification.head_hash,
            rows=verification.rows,
            prev_seal=last.seal if last is not None else GENESIS,
        )
        checkpoint.seal = checkpoint_seal(checkpoint, checkpoint.prev_seal)
        checkpoint.save(force_insert=True)
    return checkpoint
