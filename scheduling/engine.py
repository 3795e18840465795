"""The scheduler's loop (`manage.py scheduler`, decision 0022), with time and execution injected for the tests.

At each tick: stamp the leases (a lease lost means another scheduler took over: stop); for each job whose next
occurrence has come, take its latest occurrence not after now; if it is no later than the job's grace, claim it (a
unique row) and hand it to the job's lane; then compute the job's next occurrence. Two lanes, each one thread running
its runs in order: the frequent jobs, and the daily ones (a long refresh never delays the alerts; the access log's purge
runs before its verification). A job still queued or running is not claimed again: its next occurrence does the work.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from django.db import DatabaseError, close_old_connections, connections
from django.db.models import Max

from . import services
from .jobs import APP, Job
from .models import JobRun

logger = logging.getLogger("aiguillage.scheduler")
Clock = Callable[[], datetime]


class InlineExecutor(Executor):
    """Runs what is submitted at once, in the caller's thread (tests)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future[object] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


class LeaseLost(Exception):
    pass


class Scheduler:
    def __init__(
        self,
        *,
        jobs: Sequence[Job],
        groups: Sequence[str],
        clock: Clock,
        holder: services.Holder | None = None,
        lanes: dict[str, Executor] | None = None,
    ) -> None:
        self.jobs = [job for job in jobs if job.group in groups]
        self.groups = list(groups)
        self.clock = clock
        self.holder = holder or services.Holder.of_this_process()
        # Real lanes are threads, each with its own database connection to close after a run; injected ones (tests)
        # run in the caller's thread and share its connection.
        self.own_threads = lanes is None
        self.lanes = lanes or {
            "frequent": ThreadPoolExecutor(1, thread_name_prefix="frequent"),
            "daily": ThreadPoolExecutor(1, thread_name_prefix="daily"),
        }
        self.next_at: dict[str, datetime] = {}
        self.busy: set[str] = set()
        self.lock = threading.Lock()
        self.leased = False

    def start(self) -> None:
        self.take_leases()
        self.plan()

    def take_leases(self) -> None:
        """Every lease of its groups, or none: LeaseHeld or a database error leaves none taken (a scheduler refused
        holds nothing)."""
        now = self.clock()
        taken: list[str] = []
        try:
            for group in self.groups:
                services.lease_acquire(group=group, holder=self.holder, now=now)
                taken.append(group)
        except BaseException:  # refused, or the database failed midway: nothing kept
            for group in taken:
                try:
                    services.lease_release(group=group, holder=self.holder)
                except DatabaseError:  # the database still away: that lease goes stale (LEASE_STALE)
                    logger.exception("the lease of the %r jobs could not be given back", group)
            raise
        self.leased = True
        services.runs_interrupted_close(jobs=[job.name for job in self.jobs], now=now)

    def plan(self) -> None:
        """Each job's next occurrence: the one after the last claimed (a missed one is then due at once); from now for
        a job never run."""
        now = self.clock()
        names = [job.name for job in self.jobs]
        last = dict(
            JobRun.objects.filter(job__in=names).values_list("job").annotate(last=Max("scheduled_for")).order_by()
        )
        for job in self.jobs:
            self.next_at[job.name] = job.following(last[job.name]) if job.name in last else job.first_at_or_after(now)

    def stop(self) -> None:
        for lane in self.lanes.values():
            lane.shutdown(wait=True)
        for group in self.groups if self.leased else ():
            services.lease_release(group=group, holder=self.holder)

    def tick(self) -> list[JobRun]:
        """One pass; returns the runs it claimed."""
        now = self.clock()
        for group in self.groups if self.leased else ():
            if not services.lease_renew(group=group, holder=self.holder, now=now):
                raise LeaseLost(f"the lease of the {group!r} jobs was taken over: this scheduler stops")
        claimed = []
        for job in self.jobs:
            if self.next_at[job.name] > now:
                continue
            occurrence = job.latest_at_or_before(now, since=self.next_at[job.name])
            self.next_at[job.name] = job.first_at_or_after(now + timedelta(microseconds=1))
            if occurrence is None:
                continue
            if now - occurrence > job.grace:
                logger.warning(
                    "%s: the occurrence of %s is too late to run (grace %s)", job.name, occurrence, job.grace
                )
                continue
            with self.lock:
                if job.name in self.busy:
                    logger.warning(
                        "%s: still running, the occurrence of %s is left to the next one", job.name, occurrence
                    )
                    continue
            try:
                run = services.occurrence_claim(job=job.name, scheduled_for=occurrence, holder=self.holder, now=now)
            except DatabaseError:
                # The database failed us (a lock, a reset connection): not claimed, so due again at the next tick,
                # within its grace, instead of waiting for its next occurrence (tomorrow, for a nightly job).
                self.next_at[job.name] = occurrence
                raise
            if run is None:
                continue  # another scheduler has it
            claimed.append(run)
            with self.lock:
                self.busy.add(job.name)
            lane = "frequent" if job.schedule.every_minutes else "daily"
            self.lanes[lane].submit(self._execute, job, run)
        return claimed

    def _execute(self, job: Job, run: JobRun) -> None:
        out = io.StringIO()
        error = ""
        try:
            if self.own_threads:
                close_old_connections()
            services.run_start(run=run, now=self.clock())
            job.run(out)
        except BaseException as exc:  # a failing job, whatever it raises, is recorded
            error = f"{type(exc).__name__}: {exc}"
            logger.error("%s failed: %s", job.name, error, exc_info=True)  # the traceback, in the journal only
        finally:
            output = out.getvalue()
            for line in output.splitlines():
                # The journal keeps what the jobs print (verify_access_log's row, checkpoint, seal: SECURITY.md).
                logger.info("%s: %s", job.name, line)
            try:
                services.run_finish(run=run, now=self.clock(), output=output, error=error)
            finally:
                with self.lock:
                    self.busy.discard(job.name)
                if self.own_threads:
                    connections.close_all()  # this lane's thread's connections; the main thread keeps its own
        return None

    def seconds_to_next(self) -> float:
        now = self.clock()
        return max(0.0, min((at - now).total_seconds() for at in self.next_at.values()))


def groups_for(option: str) -> list[str]:
    return [APP, "owner"] if option == "all" else [option]
