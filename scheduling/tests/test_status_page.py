"""The platform administrator's page of the periodic jobs: superusers only, each job's schedule, last run, outcome
and next run, the schedulers' and the worker's liveness; a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import override

from conftest import World
from scheduling import services
from scheduling.jobs import APP, JOBS
from scheduling.models import RunStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "admin:scheduling_jobrun_changelist"


def _platform_admin() -> Client:
    client = Client()
    client.force_login(UserFactory(username="plateforme", is_staff=True, is_superuser=True))
    return client


def test_the_page_shows_each_job_its_last_run_and_outcome(django_assert_max_num_queries) -> None:
    now = timezone.now()
    holder = services.Holder("x", "h", 1)
    ok = services.occurrence_claim(
        job="refresh_indicators", scheduled_for=now - timedelta(hours=3), holder=holder, now=now - timedelta(hours=3)
    )
    services.run_finish(run=ok, now=now - timedelta(hours=3) + timedelta(seconds=75), output="13 months stored")
    bad = services.occurrence_claim(
        job="verify_access_log", scheduled_for=now - timedelta(hours=2), holder=holder, now=now
    )
    services.run_finish(run=bad, now=now, output="", error="CommandError: checkpoint 12 is gone\nTraceback…")
    services.occurrence_claim(job="advance_alerts", scheduled_for=now, holder=holder, now=now)
    services.lease_acquire(group=APP, holder=holder, now=now)
    client = _platform_admin()
    # The session, the user, their second factor; the leases, the worker's heartbeat, the runs.
    with override("en"), django_assert_max_num_queries(6):
        response = client.get(reverse(URL), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    with override("en"):
        labels = [str(job.label) for job in JOBS]
    for job, label in zip(JOBS, labels, strict=True):
        assert escape(label) in html and job.name in html
    assert "Every day at 02:00" in html and "Every 5 minutes" in html and "Every minute" in html
    assert "1 min 15 s" in html
    assert "checkpoint 12 is gone" in html
    with override("en"):
        assert str(RunStatus.RUNNING.label) in html and str(RunStatus.FAILED.label) in html
    assert "Scheduler: running." in html
    assert "Task worker: not seen for 5 minutes." in html
    assert "Owner scheduler (access log purge and verification): not running" in html
    assert '<th scope="col">' in html and "<caption>" in html


def test_times_are_shown_in_paris_time() -> None:
    holder = services.Holder("x", "h", 1)
    at = datetime(2026, 7, 1, 0, 30, tzinfo=UTC)  # 02:30 in Paris (summer)
    run = services.occurrence_claim(job="extend_plans", scheduled_for=at, holder=holder, now=at)
    services.run_finish(run=run, now=at + timedelta(seconds=4), output="")
    html = _platform_admin().get(reverse(URL), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "01/07/2026 02:30:00" in html and "4 s" in html


def test_a_staff_member_who_is_no_superuser_is_refused() -> None:
    client = Client()
    client.force_login(UserFactory(username="support", is_staff=True, is_superuser=False))
    assert client.get(reverse(URL)).status_code == 403


def test_cell_members_and_visitors_are_sent_to_log_in(world: World) -> None:
    for client in (world.client_for(world.owner), Client()):
        response = client.get(reverse(URL))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_runs_cannot_be_added_changed_or_deleted_from_the_admin() -> None:
    from django.urls import NoReverseMatch

    for name in ("admin:scheduling_jobrun_add", "admin:scheduling_jobrun_delete"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1] if name.endswith("delete") else [])


def test_the_platform_administrators_admin_home_links_the_page() -> None:
    assert reverse(URL) in _platform_admin().get(reverse("admin:index")).content.decode()
