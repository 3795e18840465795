"""PostgreSQL roles for the tests of the deployment's two roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.db import connection


@contextmanager
def as_role(*grants: str) -> Iterator[Any]:
    """PostgreSQL: a fresh role set up by `grant_app_role`, plus `grants` (`{role}` stands for its name), that this
    connection becomes (`SET ROLE`); everything is undone with the test's transaction."""
    role = f"aiguillage_probe_{uuid.uuid4().hex[:8]}"  # roles are the cluster's: one per test
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("grant_app_role", role, stdout=open("/dev/null", "w"))  # noqa: SIM115
    with connection.cursor() as cursor:
        for grant in grants:
            cursor.execute(grant.format(role=role))
        cursor.execute(f"SET ROLE {role}")
        try:
            yield cursor
        finally:
            cursor.execute("RESET ROLE")
