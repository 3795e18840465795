from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from audit.guard import CHECKPOINTS, PURGE_FUNCTION, TABLE


class Command(BaseCommand):
    help = (
        "PostgreSQL: grants the application's database role what it needs; on the access log SELECT and INSERT only, "
        "on its checkpoints SELECT only, and not the purge function. Run it as the owner role after each migration "
        "(SECURITY.md, 'Deployment notes')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the app processes connect as (e.g. aiguillage_app)")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Roles and grants are PostgreSQL's: the embedded SQLite has one user, the file's owner.")
        from psycopg import sql

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_catalog.pg_has_role(%s, c.relowner, 'MEMBER') FROM pg_catalog.pg_class c "
                "WHERE c.oid = %s::regclass",
                [options["role"], TABLE],
            )
            (owner,) = cursor.fetchone()
            cursor.execute(
                "SELECT pg_catalog.to_regprocedure(%s) IS NOT NULL", [f"{PURGE_FUNCTION}(timestamptz, bigint)"]
            )
            (purge_function,) = cursor.fetchone()
            if owner:
                raise CommandError(
                    f"{options['role']} owns the access log (or is a superuser or a member of its owner): the app "
                    "must connect as another role, which this command then sets up."
                )
        role = sql.Identifier(options["role"])
        database = sql.Identifier(connection.settings_dict["NAME"])
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(role),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(TABLE), role),
            sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(CHECKPOINTS), role),
        ]
        if purge_function:
            statements.append(
                sql.SQL("REVOKE ALL ON FUNCTION {}(timestamptz, bigint) FROM {}").format(
                    sql.Identifier(PURGE_FUNCTION), role
                )
            )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(
            f"{options['role']}: read and write on every table; the access log: SELECT and INSERT only; "
            "its checkpoints: SELECT only"
        )
