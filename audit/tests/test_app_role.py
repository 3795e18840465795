"""The deployment's two roles: the application's role may add to the access log, never change or delete it, even
with the purge's setting on (the purge runs as the owner); the deployment check refuses to serve as any other role."""

from __future__ import annotations

import uuid

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection, transaction

from audit.models import AccessAction, AccessEvent
from audit.services import access_record
from audit.tests.roles import as_role

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


def test_the_probes_sequence_as_the_app_role_deletes_nothing() -> None:
    """Issue 18's payload, as the app's role: the setting, then the last row. The role holds no DELETE on the log."""
    rows = [access_record(action=AccessAction.READ, object_type="request", requests=[i]) for i in (1, 2)]
    if connection.vendor != "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_accessevent WHERE id = (SELECT max(id) FROM audit_accessevent)")
    else:
        with as_role() as cursor:
            cursor.execute("SELECT set_config('aiguillage.access_log_purge', 'on', true)")
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute("DELETE FROM audit_accessevent WHERE id = (SELECT max(id) FROM audit_accessevent)")
    assert list(AccessEvent.objects.order_by("id")) == rows


def _deploy_errors() -> list[str | None]:
    checked = run_checks(include_deployment_checks=True, databases=["default"], tags=["database"])
    return [message.id for message in checked]


def test_the_deploy_check_refuses_an_app_that_could_rewrite_the_access_log() -> None:
    """`check --deploy --database default` as the app's role (`make run`, the deployment's units): the owner (the
    tests connect as it), or a role granted DELETE on the log or INSERT on its checkpoints, or one that may create
    roles, is refused; and `grant_app_role` will not set up the owner or a superuser as the app's role."""
    assert run_checks(include_deployment_checks=True, databases=None, tags=["database"]) == []  # no --database
    if connection.vendor != "postgresql":
        assert _deploy_errors() == []  # SQLite: one user, the file's owner; nothing to tell apart
        return
    assert _deploy_errors() == ["audit.E001"]
    superuser = f"aiguillage_root_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {superuser} NOLOGIN SUPERUSER")
    for role in (connection.settings_dict["USER"], superuser):  # the owner (the tests connect as it), a superuser
        with pytest.raises(CommandError, match="owns the access log"):
            call_command("grant_app_role", role)
    with pytest.raises(SystemCheckError, match=r"audit\.E001.*owns the access log"):
        call_command("check", "--deploy", "--database", "default", "--tag", "database")
    with as_role():
        assert _deploy_errors() == []
    grants = ("GRANT DELETE ON audit_accessevent TO {role}", "GRANT INSERT ON audit_accesslogcheckpoint TO {role}")
    with as_role(*grants):
        [error] = run_checks(include_deployment_checks=True, databases=["default"], tags=["database"])
    assert error.id == "audit.E002"
    assert "may DELETE from the access log, INSERT checkpoints." in error.msg
    with as_role("ALTER ROLE {role} CREATEROLE"):  # it could grant itself the owner's role
        [error] = run_checks(include_deployment_checks=True, databases=["default"], tags=["database"])
    assert error.id == "audit.E002" and "may create roles" in error.msg
