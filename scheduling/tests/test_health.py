"""/healthz and /readyz for the host's monitoring: no login, a small JSON body, 503 naming each failing check, few
queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from scheduling import selectors, services
from scheduling.jobs import APP, OWNER

pytestmark = pytest.mark.django_db


def _all_alive(*, worker_ago: timedelta = timedelta(0), lease_ago: timedelta = timedelta(0)) -> None:
    now = timezone.now()
    services.heartbeat_stamp(name="worker", now=now - worker_ago)
    for group in (APP, OWNER):
        services.lease_acquire(group=group, holder=services.Holder(group, "h", 1), now=now - lease_ago)


def test_healthz_answers_without_the_database(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_everything_is_alive_in_few_queries(
    django_assert_max_num_queries, django_assert_num_queries
) -> None:
    _all_alive()
    selectors._migrated.clear()
    with django_assert_max_num_queries(5):  # SELECT 1, the migrations table and its rows, the leases, the heartbeat
        response = Client().get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    with django_assert_num_queries(3):  # the migrations, once found applied, are not read again
        assert Client().get("/readyz").status_code == 200


def test_readyz_names_a_worker_not_seen_for_five_minutes() -> None:
    _all_alive(worker_ago=timedelta(minutes=6))
    response = Client().get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "failing", "failing": ["worker"]})


def test_readyz_names_a_worker_never_seen() -> None:
    _all_alive()
    from scheduling.models import Heartbeat

    Heartbeat.objects.all().delete()
    assert Client().get("/readyz").json()["failing"] == ["worker"]


def test_readyz_names_a_scheduler_whose_lease_is_stale() -> None:
    _all_alive(lease_ago=timedelta(minutes=4))
    response = Client().get("/readyz")
    assert (response.status_code, response.json()["failing"]) == (503, ["scheduler", "owner_scheduler"])


def test_readyz_names_a_missing_owner_scheduler() -> None:
    _all_alive()
    services.lease_release(group=OWNER, holder=services.Holder(OWNER, "h", 1))
    assert Client().get("/readyz").json()["failing"] == ["owner_scheduler"]


def test_readyz_names_unapplied_migrations() -> None:
    _all_alive()
    selectors._migrated.clear()
    MigrationRecorder(connections["default"]).record_unapplied("scheduling", "0001_initial")
    response = Client().get("/readyz")
    assert (response.status_code, response.json()["failing"]) == (503, ["migrations"])


def test_readyz_names_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    response = Client().get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "failing", "failing": ["database"]})


def test_the_probes_ignore_a_logged_in_session_without_second_factor() -> None:
    from conftest import _original_force_login
    from tests.factories import UserFactory

    client = Client()
    _original_force_login(client, UserFactory(username="sans-otp"))  # logged in, the second factor not verified
    assert client.get("/").status_code == 302  # every other page sends this session to the second factor
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)
