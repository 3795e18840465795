from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = (
        "PostgreSQL: grants the application's database role what it needs, and no UPDATE, DELETE or TRUNCATE on the "
        "access log. Run it as the owner role after each migration (SECURITY.md, 'Deployment notes')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the app processes connect as (e.g. aiguillage_app)")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Roles and grants are PostgreSQL's: the embedded SQLite has one user, the file's owner.")
        from psycopg import sql

        role = sql.Identifier(options["role"])
        database = sql.Identifier(connection.settings_dict["NAME"])
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(role),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON audit_accessevent FROM {}").format(role),
        ]
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"{options['role']}: read and write on every table; the access log: SELECT and INSERT only")
