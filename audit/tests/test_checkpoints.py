"""The log's tail is anchored: each successful verification records a sealed checkpoint (the last row, its hash, how
many rows up to it) that the app's role cannot write; the next verification fails when rows are missing up to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from audit.models import AccessAction, AccessEvent, AccessLogCheckpoint
from audit.services import access_log_purge, access_log_verify, access_record
from audit.tests.roles import as_role

pytestmark = pytest.mark.django_db


def _some_rows(count: int = 5, **fields: Any) -> list[AccessEvent]:
    return [
        access_record(action=AccessAction.READ, object_type="request", requests=[i], **fields)
        for i in range(1, count + 1)
    ]


def _verify() -> tuple[str, str]:
    """Runs the daily command; answers what it printed (out, err), or raises its CommandError with err attached."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_access_log", stdout=out, stderr=err)
    except CommandError as error:
        error.add_note(err.getvalue())
        raise
    return out.getvalue(), err.getvalue()


def _failed_verification() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="access log altered") as failure:
        call_command("verify_access_log", stdout=out, stderr=err)
    return str(failure.value), err.getvalue()


@contextmanager
def _triggers_off(*tables: str) -> Iterator[None]:
    """What someone holding the database's keys could do: go round the triggers (undone with the test's
    transaction)."""
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    yield


def test_a_verification_records_a_sealed_checkpoint_chained_to_the_one_before() -> None:
    rows = _some_rows(3)
    out, _err = _verify()
    first = AccessLogCheckpoint.objects.get()
    assert (first.head_id, first.head_hash, first.rows, first.prev_seal) == (rows[-1].pk, rows[-1].hash, 3, "0" * 64)
    assert f"access log intact: 3 rows, last row {rows[-1].pk} hash {rows[-1].hash}" in out
    assert f"checkpoint {first.pk}: row {rows[-1].pk}, seal {first.seal}" in out
    more = _some_rows(2)
    out, _err = _verify()
    assert f"tail checked against checkpoint {first.pk} (row {rows[-1].pk})" in out
    second = AccessLogCheckpoint.objects.order_by("id").last()
    assert second is not None
    assert (second.head_id, second.rows, second.prev_seal) == (more[-1].pk, 5, first.seal)
    assert access_log_verify().checkpoint == second


def test_cutting_the_last_rows_is_caught_by_the_next_verification() -> None:
    """The probe's second finding: cutting the end of the log left a chain that verified. The checkpoint of the
    verification before remembers where the log ended."""
    rows = _some_rows()
    _verify()
    with _triggers_off("audit_accessevent"):
        AccessEvent.objects.filter(pk__gte=rows[3].pk).delete()
    assert access_log_verify().breaks[0].reason.startswith("the last row at checkpoint")
    message, err = _failed_verification()
    assert f"row {rows[-1].pk}: the last row at checkpoint" in err and "is missing (rows were cut off the end)" in err
    assert "access log altered: 1 problem(s) in 3 rows" in message
    assert AccessLogCheckpoint.objects.count() == 1  # a failed verification records nothing


def test_rows_cut_off_the_end_and_written_over_are_caught() -> None:
    """After the cut, the app goes on writing: the new rows follow the last one left and the chain links up."""
    rows = _some_rows()
    _verify()
    with _triggers_off("audit_accessevent"):
        AccessEvent.objects.filter(pk__gte=rows[2].pk).delete()
    later = _some_rows(4)
    assert later[0].prev_hash == rows[1].hash
    _message, err = _failed_verification()
    assert f"row {rows[-1].pk}: the last row at checkpoint" in err


def test_rows_missing_up_to_the_checkpoint_are_counted() -> None:
    rows = _some_rows()
    _verify()
    with _triggers_off("audit_accessevent"):
        AccessEvent.objects.filter(pk__lte=rows[1].pk).delete()
    reasons = [found.reason for found in access_log_verify().breaks]
    assert reasons[0] == "the first rows are missing (no purge recorded them)"
    assert reasons[1].startswith(f"3 rows up to row {rows[-1].pk}, 5 expected from checkpoint")


