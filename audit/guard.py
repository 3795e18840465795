"""The database refuses to change or delete access log rows and checkpoints (triggers), except for the purge of
expired rows.

PostgreSQL (migration 0006): a trigger function raises on UPDATE, and on DELETE unless two things hold: the current
user is the table's owner, and the transaction-local setting `aiguillage.access_log_purge` is on. The setting alone
opens nothing: any session may set it, only the owner's statements pass. The purge function
`audit_accessevent_purge(cutoff, through_id)` is the one place the owner turns it on (for its own DELETE only): it
deletes the prefix of the log ending at an expired row. EXECUTE on it is revoked from PUBLIC, and it runs with its
caller's rights, so that even a mistaken GRANT lets nobody but the owner delete. (Migration 0002's function let any
session that set the setting delete; the reverse of 0006 restores it.)
TRUNCATE is not a row operation: the deployment revokes it (SECURITY.md), and the test suite's own clean-up between
tests relies on it.
SQLite: triggers raise unless `aiguillage_purge_allowed()` answers 1; that SQL function is registered on the app's
connections and reads a flag only `purge_prefix()` (and the test suite's clean-up) sets. Any other client (the sqlite3
shell) has no such function: its UPDATE or DELETE fails. SQLite has one user, the file's owner: these triggers stop
mistakes and other programs, not that user.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import connection, transaction

TABLE = "audit_accessevent"
CHECKPOINTS = "audit_accesslogcheckpoint"
PURGE_FUNCTION = "audit_accessevent_purge"
_purging: ContextVar[bool] = ContextVar("aiguillage_access_log_purge", default=False)

# Migration 0002's trigger function (the setting alone let a DELETE through); 0006's reverse puts it back.
POSTGRESQL_SETTING_GUARD = """
CREATE OR REPLACE FUNCTION audit_accessevent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('aiguillage.access_log_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
POSTGRESQL_INSTALL = f"""{POSTGRESQL_SETTING_GUARD}
CREATE TRIGGER audit_accessevent_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_accessevent_guard();
"""
POSTGRESQL_REMOVE = f"""
DROP TRIGGER IF EXISTS audit_accessevent_append_only ON {TABLE};
DROP FUNCTION IF EXISTS audit_accessevent_guard();
"""

# Migration 0006. Catalogs and functions are named with their schema: a trigger runs with the search_path of whoever
# fired it, and a temporary view called pg_roles would otherwise answer in pg_catalog's place.
POSTGRESQL_OWNER_GUARD = """
CREATE OR REPLACE FUNCTION audit_accessevent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
        AND pg_catalog.current_setting('aiguillage.access_log_purge', true) = 'on'
        AND (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID)
            = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
POSTGRESQL_PURGE_FUNCTION = """
CREATE FUNCTION {function}(cutoff timestamptz, through_id bigint) RETURNS bigint LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    deleted bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM {table} WHERE id = through_id AND at < cutoff) THEN
        RAISE EXCEPTION 'the access log purge ends at an expired row: row % is missing or not older than %',
            through_id, cutoff USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- On for this DELETE only (a function's own SET clause would need a superuser to create it for this setting);
    -- should the DELETE fail, the rollback ends it too.
    PERFORM set_config('aiguillage.access_log_purge', 'on', true);
    DELETE FROM {table} WHERE id <= through_id;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    PERFORM set_config('aiguillage.access_log_purge', '', true);
    RETURN deleted;
END
$$;
REVOKE ALL ON FUNCTION {function}(timestamptz, bigint) FROM PUBLIC;
"""
POSTGRESQL_CHECKPOINT_GUARD = f"""
CREATE FUNCTION audit_accesslogcheckpoint_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log checkpoints are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_accesslogcheckpoint_append_only BEFORE UPDATE OR DELETE ON {CHECKPOINTS}
    FOR EACH ROW EXECUTE FUNCTION audit_accesslogcheckpoint_guard();
"""
POSTGRESQL_CHECKPOINT_REMOVE = f"""
DROP TRIGGER IF EXISTS audit_accesslogcheckpoint_append_only ON {CHECKPOINTS};
DROP FUNCTION IF EXISTS audit_accesslogcheckpoint_guard();
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
SQLITE_CHECKPOINT_INSTALL = [
    f"""CREATE TRIGGER audit_accesslogcheckpoint_no_update BEFORE UPDATE ON {CHECKPOINTS}
        BEGIN SELECT RAISE(ABORT, 'the access log checkpoints are append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER audit_accesslogcheckpoint_no_delete BEFORE DELETE ON {CHECKPOINTS}
        WHEN aiguillage_purge_allowed() IS NOT 1
        BEGIN SELECT RAISE(ABORT, 'the access log checkpoints are append-only: DELETE refused'); END""",
]
SQLITE_CHECKPOINT_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_accesslogcheckpoint_no_update",
    "DROP TRIGGER IF EXISTS audit_accesslogcheckpoint_no_delete",
]


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("aiguillage_purge_allowed", 0, lambda: 1 if _purging.get() else 0)


