"""Two schedulers claiming the same occurrence at the same instant, each thread in its own database connection (on
SQLite and on PostgreSQL, `make test`): the job runs once, the other scheduler skips it without an error. The leases
normally keep a second scheduler out; this is the case they cannot: a scheduler stuck past its lease's staleness
waking up beside its successor."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from scheduling.jobs import Schedule
from scheduling.models import JobRun, RunStatus

from .helpers import Calls, Clock, paris, scheduler

pytestmark = pytest.mark.django_db(transaction=True)
SCHEDULERS = 8


def test_an_occurrence_claimed_by_several_schedulers_at_once_runs_once() -> None:
    calls = Calls()
    clock = Clock(paris(2026, 12, 7, 2, 0, 1))
    schedulers = [
        scheduler(
            [calls.job("nightly", Schedule(every_minutes=5))], Clock(paris(2026, 12, 7, 1, 59)), name=f"s{i}", pid=i
        )
        for i in range(SCHEDULERS)
    ]
    for each in schedulers:
        each.plan()  # the next occurrence is 02:00 for all (no lease: the case the leases cannot exclude)
        each.clock = clock
    barrier = threading.Barrier(SCHEDULERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            claimed = schedulers[index].tick()
            result = "ran" if claimed else "skipped"
        except Exception as error:
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(SCHEDULERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ran"] + ["skipped"] * (SCHEDULERS - 1)
    assert calls.names == ["nightly"]
    run = JobRun.objects.get()
    assert (run.scheduled_for, run.status) == (paris(2026, 12, 7, 2, 0), RunStatus.SUCCEEDED)
