"""The chain that makes the access log tamper-evident.

Each row's `hash` is an HMAC-SHA256, under a key the database does not hold, of the previous row's hash and of the
row's own content. Changing a row breaks its own hash; deleting one breaks the link of the next. Knowing the database
is not enough to rebuild a consistent chain: the key is a setting (AIGUILLAGE_ACCESS_LOG_KEY, by default derived from
SECRET_KEY), so it must never change once the log has rows (SECURITY.md).
The end of the chain is anchored by checkpoints (`AccessLogCheckpoint`), sealed under the same key and chained to one
another (`checkpoint_seal`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from .models import AccessEvent, AccessLogCheckpoint

GENESIS = "0" * 64


def _key() -> bytes:
    configured: str = settings.AIGUILLAGE_ACCESS_LOG_KEY
    if configured:
        return configured.encode()
    return hashlib.sha256(f"aiguillage.access-log:{settings.SECRET_KEY}".encode()).digest()


def content(event: AccessEvent) -> bytes:
    """Every stored field but the id and the hashes, in a fixed order and form."""
    fields = [
        event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        event.user_id,
        event.actor,
        event.cell_id,
        event.action,
        event.object_type,
        event.object_id,
        event.subjects,
        event.detail,
        event.ip or "",
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def seal(event: AccessEvent, prev_hash: str) -> str:
    return hmac.new(_key(), prev_hash.encode() + b"\n" + content(event), hashlib.sha256).hexdigest()


def checkpoint_seal(checkpoint: AccessLogCheckpoint, prev_seal: str) -> str:
    """A checkpoint's HMAC, under the same key, chained to the checkpoint before; its own prefix keeps it apart from
    a row's hash."""
    fields = [
        checkpoint.at.astimezone(UTC).isoformat(timespec="microseconds"),
        checkpoint.head_id,
        checkpoint.head_hash,
        checkpoint.rows,
    ]
    body = json.dumps(fields, separators=(",", ":")).encode()
    return hmac.new(_key(), b"checkpoint\n" + prev_seal.encode() + b"\n" + body, hashlib.sha256).hexdigest()
