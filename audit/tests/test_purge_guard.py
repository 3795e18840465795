"""Who may delete access log rows: on PostgreSQL, only the table's owner, and only through the purge function; a
setting any session can set changes nothing (issue 18, item 4). On SQLite, only the app's own purge."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils import timezone

from audit import guard
from audit.guard import purge_prefix
from audit.models import AccessAction, AccessEvent
from audit.services import access_record
from audit.tests.roles import as_role

pytestmark = pytest.mark.django_db

PROBE_SETTING = "SELECT set_config('aiguillage.access_log_purge', 'on', true)"
PROBE_DELETE = "DELETE FROM audit_accessevent WHERE id = (SELECT max(id) FROM audit_accessevent)"


def _some_rows(count: int = 3, **fields: Any) -> list[AccessEvent]:
    return [
        access_record(action=AccessAction.READ, object_type="request", requests=[i], **fields)
        for i in range(1, count + 1)
    ]


def _probe(cursor: Any) -> None:
    """The probe's sequence, as sent: the setting, then the last row."""
    cursor.execute(PROBE_SETTING)
    cursor.execute(PROBE_DELETE)


def test_the_probes_payload_deletes_nothing_even_for_a_role_allowed_to_delete() -> None:
    """Triggers on, from a role holding DELETE on the log (what a one-role deployment gives the app): before the fix
    the setting opened the trigger and the last row went."""
    rows = _some_rows()
    if connection.vendor == "postgresql":
        with (
            as_role("GRANT DELETE ON audit_accessevent TO {role}") as cursor,
            pytest.raises(DatabaseError, match="append-only: DELETE refused"),
            transaction.atomic(),
        ):
            _probe(cursor)
    else:
        # SQLite has no set_config: the same DELETE from the app's own connection meets the trigger.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(PROBE_DELETE)
    assert list(AccessEvent.objects.order_by("id")) == rows


def test_the_owner_cannot_delete_a_row_directly_either() -> None:
    """Without the purge function, the owner's own DELETE meets the trigger too (the test connects as the owner)."""
    rows = _some_rows()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PROBE_DELETE)
    assert list(AccessEvent.objects.order_by("id")) == rows


def test_the_purge_function_deletes_nothing_for_another_role_even_when_granted() -> None:
    """The purge function is not the app's: EXECUTE is refused; and granted by mistake, with DELETE too, it runs with
    its caller's rights, so the trigger still refuses."""
    old = _some_rows(2, at=timezone.now() - timedelta(days=800))
    if connection.vendor != "postgresql":
        # SQLite: only the app's purge deletes, and only a prefix ending at an expired row.
        with transaction.atomic():
            assert purge_prefix(cutoff=timezone.now() - timedelta(days=400), through_id=old[-1].pk) == 2
        assert not AccessEvent.objects.exists()
        return
    call = "SELECT audit_accessevent_purge(now(), %s)"
    with (
        as_role() as cursor,
        pytest.raises(DatabaseError, match="permission denied for function"),
        transaction.atomic(),
    ):
        cursor.execute(call, [old[-1].pk])
    with (
        as_role(
            "GRANT DELETE ON audit_accessevent TO {role}",
            "GRANT EXECUTE ON FUNCTION audit_accessevent_purge TO {role}",
        ) as cursor,
        pytest.raises(DatabaseError, match="append-only: DELETE refused"),
        transaction.atomic(),
    ):
        cursor.execute(call, [old[-1].pk])
    assert list(AccessEvent.objects.order_by("id")) == old


@override_settings(AIGUILLAGE_ACCESS_LOG_MONTHS=12)
def test_the_purge_command_deletes_as_the_owner_and_says_whose_job_it_is_to_another_role() -> None:
    _some_rows(2, at=timezone.now() - timedelta(days=800))
    if connection.vendor == "postgresql":
        with as_role(), pytest.raises(CommandError, match="run purge_access_log as the database owner role"):
            call_command("purge_access_log", stdout=StringIO())
        assert AccessEvent.objects.count() == 2
    out = StringIO()
    call_command("purge_access_log", stdout=out)  # the owner (the tests connect as it); SQLite's one user
    assert "count=2" in out.getvalue()
    assert list(AccessEvent.objects.values_list("action", flat=True)) == [AccessAction.PURGE]


