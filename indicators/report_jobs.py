"""Reports built in the background: asking for one (a service), the worker's task that builds it, and the reads of the
reports pages (selectors).

The request records a job and queues the task in one transaction; the worker claims the job with a conditional UPDATE
from "queued" to "running" (a second worker, or the task run twice, does nothing), renders the file while writing its
progress now and then, and stores the file and "ready" in one UPDATE, or "failed" with a French message: never a
half-stored file. Jobs older than a week are dropped, files and all, whenever a report is asked for or finished."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from common.periods import Period
from territory.models import Cell

from . import aci, report
from .models import ACTIVE_REPORT_STATUSES, ReportJob, ReportKind, ReportStatus

logger = logging.getLogger(__name__)

REPORT_JOB_KEPT_DAYS = 7
# A job "running" without an end for this long lost its worker (stopped, restarted): asked again, it is replaced.
REPORT_JOB_STALE_MINUTES = 15
# Progress is written when it moved by this many points: at most four writes before the last one.
PROGRESS_STEP = 20
SHOWN_JOBS = 20

REPORT_FAILED = _("The report could not be built. Ask for it again; if it fails again, tell the Aiguillage team.")
REPORT_INTERRUPTED = _("The report stopped before its end (was the worker stopped?). Ask for it again.")

Progress = Callable[[int], None]


def aci_year(year: int) -> Period:
    return aci.aci_year(year)


def _active(cell: Cell, kind: str, period: Period) -> QuerySet[ReportJob]:
    return ReportJob.objects.filter(
        cell=cell, kind=kind, first=period.first, last=period.last, status__in=ACTIVE_REPORT_STATUSES
    ).defer("content")


def _french(message: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def report_jobs_drop_old(*, now: datetime) -> int:
    """Drop the jobs asked for more than REPORT_JOB_KEPT_DAYS ago, with their files."""
    deleted, _by_model = ReportJob.objects.filter(asked_at__lt=now - timedelta(days=REPORT_JOB_KEPT_DAYS)).delete()
    return deleted


def report_job_request(*, cell: Cell, user: Any, kind: str, period: Period) -> ReportJob:
    """Ask for a report: the job waiting or being built for the same cell, kind and period if there is one (no double
    work), else a new job queued for the worker. A job "running" for REPORT_JOB_STALE_MINUTES lost its worker: it is
    marked failed and replaced."""
    now = timezone.now()
    report_jobs_drop_old(now=now)
    _active(cell, kind, period).filter(
        status=ReportStatus.RUNNING, started_at__lt=now - timedelta(minutes=REPORT_JOB_STALE_MINUTES)
    ).update(status=ReportStatus.FAILED, finished_at=now, error=_french(REPORT_INTERRUPTED))
    existing = _active(cell, kind, period).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = ReportJob.objects.create(
                cell=cell, kind=kind, first=period.first, last=period.last, asked_by=user, asked_at=now
            )
            run_report_job.enqueue(job.pk)  # in this transaction: a rolled-back request queues nothing
    except IntegrityError:  # the same report asked at the same moment by someone else: theirs is ours
        existing = _active(cell, kind, period).first()
        if existing is None:
            raise
        return existing
    return job


class _ProgressWriter:
    """The renderer's progress callback: writes the percentage to the job's row when it moved by PROGRESS_STEP."""

    def __init__(self, job_pk: int) -> None:
        self.job_pk, self.written = job_pk, 0

    def __call__(self, percent: int) -> None:
        percent = max(0, min(99, int(percent)))  # 100 is written with the file
        if percent - self.written < PROGRESS_STEP:
            return
        ReportJob.objects.filter(pk=self.job_pk, status=ReportStatus.RUNNING).update(progress=percent)
        self.written = percent


def render(job: ReportJob, now: datetime, progress: Progress) -> bytes:
    """The file of a job, by its kind."""
    period = Period(job.first, job.last)
    if job.kind == ReportKind.MONTHLY_PDF:
        progress(PROGRESS_STEP)
        return report.render_pdf(job.cell, job.first, now)
    if job.kind == ReportKind.ACI_PDF:
        return aci.render_pdf(job.cell, period, now, progress=progress)
    if job.kind == ReportKind.ACI_XLSX:
        return aci.render_xlsx(job.cell, period, now)
    raise ValueError(f"unknown report kind {job.kind!r}")


def report_job_run(*, job_pk: int) -> ReportJob | None:
    """Build a queued report (the worker's task). Claimed by a conditional UPDATE; finished by one UPDATE that stores
    the file with "ready" only if the job is still running (not given up as stale meanwhile)."""
    now = timezone.now()
    claimed = ReportJob.objects.filter(pk=job_pk, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING, started_at=now, progress=0
    )
    if not claimed:
        return None
    job = ReportJob.objects.select_related("cell").defer("content").get(pk=job_pk)
    still_running = ReportJob.objects.filter(pk=job_pk, status=ReportStatus.RUNNING)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            content = render(job, now, _ProgressWriter(job_pk))
    except Exception:
        logger.exception("Report job %s (%s, %s–%s) failed", job_pk, job.kind, job.first, job.last)
        still_running.update(status=ReportStatus.FAILED, finished_at=timezone.now(), error=_french(REPORT_FAILED))
    else:
        still_running.update(
            status=ReportStatus.READY, progress=100, content=content, size=len(content), finished_at=timezone.now()
        )
    report_jobs_drop_old(now=now)
    return ReportJob.objects.defer("content").filter(pk=job_pk).first()


@task()
def run_report_job(job_pk: int) -> None:
    report_job_run(job_pk=job_pk)


# Reads of the reports pages, always within the cell.


def report_job_list(cell: Cell) -> QuerySet[ReportJob]:
    return ReportJob.objects.filter(cell=cell).defer("content").select_related("asked_by")


def report_job_get(cell: Cell, pk: int) -> ReportJob:
    job = ReportJob.objects.filter(cell=cell, pk=pk).defer("content").select_related("cell", "asked_by").first()
    if job is None:
        raise Http404
    return job


def report_job_file(cell: Cell, pk: int) -> ReportJob:
    """A ready job with its file (404 while it is not ready: there is nothing to download)."""
    job = ReportJob.objects.filter(cell=cell, pk=pk, status=ReportStatus.READY).select_related("cell").first()
    if job is None:
        raise Http404
    return job
