"""The monitoring's probes through the deployment's nginx (scheduling/views.py): /healthz for anyone, over HTTPS like
every page; /readyz passed to the app for loopback (the configuration's `allow`), where it reaches the database.
Runs once, on PostgreSQL, beside test_nginx.py and on the same nginx and gunicorn (conftest.py)."""

from __future__ import annotations

import pytest
from django.conf import settings

from deploy.tests.stack import Deployment, https

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="runs once, on PostgreSQL (make test-postgres)"),
    # One pytest-xdist process runs them all, so that one nginx and one gunicorn start (make test: --dist loadgroup).
    pytest.mark.xdist_group("deployment"),
]


def test_healthz_answers_through_nginx(deployment: Deployment) -> None:
    answer = https(deployment, "/healthz")
    assert (answer.status, answer.json()) == (200, {"status": "ok"})
    assert answer.headers["Cache-Control"] == "no-store"


def test_readyz_reaches_the_app_and_its_database_from_loopback(deployment: Deployment) -> None:
    answer = https(deployment, "/readyz")
    # No worker nor scheduler runs beside this gunicorn: the app names them; the database and migrations answer.
    assert answer.status == 503
    failing = answer.json()["failing"]
    assert {"worker", "scheduler"} <= set(failing) and not {"database", "migrations"} & set(failing)
