"""The periodic jobs' bookkeeping (decision 0022): one row per occurrence run, the schedulers' leases, the worker's
heartbeat."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Success")
    FAILED = "failed", _("Failure")


class JobRun(models.Model):
    """One occurrence of a job, claimed before it runs: the unique (job, scheduled_for) pair is what makes a second
    scheduler, or the same one restarted, skip an occurrence another already took."""

    job = models.CharField(max_length=64)
    scheduled_for = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    # The error's first lines (failure) or the output's last lines (success): what the status page shows.
    detail = models.TextField(blank=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "scheduled_for"], name="jobrun_one_per_occurrence")]
        indexes = [models.Index(fields=["job", "-scheduled_for"], name="jobrun_job_latest")]
        ordering = ["-scheduled_for"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")

    def __str__(self) -> str:
        return f"{self.job} @ {self.scheduled_for:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class SchedulerLease(models.Model):
    """Who runs a group of jobs ("app" or "owner"): one scheduler at a time; taken over when its heartbeat is stale."""

    group = models.CharField(max_length=16, primary_key=True)
    holder = models.CharField(max_length=64)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.group}: {self.host} pid {self.pid}"


class Heartbeat(models.Model):
    """When a process last proved it works, e.g. the task worker executing the scheduler's heartbeat task."""

    name = models.CharField(max_length=32, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"