def test_the_purge_ends_only_at_an_expired_row() -> None:
    rows = _some_rows(2)
    with pytest.raises((DatabaseError, ValueError), match="ends at an expired row"), transaction.atomic():
        purge_prefix(cutoff=timezone.now() - timedelta(days=365), through_id=rows[-1].pk)
    assert list(AccessEvent.objects.order_by("id")) == rows


def test_the_reverse_migration_restores_the_previous_guard() -> None:
    """0006 reversed puts back 0002's trigger function, which the probe's payload went through; forward again, it
    does not. SQLite: 0006 changes nothing there (its triggers are 0002's)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_accessevent'")
            assert {name for (name,) in cursor.fetchall()} == {
                "audit_accessevent_no_update",
                "audit_accessevent_no_delete",
            }
        return
    rows = _some_rows()
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0005_access_log_checkpoint")])
    with as_role("GRANT DELETE ON audit_accessevent TO {role}") as cursor:
        _probe(cursor)  # the previous guard: the setting was enough
    assert list(AccessEvent.objects.order_by("id")) == rows[:-1]
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0006_owner_guard")])
    with (
        as_role("GRANT DELETE ON audit_accessevent TO {role}") as cursor,
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        _probe(cursor)
    assert list(AccessEvent.objects.order_by("id")) == rows[:-1]


def test_an_owner_that_is_no_superuser_installs_the_guard_and_alone_purges_through_it() -> None:
    """Production's owner is an ordinary role (the tests connect as a superuser): the migrations' SQL must install
    as one, and the rules hold for it. A copy of the table in that role's schema gets 0002's then 0006's guard.
    SQLite: another program opening the file (no app function registered) can neither change nor delete."""
    if connection.vendor != "postgresql":
        other_program = sqlite3.connect(":memory:")
        other_program.execute("CREATE TABLE audit_accessevent (id INTEGER PRIMARY KEY, detail TEXT)")
        for statement in guard.SQLITE_INSTALL:
            other_program.execute(statement)
        other_program.execute("INSERT INTO audit_accessevent (detail) VALUES ('read')")
        with pytest.raises(sqlite3.DatabaseError, match="append-only: UPDATE refused"):
            other_program.execute("UPDATE audit_accessevent SET detail = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="no such function: aiguillage_purge_allowed"):
            other_program.execute(PROBE_DELETE)
        assert other_program.execute("SELECT detail FROM audit_accessevent").fetchall() == [("read",)]
        return
    owner, other = (f"aiguillage_{name}_{uuid.uuid4().hex[:8]}" for name in ("owner", "other"))
    insert = (
        "INSERT INTO audit_accessevent (at, actor, action, object_type, object_id, subjects, detail, prev_hash, hash) "
        "SELECT now() - make_interval(days => %s), 'x', 'read', 'request', '', '', '', '', md5(random()::text) "
        "RETURNING id"
    )
    with connection.cursor() as cursor:
        for role in (owner, other):
            cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"CREATE SCHEMA {owner} AUTHORIZATION {owner}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {owner} TO {other}")
        cursor.execute(f"GRANT SELECT ON public.audit_accessevent TO {owner}")
        cursor.execute(f"SET ROLE {owner}")
        cursor.execute(f"SET search_path = {owner}")
        try:
            cursor.execute(f"CREATE TABLE {owner}.audit_accessevent (LIKE public.audit_accessevent INCLUDING ALL)")
            with connection.schema_editor() as editor:
                guard.install(editor)
                guard.install_owner_guard(editor)
            old = [cursor.execute(insert, [800]).fetchone()[0] for _ in range(3)]
            recent = cursor.execute(insert, [0]).fetchone()[0]
            with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
                cursor.execute(PROBE_DELETE)
            cursor.execute(f"GRANT SELECT, DELETE ON audit_accessevent TO {other}")
            cursor.execute(f"GRANT EXECUTE ON FUNCTION audit_accessevent_purge TO {other}")
            cursor.execute(f"SET ROLE {other}")
            for attempt in (PROBE_DELETE, f"SELECT audit_accessevent_purge(now(), {old[-1]})"):
                with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
                    cursor.execute(PROBE_SETTING)
                    cursor.execute(attempt)
            cursor.execute(f"SET ROLE {owner}")
            cursor.execute("SELECT audit_accessevent_purge(now() - interval '400 days', %s)", [old[-1]])
            assert cursor.fetchone()[0] == 3
            cursor.execute("SELECT id FROM audit_accessevent")
            assert cursor.fetchall() == [(recent,)]
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute("RESET search_path")
