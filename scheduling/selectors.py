"""Reads of the periodic jobs' state: the status page's rows and the readiness checks (decision 0022)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .jobs import GROUPS, JOBS, Job
from .models import Heartbeat, JobRun, SchedulerLease
from .services import LEASE_STALE

# The scheduler queues the worker's heartbeat task every minute; a worker busy with a long report may take a while.
WORKER_STALE = timedelta(minutes=5)


@dataclass(frozen=True)
class JobStatus:
    job: Job
    last: JobRun | None
    next_at: datetime


@dataclass(frozen=True)
class Liveness:
    leases: dict[str, SchedulerLease | None]
    worker_seen_at: datetime | None
    now: datetime

    def scheduler_alive(self, group: str) -> bool:
        lease = self.leases.get(group)
        return lease is not None and self.now - lease.heartbeat_at <= LEASE_STALE

    @property
    def worker_alive(self) -> bool:
        return self.worker_seen_at is not None and self.now - self.worker_seen_at <= WORKER_STALE


def job_statuses(*, now: datetime | None = None) -> list[JobStatus]:
    """Each job with its latest run (one query) and its next occurrence."""
    now = now or timezone.now()
    latest = JobRun.objects.filter(job=OuterRef("job")).order_by("-scheduled_for").values("pk")[:1]
    runs = {run.job: run for run in JobRun.objects.filter(pk=Subquery(latest))}
    return [JobStatus(job=job, last=runs.get(job.name), next_at=job.first_at_or_after(now)) for job in JOBS]


def liveness(*, now: datetime | None = None) -> Liveness:
    """The schedulers' leases and the worker's last heartbeat (two queries)."""
    leases = {lease.group: lease for lease in SchedulerLease.objects.filter(group__in=GROUPS)}
    seen = Heartbeat.objects.filter(name="worker").values_list("seen_at", flat=True).first()
    return Liveness(
        leases={group: leases.get(group) for group in GROUPS}, worker_seen_at=seen, now=now or timezone.now()
    )


_migrated: set[str] = set()  # aliases found fully migrated: a process's code never goes back to fewer migrations


def migrations_applied(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether every migration of the code is applied. Once true, remembered for the life of the process."""
    if alias in _migrated:
        return True
    executor = MigrationExecutor(connections[alias])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    _migrated.add(alias)
    return True


def readiness(*, now: datetime | None = None) -> list[str]:
    """What fails, in the order checked: "database", "migrations", "worker", "scheduler", "owner_scheduler"."""
    try:
        connections[DEFAULT_DB_ALIAS].ensure_connection()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return ["database"]
    failing = [] if migrations_applied() else ["migrations"]
    try:
        state = liveness(now=now)
    except DatabaseError:  # the tables themselves missing (migrations not applied)
        return [*failing, "worker", "scheduler", "owner_scheduler"]
    if not state.worker_alive:
        failing.append("worker")
    if not state.scheduler_alive("app"):
        failing.append("scheduler")
    if not state.scheduler_alive("owner"):
        failing.append("owner_scheduler")
    return failing
