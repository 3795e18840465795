"""Reports built in the background, the services and the worker's task: asked twice while waiting, built once; claimed
by one worker; the progress written a few times; a failure stored with its French message and no file; a job whose
worker died replaced; old jobs dropped."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from conftest import World
from indicators.models import ReportJob, ReportKind, ReportStatus
from indicators.periods import month_period
from indicators.report_jobs import REPORT_FAILED, REPORT_INTERRUPTED, report_job_request, report_job_run
from tests.worker import work

pytestmark = pytest.mark.django_db

NOVEMBER = month_period(date(2026, 11, 1))


def ask(world: World, kind: str = ReportKind.MONTHLY_PDF, period: Any = NOVEMBER) -> ReportJob:
    return report_job_request(cell=world.cell, user=world.owner, kind=kind, period=period)


def french(message: Any) -> str:
    with translation.override("fr"):
        return str(message)


def test_a_report_asked_is_queued_then_built_by_the_worker(world: World) -> None:
    job = ask(world)
    assert (job.status, job.first, job.last, job.asked_by) == (
        "queued",
        date(2026, 11, 1),
        date(2026, 11, 30),
        world.owner,
    )
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # queued with the job, in its transaction
    work()
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == ("ready", 100, "")
    assert bytes(job.content).startswith(b"%PDF") and job.size == len(bytes(job.content))
    assert job.started_at is not None and job.finished_at is not None


def test_the_same_report_asked_twice_while_waiting_is_built_once(world: World) -> None:
    first = ask(world)
    assert ask(world).pk == first.pk
    assert ask(world, period=month_period(date(2026, 10, 1))).pk != first.pk  # another month
    assert ReportJob.objects.count() == 2 and DBTaskResult.objects.count() == 2
    ReportJob.objects.filter(pk=first.pk).update(status="running", started_at=timezone.now())
    assert ask(world).pk == first.pk  # being built: still the same
    ReportJob.objects.filter(pk=first.pk).update(status="ready")
    assert ask(world).pk != first.pk  # once built, asked again: built again (the activity may have been completed)


def test_a_failing_report_is_stored_as_failed_with_a_french_message_and_no_file(world: World) -> None:
    job = ask(world)
    with mock.patch("indicators.report.render_pdf", side_effect=RuntimeError("boom")):
        work()
    job.refresh_from_db()
    assert (job.status, bytes(job.content), job.size) == ("failed", b"", 0)
    assert job.error == french(REPORT_FAILED) and job.finished_at is not None


def test_the_database_refuses_two_active_jobs_for_one_report(world: World) -> None:
    fields = {"cell": world.cell, "kind": ReportKind.MONTHLY_PDF, "first": NOVEMBER.first}
    ReportJob.objects.create(**fields, last=NOVEMBER.last, asked_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportJob.objects.create(**fields, last=NOVEMBER.last, asked_at=timezone.now(), status="running")


def test_a_job_is_claimed_once(world: World) -> None:
    job = ask(world)
    assert report_job_run(job_pk=job.pk) is not None
    assert report_job_run(job_pk=job.pk) is None  # already built: a second worker does nothing
    assert ReportJob.objects.get().status == ReportStatus.READY


def test_the_progress_is_written_to_the_row_a_few_times(world: World) -> None:
    job = ask(world)
    seen: list[int] = []

    def slow_render(job: ReportJob, now: Any, progress: Any) -> bytes:
        with CaptureQueriesContext(connection) as writes:
            for percent in range(101):
                progress(percent)
                if percent == 50:
                    seen.append(ReportJob.objects.get(pk=job.pk).progress)
        assert len(writes) - 1 <= 4  # the read above aside: at most four writes for a hundred calls
        return b"%PDF-1.7 fake"

    with mock.patch("indicators.report_jobs.render", slow_render):
        report_job_run(job_pk=job.pk)
    assert seen == [40]  # the worker's progress, as the polling page reads it
    job.refresh_from_db()
    assert (job.status, job.progress) == ("ready", 100)


def test_a_job_whose_worker_died_is_replaced_when_asked_again(world: World) -> None:
    job = ask(world)
    ReportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now() - timedelta(minutes=20))
    again = ask(world)
    assert again.pk != job.pk and again.status == ReportStatus.QUEUED
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", french(REPORT_INTERRUPTED))


def test_jobs_older_than_a_week_are_dropped_with_their_files(world: World) -> None:
    old = ReportJob.objects.create(
        cell=world.cell, kind=ReportKind.MONTHLY_PDF, first=date(2026, 9, 1), last=date(2026, 9, 30),
        asked_at=timezone.now() - timedelta(days=8), status="ready", content=b"%PDF old", size=8,
    )  # fmt: skip
    recent = ReportJob.objects.create(
        cell=world.cell, kind=ReportKind.MONTHLY_PDF, first=date(2026, 10, 1), last=date(2026, 10, 31),
        asked_at=timezone.now() - timedelta(days=6), status="ready", content=b"%PDF recent", size=11,
    )  # fmt: skip
    ask(world)
    assert not ReportJob.objects.filter(pk=old.pk).exists() and ReportJob.objects.filter(pk=recent.pk).exists()
