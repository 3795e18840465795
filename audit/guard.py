"""The database refuses to change or delete access log rows (triggers), except for the purge of expired rows.

PostgreSQL: a trigger function raises on UPDATE, and on DELETE unless the transaction set `aiguillage.access_log_purge`
(`SET LOCAL`, which `purge_allowed()` does; the purge service is its only user). TRUNCATE is not a row operation: the
deployment revokes it (SECURITY.md), and the test suite's own clean-up between tests relies on it.
SQLite: triggers raise unless `aiguillage_purge_allowed()` answers 1; that SQL function is registered on the app's
connections and reads a flag only `purge_allowed()` sets. Any other client (the sqlite3 shell) has no such function:
its UPDATE or DELETE fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction

TABLE = "audit_accessevent"
_purging: ContextVar[bool] = ContextVar("aiguillage_access_log_purge", default=False)

POSTGRESQL_INSTALL = f"""
CREATE OR REPLACE FUNCTION audit_accessevent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('aiguillage.access_log_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_accessevent_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_accessevent_guard();
"""
POSTGRESQL_REMOVE = f"""
DROP TRIGGER IF EXISTS audit_accessevent_append_only ON {TABLE};
DROP FUNCTION IF EXISTS audit_accessevent_guard();
"""
SQLITE_INSTALL = [
    f"""CREATE TRIGGER audit_accessevent_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER audit_accessevent_no_delete BEFORE DELETE ON {TABLE}
        WHEN aiguillage_purge_allowed() IS NOT 1
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only: DELETE refused'); END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_accessevent_no_update",
    "DROP TRIGGER IF EXISTS audit_accessevent_no_delete",
]


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("aiguillage_purge_allowed", 0, lambda: 1 if _purging.get() else 0)


def install(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_INSTALL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement)


def remove(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REMOVE, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            schema_editor.execute(statement)


@contextmanager
def purge_allowed() -> Iterator[None]:
    """Inside a transaction: lets this transaction delete access log rows (nothing else may)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("the access log is purged only inside a transaction")
    token = _purging.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('aiguillage.access_log_purge', 'on', true)")
        yield
        # Closed again for what the transaction does next (after an error, the rollback ends the setting anyway).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('aiguillage.access_log_purge', '', true)")
    finally:
        _purging.reset(token)


@contextmanager
def emptying_allowed() -> Iterator[None]:
    """For the test suite's clean-up between tests only (Django's flush empties every table): lets this process's
    SQLite connections delete access log rows. PostgreSQL's flush uses TRUNCATE, which the row triggers do not see."""
    token = _purging.set(True)
    try:
        yield
    finally:
        _purging.reset(token)
