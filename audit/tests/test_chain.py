"""The access log is append-only in the database, and its chain shows any row changed or deleted behind its back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from audit.models import AccessAction, AccessEvent
from audit.services import access_log_purge, access_log_verify, access_record

pytestmark = pytest.mark.django_db


def _some_rows(count: int = 5) -> list[AccessEvent]:
    return [
        access_record(action=AccessAction.READ, object_type="request", object_id=f"D26-{i:06d}", requests=[i])
        for i in range(1, count + 1)
    ]


@contextmanager
def _triggers_off() -> Iterator[None]:
    """What someone with the database's keys could do: go round the triggers (undone with the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_accessevent DISABLE TRIGGER audit_accessevent_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_accessevent_no_update")
            cursor.execute("DROP TRIGGER audit_accessevent_no_delete")
    yield


def test_an_untouched_log_verifies() -> None:
    rows = _some_rows()
    result = access_log_verify()
    assert result.intact and result.rows == 5
    assert (result.head_id, result.head_hash) == (rows[-1].pk, rows[-1].hash)
    assert rows[0].prev_hash == "0" * 64 and rows[1].prev_hash == rows[0].hash


def test_the_database_refuses_to_change_or_delete_a_row() -> None:
    row = _some_rows(1)[0]
    for attempt in (
        lambda: AccessEvent.objects.filter(pk=row.pk).update(detail="nothing to see"),
        lambda: AccessEvent.objects.filter(pk=row.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert AccessEvent.objects.get(pk=row.pk).detail == row.detail


def test_an_edited_row_is_detected() -> None:
    rows = _some_rows()
    with _triggers_off():
        AccessEvent.objects.filter(pk=rows[2].pk).update(actor="someone-else")
    result = access_log_verify()
    assert [(b.event_id, b.reason) for b in result.breaks] == [(rows[2].pk, "this row was changed")]
    with pytest.raises(CommandError, match="access log altered: 1 problem"):
        call_command("verify_access_log", stdout=StringIO(), stderr=StringIO())


def test_a_deleted_row_is_detected() -> None:
    rows = _some_rows()
    with _triggers_off():
        AccessEvent.objects.filter(pk=rows[2].pk).delete()
    result = access_log_verify()
    assert [(b.event_id, b.reason) for b in result.breaks] == [
        (rows[3].pk, "the row before this one is missing or was changed")
    ]


def test_deleting_the_first_rows_is_detected() -> None:
    rows = _some_rows()
    with _triggers_off():
        AccessEvent.objects.filter(pk__lte=rows[1].pk).delete()
    assert [b.event_id for b in access_log_verify().breaks] == [rows[2].pk]


def test_a_row_rewritten_with_a_fresh_hash_is_still_detected() -> None:
    """Without the key, recomputing a plain SHA-256 of the content does not make a changed row look right."""
    import hashlib

    rows = _some_rows(3)
    with _triggers_off():
        AccessEvent.objects.filter(pk=rows[1].pk).update(detail="x", hash=hashlib.sha256(b"forged").hexdigest())
    reasons = {b.event_id: b.reason for b in access_log_verify().breaks}
    assert reasons == {
        rows[1].pk: "this row was changed",
        rows[2].pk: "the row before this one is missing or was changed",
    }


@override_settings(AIGUILLAGE_ACCESS_LOG_MONTHS=12)
def test_the_purge_deletes_expired_rows_logs_itself_and_the_chain_still_verifies() -> None:
    now = timezone.now()
    old = [
        access_record(action=AccessAction.READ, object_type="request", requests=[1], at=now - timedelta(days=400))
        for _ in range(3)
    ]
    recent = _some_rows(2)
    purge = access_log_purge(now=now)
    assert purge is not None and purge.action == AccessAction.PURGE and purge.object_id == old[-1].hash
    assert "count=3" in purge.detail
    assert list(AccessEvent.objects.order_by("id")) == [*recent, purge]
    assert access_log_verify().intact
    assert access_log_purge(now=now) is None  # nothing left to purge; the purge row itself stays


def test_the_purge_command_and_the_verify_command_tell_what_they_did() -> None:
    long_ago = timezone.now() - timedelta(days=800)
    access_record(action=AccessAction.READ, object_type="request", requests=[1], at=long_ago)
    out = StringIO()
    call_command("purge_access_log", stdout=out)
    assert "count=1" in out.getvalue()
    out = StringIO()
    call_command("verify_access_log", stdout=out)
    assert "access log intact: 1 rows" in out.getvalue()
