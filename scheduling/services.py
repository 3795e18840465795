"""Writes of the periodic jobs' bookkeeping: leases, occurrence claims, run outcomes, heartbeats (decision 0022)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import Heartbeat, JobRun, RunStatus, SchedulerLease

# A scheduler stamps its lease at every tick (seconds apart); one silent this long is taken for dead and taken over.
LEASE_STALE = timedelta(minutes=3)
# A live scheduler stamps its heartbeat at least this often (every tick, 15 s at most): one that stamped none for this
# long after we started is not alive.
HEARTBEAT_PROOF = timedelta(seconds=20)
DETAIL_CHARS = 2000
DETAIL_LINES = 12
INTERRUPTED = _("Interrupted: the scheduler running it stopped before it ended.")


class LeaseHeld(Exception):
    """Another scheduler holds the lease of this group and is alive."""

    def __init__(self, lease: SchedulerLease) -> None:
        self.lease = lease
        super().__init__(
            f"a scheduler for the {lease.group!r} jobs already runs on {lease.host} (pid {lease.pid}, "
            f"last heartbeat {timezone.localtime(lease.heartbeat_at):%Y-%m-%d %H:%M:%S %Z}): this one stops. A lease "
            f"with no heartbeat for {int(LEASE_STALE.total_seconds() // 60)} minutes is taken over."
        )


@dataclass(frozen=True)
class Holder:
    """Who this process is, as its lease and its runs record it."""

    token: str
    host: str
    pid: int
    # When this holder came to be: a lease of this host and pid whose heartbeat is older was a former incarnation of
    # this pid (a container restarted as pid 1 again); a newer heartbeat is another live process (None: never assumed).
    since: datetime | None = None

    @classmethod
    def of_this_process(cls) -> Holder:
        return cls(token=uuid.uuid4().hex, host=socket.gethostname()[:255], pid=os.getpid(), since=timezone.now())


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def lease_acquire(*, group: str, holder: Holder, now: datetime) -> SchedulerLease:
    """Takes the group's lease: free, stale (no heartbeat for LEASE_STALE), already ours, or held by a process of this
    host that no longer exists, or by a former incarnation of our own pid (a scheduler restarted after a crash need not
    wait out the staleness). A conditional
    UPDATE, then an INSERT the primary key keeps unique, so two schedulers starting at once cannot both get it.
    Raises LeaseHeld."""
    values = {"holder": holder.token, "host": holder.host, "pid": holder.pid, "started_at": now, "heartbeat_at": now}
    lapsed = Q(heartbeat_at__lt=now - LEASE_STALE) | Q(holder=holder.token)
    if SchedulerLease.objects.filter(lapsed, group=group).update(**values):
        return SchedulerLease.objects.get(group=group)
    try:
        with transaction.atomic():
            return SchedulerLease.objects.create(group=group, **values)
    except IntegrityError:
        pass
    held = SchedulerLease.objects.get(group=group)
    # Held from this host by another holder: gone if its process is; or, with our own pid, once we have lived longer
    # than a heartbeat's interval and it stamped none since we started (a former incarnation of this pid, e.g. a
    # container's scheduler restarted as pid 1 again; a live twin container with the same host name and pid stamps
    # one within HEARTBEAT_PROOF, and keeps its lease).
    former_self = (
        held.pid == holder.pid
        and holder.since is not None
        and held.heartbeat_at < holder.since
        and now >= holder.since + HEARTBEAT_PROOF
    )
    dead_here = held.host == holder.host and (former_self or (held.pid != holder.pid and _process_gone(held.pid)))
    if dead_here and SchedulerLease.objects.filter(group=group, holder=held.holder).update(**values):
        return SchedulerLease.objects.get(group=group)
    raise LeaseHeld(held)


def lease_renew(*, group: str, holder: Holder, now: datetime) -> bool:
    """Stamps the heartbeat; False when the lease is no longer ours (taken over while we were stuck)."""
    return bool(SchedulerLease.objects.filter(group=group, holder=holder.token).update(heartbeat_at=now))


def lease_release(*, group: str, holder: Holder) -> None:
    SchedulerLease.objects.filter(group=group, holder=holder.token).delete()


def runs_interrupted_close(*, jobs: list[str], now: datetime) -> int:
    """Runs left "running" by a scheduler that died end as failed. Called by a scheduler that has just taken its
    groups' leases and claimed nothing yet: no scheduler can be running them, not even a predecessor that had the same
    host and pid (a container's process restarted as pid 1)."""
    with translation.override(settings.LANGUAGE_CODE):
        detail = str(INTERRUPTED)
    return JobRun.objects.filter(job__in=jobs, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, finished_at=now, detail=detail
    )


def occurrence_claim(*, job: str, scheduled_for: datetime, holder: Holder, now: datetime) -> JobRun | None:
    """The run of this occurrence, or None when another scheduler (or this one before a restart) already claimed it:
    the unique (job, scheduled_for) row is the claim."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(
                job=job, scheduled_for=scheduled_for, started_at=now, host=holder.host, pid=holder.pid
            )
    except IntegrityError:
        return None


def run_start(*, run: JobRun, now: datetime) -> None:
    """The run really starts (its lane may have kept it waiting behind another job since its claim)."""
    if run.started_at != now:
        run.started_at = now
        run.save(update_fields=["started_at"])


def _excerpt(text: str, *, last: bool) -> str:
    lines = text.strip().splitlines()
    lines = lines[-DETAIL_LINES:] if last else lines[:DETAIL_LINES]
    return "\n".join(lines)[:DETAIL_CHARS]


def run_finish(*, run: JobRun, now: datetime, output: str, error: str = "") -> None:
    """Records the outcome: on a failure the error first, then the output's last lines (what the command wrote
    before failing, e.g. verify_access_log's problems); on a success the output's last lines."""
    run.finished_at = now
    run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    tail = _excerpt(output, last=True)
    run.detail = (_excerpt(f"{error}\n{tail}", last=False) if error else tail)[:DETAIL_CHARS]
    run.save(update_fields=["finished_at", "status", "detail"])


def job_runs_purge(*, now: datetime | None = None) -> int:
    """Deletes the runs older than AIGUILLAGE_JOB_RUNS_DAYS (the history the status page shows is bounded)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AIGUILLAGE_JOB_RUNS_DAYS)
    deleted, _ = JobRun.objects.filter(scheduled_for__lt=cutoff).exclude(status=RunStatus.RUNNING).delete()
    return deleted


def heartbeat_stamp(*, name: str, now: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now or timezone.now()})


def worker_heartbeat_enqueue(now: datetime | None = None) -> bool:
    """Queues the worker's heartbeat task unless a recent one is already waiting: a stopped worker does not pile them
    up, and one left RUNNING by a worker killed under it (nothing ever finishes it) does not stop the heartbeats."""
    from django_tasks_db.models import DBTaskResult

    from .selectors import WORKER_STALE
    from .tasks import worker_heartbeat

    recent = (now or timezone.now()) - WORKER_STALE
    waiting = DBTaskResult.objects.filter(
        task_path=worker_heartbeat.module_path, status__in=["READY", "RUNNING"], enqueued_at__gte=recent
    ).exists()
    if waiting:
        return False
    worker_heartbeat.enqueue()
    return True