def test_a_changed_or_removed_checkpoint_fails_the_verification() -> None:
    _some_rows(2)
    _verify()
    _some_rows(1)
    _verify()
    _some_rows(1)
    _verify()
    first, second, _third = AccessLogCheckpoint.objects.order_by("id")
    with _triggers_off("audit_accesslogcheckpoint"):
        AccessLogCheckpoint.objects.filter(pk=first.pk).update(rows=1)
    assert [found.reason.split(": ", 1)[1] for found in access_log_verify().breaks] == ["this checkpoint was changed"]
    with _triggers_off("audit_accesslogcheckpoint"):
        AccessLogCheckpoint.objects.filter(pk=first.pk).update(rows=2)
        AccessLogCheckpoint.objects.filter(pk=second.pk).delete()
    assert [found.reason.split(": ", 1)[1] for found in access_log_verify().breaks] == [
        "the checkpoint before it is missing or was changed"
    ]
    _failed_verification()


def test_checkpoints_are_append_only_and_the_app_role_only_reads_them() -> None:
    _some_rows(2)
    _verify()
    checkpoint = AccessLogCheckpoint.objects.get()
    for attempt in (
        lambda: AccessLogCheckpoint.objects.filter(pk=checkpoint.pk).update(rows=1),
        lambda: AccessLogCheckpoint.objects.filter(pk=checkpoint.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="checkpoints are append-only"), transaction.atomic():
            attempt()
    if connection.vendor != "postgresql":
        return  # SQLite: one user; the triggers above are its whole guard
    statements = [
        "INSERT INTO audit_accesslogcheckpoint (at, head_id, head_hash, rows, prev_seal, seal) "
        "SELECT now(), head_id, head_hash, rows + 1, seal, md5(seal) FROM audit_accesslogcheckpoint",
        "UPDATE audit_accesslogcheckpoint SET rows = 1",
        "DELETE FROM audit_accesslogcheckpoint",
        "TRUNCATE audit_accesslogcheckpoint",
    ]
    with as_role() as cursor:
        cursor.execute("SELECT count(*) FROM audit_accesslogcheckpoint")
        assert cursor.fetchone()[0] == 1
        for statement in statements:
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)
        # The daily verification as the app's role: it checks, then says it may not record and whose job it is.
        _some_rows(1)
        with pytest.raises(CommandError, match=r"no checkpoint recorded .*run verify_access_log as the database owner"):
            call_command("verify_access_log", stdout=StringIO())
        out = StringIO()
        call_command("verify_access_log", "--no-checkpoint", stdout=out)
        assert "access log intact: 3 rows" in out.getvalue()
    assert AccessLogCheckpoint.objects.get() == checkpoint


@override_settings(AIGUILLAGE_ACCESS_LOG_MONTHS=12)
def test_the_purge_as_the_owner_keeps_the_log_verifying_against_its_checkpoint() -> None:
    """The purge deletes rows up to the checkpoint's (the count expected drops by as many) or past it (the chain's
    start is then checked against the purge's record)."""
    now = timezone.now()
    old = _some_rows(3, at=now - timedelta(days=400))
    _verify()  # checkpoint at the last old row: the purge will take it
    recent = _some_rows(2)
    _verify()  # checkpoint at the last recent row: 5 rows up to it
    purge = access_log_purge(now=now)
    assert purge is not None and f"through={old[-1].pk} count=3" in purge.detail
    assert list(AccessEvent.objects.order_by("id")) == [*recent, purge]
    out, _err = _verify()
    assert "access log intact: 3 rows" in out
    # Cutting the end now is still caught, the purge counted in.
    with _triggers_off("audit_accessevent"):
        AccessEvent.objects.filter(pk=purge.pk).delete()
    _message, err = _failed_verification()
    assert "the last row at checkpoint" in err
