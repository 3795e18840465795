"""Deployment check (`manage.py check --deploy --database default`): on PostgreSQL, the app must not connect as a
role that could rewrite the access log. Such a role — the owner, a superuser, a role granted UPDATE, DELETE or
TRUNCATE on the log, INSERT on its checkpoints or the purge function, or one that may create roles — turns the
database's guard and the tail's anchor into promises the app itself could break. `make run` and the deployment's units
run this check as the app's role before serving (README, SECURITY.md)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import connections

from .guard import CHECKPOINTS, PURGE_FUNCTION, TABLE

PURGE = f"{PURGE_FUNCTION}(timestamptz, bigint)"

HINT = (
    "Connect the app (DATABASE_URL) as a role set up by `manage.py grant_app_role <role>`, run by the owner role; "
    "migrations and the access log's daily jobs connect as the owner (SECURITY.md, 'Deployment notes')."
)
# What the app's role must not be able to do, each as (privilege check, what it would allow).
REFUSED = [
    ("pg_catalog.has_table_privilege(%(table)s, 'UPDATE')", "UPDATE the access log"),
    ("pg_catalog.has_table_privilege(%(table)s, 'DELETE')", "DELETE from the access log"),
    ("pg_catalog.has_table_privilege(%(table)s, 'TRUNCATE')", "TRUNCATE the access log"),
    ("pg_catalog.has_table_privilege(%(checkpoints)s, 'INSERT')", "INSERT checkpoints"),
    ("pg_catalog.has_table_privilege(%(checkpoints)s, 'UPDATE')", "UPDATE checkpoints"),
    ("pg_catalog.has_table_privilege(%(checkpoints)s, 'DELETE')", "DELETE checkpoints"),
    ("pg_catalog.has_table_privilege(%(checkpoints)s, 'TRUNCATE')", "TRUNCATE checkpoints"),
    ("pg_catalog.has_function_privilege(%(purge)s, 'EXECUTE')", "run the purge function"),
    (
        "(SELECT r.rolcreaterole FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)",
        "create roles (and so make itself a member of the log's owner)",
    ),
]


@register(Tags.database, Tags.security, deploy=True)
def app_role_cannot_rewrite_the_access_log(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []  # SQLite: one user, the file's owner (SECURITY.md)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, pg_catalog.to_regclass(%s) IS NOT NULL AND pg_catalog.to_regclass(%s) IS NOT NULL "
            "AND pg_catalog.to_regprocedure(%s) IS NOT NULL",
            [TABLE, CHECKPOINTS, PURGE],
        )
        role, migrated = cursor.fetchone()
        if not migrated:
            return []  # `migrate` (as the owner) comes first
        cursor.execute(
            "SELECT pg_catalog.pg_has_role(c.relowner, 'MEMBER') FROM pg_catalog.pg_class c WHERE c.oid = %s::regclass",
            [TABLE],
        )
        if cursor.fetchone()[0]:
            return [
                Error(
                    f"The app connects to PostgreSQL as {role}, which owns the access log (or is a superuser or a "
                    "member of its owner): it could switch the log's triggers off and delete rows.",
                    hint=HINT,
                    id="audit.E001",
                )
            ]
        names = {"table": TABLE, "checkpoints": CHECKPOINTS, "purge": PURGE}
        columns = ", ".join(expression for expression, _what in REFUSED)
        cursor.execute(f"SELECT {columns}", names)
        allowed = [what for (_expression, what), granted in zip(REFUSED, cursor.fetchone(), strict=True) if granted]
    if not allowed:
        return []
    return [
        Error(
            f"The app connects to PostgreSQL as {role}, which may {', '.join(allowed)}.",
            hint=HINT,
            id="audit.E002",
        )
    ]