def _run(schema_editor: Any, postgresql: str, sqlite: list[str]) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)


def install(schema_editor: Any) -> None:
    """Migration 0002."""
    _run(schema_editor, POSTGRESQL_INSTALL, SQLITE_INSTALL)


def remove(schema_editor: Any) -> None:
    """Migration 0002, reversed."""
    _run(schema_editor, POSTGRESQL_REMOVE, SQLITE_REMOVE)


def install_checkpoint_guard(schema_editor: Any) -> None:
    """Migration 0005: checkpoints are only ever added (none is ever purged)."""
    _run(schema_editor, POSTGRESQL_CHECKPOINT_GUARD, SQLITE_CHECKPOINT_INSTALL)


def remove_checkpoint_guard(schema_editor: Any) -> None:
    _run(schema_editor, POSTGRESQL_CHECKPOINT_REMOVE, SQLITE_CHECKPOINT_REMOVE)


def _schema(schema_editor: Any) -> str:
    """The log's schema, quoted: the purge function names its table in full (its search_path holds no schema)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = %s::regclass",
            [TABLE],
        )
        (schema,) = cursor.fetchone()
    return str(schema_editor.connection.ops.quote_name(schema))


def install_owner_guard(schema_editor: Any) -> None:
    """Migration 0006 (PostgreSQL; SQLite's triggers stay as they are): only the owner, through the purge function."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema = _schema(schema_editor)
    schema_editor.execute(POSTGRESQL_OWNER_GUARD, params=None)
    purge = POSTGRESQL_PURGE_FUNCTION.format(function=f"{schema}.{PURGE_FUNCTION}", table=f"{schema}.{TABLE}")
    schema_editor.execute(purge, params=None)


def remove_owner_guard(schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {PURGE_FUNCTION}(timestamptz, bigint)", params=None)
    schema_editor.execute(POSTGRESQL_SETTING_GUARD, params=None)


@contextmanager
def _sqlite_purge() -> Iterator[None]:
    token = _purging.set(True)
    try:
        yield
    finally:
        _purging.reset(token)


def purge_prefix(*, cutoff: datetime, through_id: int) -> int:
    """Deletes every access log row up to `through_id`, which must be older than `cutoff`; answers how many. The only
    way rows leave the log. On PostgreSQL it calls the purge function, which the database lets through only for the
    table's owner: run as the application's role, it fails."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("the access log is purged only inside a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {PURGE_FUNCTION}(%s, %s)", [cutoff, through_id])
            return int(cursor.fetchone()[0])
    from .models import AccessEvent

    doomed = AccessEvent.objects.filter(id__lte=through_id)
    if not doomed.filter(id=through_id, at__lt=cutoff).exists():
        raise ValueError(f"the access log purge ends at an expired row: row {through_id} is not older than {cutoff}")
    with _sqlite_purge():
        deleted, _by_model = doomed.delete()
    return deleted


@contextmanager
def emptying_allowed() -> Iterator[None]:
    """For the test suite's clean-up between tests only (Django's flush empties every table): lets this process's
    SQLite connections delete access log rows and checkpoints. PostgreSQL's flush uses TRUNCATE, which the row
    triggers do not see."""
    with _sqlite_purge():
        yield
