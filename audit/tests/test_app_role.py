"""The deployment's two roles: the application's role may add to the access log, never change or delete it, even
with the purge's setting on (the purge runs as the owner)."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AccessAction
from audit.services import access_record

pytestmark = pytest.mark.django_db


def test_the_app_role_adds_rows_but_cannot_change_or_delete_them() -> None:
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("grant_app_role", "aiguillage_app")
        return
    row = access_record(action=AccessAction.READ, object_type="request", requests=[1])
    role = f"aiguillage_app_{uuid.uuid4().hex[:8]}"  # roles are the cluster's: one per test run
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")  # undone with the test's transaction
    call_command("grant_app_role", role, stdout=open("/dev/null", "w"))  # noqa: SIM115
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
        try:
            access_record(action=AccessAction.READ, object_type="request", requests=[2])
            cursor.execute("SELECT set_config('aiguillage.access_log_purge', 'on', true)")
            for statement in (
                "UPDATE audit_accessevent SET detail = 'x' WHERE id = %s",
                "DELETE FROM audit_accessevent WHERE id = %s",
            ):
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cursor.execute(statement, [row.pk])
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute("TRUNCATE audit_accessevent")
        finally:
            cursor.execute("RESET ROLE")
