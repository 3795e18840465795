"""The scheduler's rules, with the time injected: each occurrence once, the lease, failures, catch-up."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling import services
from scheduling.engine import LeaseLost
from scheduling.jobs import APP, DAILY_GRACE, JOBS, OWNER, Schedule
from scheduling.models import JobRun, RunStatus, SchedulerLease

from .helpers import Calls, Clock, paris, scheduler

PARIS_UTC = __import__("datetime").timezone.utc
PARIS = ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db

EVERY_MINUTE = Schedule(every_minutes=1)
NIGHTLY = Schedule(at="02:00")


def test_a_job_runs_at_each_occurrence_and_only_once_per_occurrence() -> None:
    calls = Calls()
    clock = Clock(paris(2026, 12, 7, 10, 0, 30))
    first = scheduler([calls.job("tick", EVERY_MINUTE)], clock)
    first.start()
    assert first.tick() == []  # the next occurrence is 10:01
    clock.advance(seconds=31)
    assert [run.scheduled_for for run in first.tick()] == [paris(2026, 12, 7, 10, 1)]
    clock.advance(seconds=10)
    assert first.tick() == []
    assert calls.names == ["tick"]
    run = JobRun.objects.get()
    assert (run.status, run.detail, run.host) == (RunStatus.SUCCEEDED, "tick done", "host-a")


def test_a_restarted_scheduler_does_not_run_again_what_ran_before_it_stopped() -> None:
    calls = Calls()
    clock = Clock(paris(2026, 12, 7, 1, 59, 50))
    first = scheduler([calls.job("nightly", NIGHTLY, grace=DAILY_GRACE)], clock)
    first.start()
    clock.advance(seconds=15)
    first.tick()
    first.stop()
    again = scheduler([calls.job("nightly", NIGHTLY, grace=DAILY_GRACE)], clock, name="b", pid=2)
    again.start()
    clock.advance(minutes=30)
    assert again.tick() == []
    assert calls.names == ["nightly"]


def test_the_same_occurrence_claimed_twice_is_given_once() -> None:
    holder = services.Holder(token="x", host="h", pid=1)
    at = paris(2026, 12, 7, 2, 0)
    assert services.occurrence_claim(job="nightly", scheduled_for=at, holder=holder, now=at) is not None
    assert services.occurrence_claim(job="nightly", scheduled_for=at, holder=holder, now=at) is None
    assert JobRun.objects.count() == 1


def test_a_second_scheduler_is_refused_with_who_holds_the_lease_and_takes_nothing() -> None:
    clock = Clock(paris(2026, 12, 7, 10, 0))
    calls = Calls()
    scheduler([calls.job("tick", EVERY_MINUTE)], clock).start()
    second = scheduler([calls.job("tick", EVERY_MINUTE)], clock, groups=(OWNER, APP), name="b", pid=2)
    with pytest.raises(services.LeaseHeld, match="already runs on host-a \\(pid 1"):
        second.start()
    # The owner's lease it took before finding the app's held is given back: nothing half-done.
    assert list(SchedulerLease.objects.values_list("group", "holder")) == [(APP, "a")]


def test_the_command_refuses_to_start_beside_a_live_scheduler() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("the test database's role owns everything: --jobs app refuses it before the lease (tested below)")
    services.lease_acquire(group=APP, holder=services.Holder("other", "elsewhere", 42), now=paris(2030, 1, 1))
    with pytest.raises(CommandError, match="already runs on elsewhere \\(pid 42"):
        call_command("scheduler")


def test_a_stale_lease_is_taken_over_and_its_old_holder_stops() -> None:
    clock = Clock(paris(2026, 12, 7, 10, 0))
    calls = Calls()
    stuck = scheduler([calls.job("tick", EVERY_MINUTE)], clock)
    stuck.start()
    clock.advance(minutes=2)
    with pytest.raises(services.LeaseHeld):
        scheduler([calls.job("tick", EVERY_MINUTE)], clock, name="b", pid=2).start()
    clock.advance(minutes=2)  # four minutes without a heartbeat
    successor = scheduler([calls.job("tick", EVERY_MINUTE)], clock, name="b", pid=2)
    successor.start()
    assert SchedulerLease.objects.get(group=APP).host == "host-b"
    with pytest.raises(LeaseLost):
        stuck.tick()


def test_a_run_left_running_by_a_dead_scheduler_is_closed_as_failed_by_its_successor() -> None:
    clock = Clock(paris(2026, 12, 7, 10, 0))
    calls = Calls()
    dead = services.Holder("dead", "host-dead", 9)
    services.occurrence_claim(job="tick", scheduled_for=paris(2026, 12, 7, 9, 50), holder=dead, now=clock.now)
    scheduler([calls.job("tick", EVERY_MINUTE)], clock).start()
    run = JobRun.objects.get()
    assert (
        run.status == RunStatus.FAILED
        and run.detail == "Interrompue : le planificateur qui la menait s’est arrêté avant la fin."
    )


def test_a_run_left_by_a_predecessor_with_the_same_host_and_pid_is_closed_too() -> None:
    """A container's scheduler restarted is pid 1 again, on the same host name."""
    clock = Clock(paris(2026, 12, 7, 10, 0))
    calls = Calls()
    same = services.Holder("before-restart", "host-a", 1)
    services.occurrence_claim(job="tick", scheduled_for=paris(2026, 12, 7, 9, 50), holder=same, now=clock.now)
    services.lease_acquire(group=APP, holder=same, now=clock.now - timedelta(seconds=40))  # not yet stale
    # host-a, pid 1, started 30 s ago: no heartbeat since, so no live twin: taken, no 3 minutes' wait.
    restarted = scheduler([calls.job("tick", EVERY_MINUTE)], clock, since=clock.now - timedelta(seconds=30))
    restarted.start()
    assert SchedulerLease.objects.get(group=APP).holder == "a"
    assert JobRun.objects.get().status == RunStatus.FAILED


def test_a_live_scheduler_with_the_same_host_name_and_pid_keeps_its_lease() -> None:
    """Two containers sharing a host name, each its scheduler as pid 1: the other stamped a heartbeat after this one
    started, so it is alive; no taking turns, no run of the other's closed as interrupted."""
    clock = Clock(paris(2026, 12, 7, 10, 0))
    twin = services.Holder("twin", "host-a", 1)
    services.occurrence_claim(job="tick", scheduled_for=paris(2026, 12, 7, 9, 59), holder=twin, now=clock.now)
    services.lease_acquire(group=APP, holder=twin, now=clock.now - timedelta(seconds=5))
    second = scheduler([Calls().job("tick", EVERY_MINUTE)], clock, since=clock.now - timedelta(seconds=30))
    with pytest.raises(services.LeaseHeld):
        second.start()
    # Just started, its twin's last heartbeat a little older than itself: it waits for the proof of a heartbeat's
    # interval rather than take a live lease.
    SchedulerLease.objects.filter(group=APP).update(heartbeat_at=clock.now - timedelta(seconds=12))
    just_started = scheduler([Calls().job("tick", EVERY_MINUTE)], clock, since=clock.now - timedelta(seconds=3))
    with pytest.raises(services.LeaseHeld):
        just_started.start()
    assert SchedulerLease.objects.get(group=APP).holder == "twin"
    assert JobRun.objects.get().status == RunStatus.RUNNING


def test_a_failing_job_is_recorded_with_its_first_lines_and_the_others_still_run() -> None:
    calls = Calls()
    clock = Clock(paris(2026, 12, 7, 10, 0, 50))
    jobs = [calls.job("broken", EVERY_MINUTE, fail=True), calls.job("fine", EVERY_MINUTE)]
    running = scheduler(jobs, clock)
    running.start()
    clock.advance(seconds=15)
    running.tick()
    clock.advance(minutes=1)
    running.tick()
    assert calls.names == ["broken", "fine", "broken", "fine"]
    broken = JobRun.objects.filter(job="broken").first()
    assert broken is not None and broken.status == RunStatus.FAILED
    assert broken.detail == "CommandError: broken broke\nsecond line\nbroken done"  # the error, then the output
    assert broken.finished_at == clock.now
    assert set(JobRun.objects.filter(job="fine").values_list("status", flat=True)) == {RunStatus.SUCCEEDED}


def test_a_daily_job_missed_while_down_runs_once_when_the_scheduler_is_back_the_same_day() -> None:
    calls = Calls()
    holder = services.Holder("old", "h", 1)
    services.occurrence_claim(
        job="nightly", scheduled_for=paris(2026, 12, 6, 2, 0), holder=holder, now=paris(2026, 12, 6, 2, 0)
    )
    JobRun.objects.update(status=RunStatus.SUCCEEDED)
    clock = Clock(paris(2026, 12, 7, 9, 0))  # down from 01:00 to 09:00
    back = scheduler([calls.job("nightly", NIGHTLY, grace=DAILY_GRACE)], clock)
    back.start()
    assert [run.scheduled_for for run in back.tick()] == [paris(2026, 12, 7, 2, 0)]
    clock.advance(hours=1)
    assert back.tick() == []
    assert calls.names == ["nightly"]


def test_a_daily_job_missed_beyond_its_grace_waits_for_its_next_occurrence() -> None:
    calls = Calls()
    holder = services.Holder("old", "h", 1)
    services.occurrence_claim(
        job="nightly", scheduled_for=paris(2026, 12, 6, 2, 0), holder=holder, now=paris(2026, 12, 6, 2, 0)
    )
    JobRun.objects.update(status=RunStatus.SUCCEEDED)
    clock = Clock(paris(2026, 12, 7, 23, 0))  # 21 hours late: too late to be useful
    back = scheduler([calls.job("nightly", NIGHTLY, grace=DAILY_GRACE)], clock)
    back.start()
    assert back.tick() == []
    clock.now = paris(2026, 12, 8, 2, 0, 5)
    assert [run.scheduled_for for run in back.tick()] == [paris(2026, 12, 8, 2, 0)]


def test_a_frequent_job_runs_its_latest_occurrence_once_after_hours_down() -> None:
    calls = Calls()
    holder = services.Holder("old", "h", 1)
    services.occurrence_claim(
        job="tick", scheduled_for=paris(2026, 12, 7, 7, 0), holder=holder, now=paris(2026, 12, 7, 7, 0)
    )
    JobRun.objects.update(status=RunStatus.SUCCEEDED)
    clock = Clock(paris(2026, 12, 7, 10, 0, 20))
    back = scheduler([calls.job("tick", EVERY_MINUTE)], clock)
    back.start()
    assert [run.scheduled_for for run in back.tick()] == [paris(2026, 12, 7, 10, 0)]
    assert calls.names == ["tick"]


def test_daily_times_are_paris_wall_clock_across_the_clock_change() -> None:
    calls = Calls()
    job = calls.job("nightly", NIGHTLY, grace=DAILY_GRACE)
    before = job.first_at_or_after(paris(2027, 3, 27, 12, 0))
    after = job.following(before)
    assert (before.astimezone(PARIS_UTC).hour, after.astimezone(PARIS_UTC).hour) == (1, 0)  # 02:00 CET, then CEST


def test_the_history_past_its_days_is_purged_but_not_a_run_under_way(settings) -> None:
    settings.AIGUILLAGE_JOB_RUNS_DAYS = 30
    holder = services.Holder("x", "h", 1)
    now = paris(2026, 12, 7, 4, 0)
    for days, status in ((31, RunStatus.SUCCEEDED), (31, RunStatus.RUNNING), (29, RunStatus.FAILED)):
        run = services.occurrence_claim(
            job=f"j{days}{status}", scheduled_for=now - timedelta(days=days), holder=holder, now=now
        )
        JobRun.objects.filter(pk=run.pk).update(status=status)
    assert services.job_runs_purge(now=now) == 1
    assert JobRun.objects.count() == 2


def test_every_command_job_names_a_command_of_the_project() -> None:
    commands = get_commands()
    for job in JOBS:
        if job.name not in ("worker_heartbeat", "purge_job_runs"):
            assert job.name in commands
    assert {job.name for job in JOBS if job.group == OWNER} == {"purge_access_log", "verify_access_log"}


def test_the_real_jobs_claim_and_record_a_command_run() -> None:
    clock = Clock(paris(2026, 12, 7, 9, 59, 55))
    real = scheduler([job for job in JOBS if job.name == "advance_alerts"], clock)
    real.start()
    clock.advance(seconds=10)
    (run,) = real.tick()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


def test_the_worker_heartbeat_is_queued_once_while_one_waits() -> None:
    from scheduling.models import Heartbeat
    from scheduling.tasks import worker_heartbeat

    assert services.worker_heartbeat_enqueue() is True
    assert services.worker_heartbeat_enqueue() is False
    worker_heartbeat.call()
    assert Heartbeat.objects.filter(name="worker").exists()


def test_a_heartbeat_left_running_by_a_killed_worker_does_not_stop_the_next_ones() -> None:
    from django_tasks_db.models import DBTaskResult

    assert services.worker_heartbeat_enqueue() is True
    DBTaskResult.objects.update(status="RUNNING")  # the worker was killed while running it: nothing finishes it
    assert services.worker_heartbeat_enqueue() is False  # a recent one: it may still be running
    later = timezone.now() + timedelta(minutes=6)
    assert services.worker_heartbeat_enqueue(now=later) is True
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_on_postgresql_the_owner_jobs_never_run_in_the_apps_scheduler() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    with pytest.raises(CommandError, match="--jobs all is for SQLite"):
        call_command("scheduler", jobs="all")
    # The tests connect as the owner: the app's scheduler refuses to run with its credentials.
    with pytest.raises(CommandError, match="must connect as the app's role"):
        call_command("scheduler", jobs="app")
    assert not SchedulerLease.objects.exists()


def test_a_lease_left_by_a_dead_process_of_this_host_is_taken_at_once() -> None:
    import os
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer exists
    clock = Clock(paris(2026, 12, 7, 10, 0))
    here = services.Holder.of_this_process()
    services.lease_acquire(group=APP, holder=services.Holder("crashed", here.host, gone.pid), now=clock.now)
    assert services.lease_acquire(group=APP, holder=here, now=clock.now).pid == os.getpid()
    # A live process of this host (this one) is not taken over.
    with pytest.raises(services.LeaseHeld):
        services.lease_acquire(group=APP, holder=services.Holder("next", here.host, here.pid + 1), now=clock.now)


def test_a_run_waiting_in_its_lane_records_when_it_really_started() -> None:
    from concurrent.futures import Future

    class Held:
        """A lane busy with another job: what is submitted waits until the test lets it go."""

        def __init__(self) -> None:
            self.waiting: list[tuple] = []

        def submit(self, fn, *args):
            self.waiting.append((fn, args))
            return Future()

    calls = Calls()
    clock = Clock(paris(2026, 12, 7, 10, 0, 50))
    lane = Held()
    held = scheduler([calls.job("tick", EVERY_MINUTE)], clock)
    held.lanes = {"frequent": lane, "daily": lane}  # type: ignore[dict-item]
    held.start()
    clock.advance(seconds=15)
    (run,) = held.tick()
    clock.advance(minutes=1)
    assert held.tick() == []  # still waiting: its next occurrence is not claimed
    fn, args = lane.waiting.pop()
    fn(*args)
    run.refresh_from_db()
    assert (run.scheduled_for, run.started_at, run.finished_at) == (paris(2026, 12, 7, 10, 1), clock.now, clock.now)


def _within(seconds: float, work: Callable[[], list[JobRun]]) -> list[JobRun]:
    """`work()`, failing the test (not hanging it) when it has not returned in `seconds`: a tick that never ends
    stops every job (the repeated hour of October once made the catch-up loop endless). An alarm in this thread
    (the test's database connection is this thread's)."""

    def too_long(*_: object) -> None:
        pytest.fail(f"the scheduler's tick did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return work()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_repeated_hour_of_october_runs_the_frequent_jobs_every_minute_and_the_nightly_once() -> None:
    calls = Calls()
    jobs = [calls.job("tick", EVERY_MINUTE), calls.job("five", Schedule(every_minutes=5))]
    jobs.append(calls.job("nightly", NIGHTLY, grace=DAILY_GRACE))
    clock = Clock(datetime(2027, 10, 30, 23, 58, 30, tzinfo=UTC))  # 01:58:30 CEST, the night the clocks go back
    running = scheduler(jobs, clock)
    running.start()
    ran: list[JobRun] = []
    while clock.now < datetime(2027, 10, 31, 2, 2, tzinfo=UTC):  # to 03:02 CET: 02:00–03:00 happened twice
        clock.advance(seconds=20)
        ran += _within(5, running.tick)
    by_job = {name: [run.scheduled_for for run in ran if run.job == name] for name in ("tick", "five", "nightly")}
    minutes = [datetime(2027, 10, 30, 23, 59, tzinfo=UTC) + timedelta(minutes=n) for n in range(124)]
    assert by_job["tick"] == minutes  # every minute of both passes through 02:00–03:00, each once
    assert by_job["five"] == [minute for minute in minutes if minute.minute % 5 == 0]
    assert by_job["nightly"] == [datetime(2027, 10, 31, 0, 0, tzinfo=UTC)]  # 02:00 CEST, the first pass, once
    assert JobRun.objects.count() == len(ran) == 124 + 25 + 1


def at_utc(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2027, 10, 31, hour, minute, second, tzinfo=UTC)


def test_a_scheduler_started_in_or_after_the_repeated_hour_catches_up_and_goes_on() -> None:
    calls = Calls()
    jobs = [calls.job("tick", EVERY_MINUTE), calls.job("nightly", NIGHTLY, grace=DAILY_GRACE)]
    for name, at in (("nightly", datetime(2027, 10, 31, 0, 0, tzinfo=UTC)), ("tick", at_half_past := at_utc(0, 30))):
        services.occurrence_claim(job=name, scheduled_for=at, holder=services.Holder("old", "h", 1), now=at)
    JobRun.objects.update(status=RunStatus.SUCCEEDED)
    assert at_half_past.astimezone(PARIS).strftime("%H:%M%z") == "02:30+0200"  # the first pass; then down
    for started in (datetime(2027, 10, 31, 1, 0, 10, tzinfo=UTC), datetime(2027, 10, 31, 5, 0, 10, tzinfo=UTC)):
        clock = Clock(started)  # 02:00:10 CET (the second pass), then 06:00:10 CET
        back = scheduler(jobs, clock, name=f"b{started.hour}", pid=started.hour)
        back.start()
        assert [(run.job, run.scheduled_for) for run in _within(5, back.tick)] == [("tick", started.replace(second=0))]
        clock.advance(minutes=1)
        assert [run.scheduled_for for run in _within(5, back.tick)] == [
            started.replace(second=0) + timedelta(minutes=1)
        ]
        back.stop()
    assert calls.names.count("nightly") == 0  # it ran at 02:00 CEST: not again at 02:00 CET


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2031, 1, 1), timezones=st.just(UTC)),
    every=st.sampled_from([0, 1, 2, 5, 10, 15, 30, 60]),
    at=st.times().map(lambda t: f"{t:%H:%M}"),
)
def test_occurrences_only_go_forward_at_their_pace_across_any_clock_change(
    moment: datetime, every: int, at: str
) -> None:
    schedule = Schedule(every_minutes=every) if every else Schedule(at=at)
    first = schedule.first_at_or_after(moment)
    assert moment <= first < moment + (timedelta(minutes=every) if every else timedelta(hours=25))
    occurrence = first
    for _ in range(3):
        following = schedule.following(occurrence)
        if every:
            assert following - occurrence == timedelta(minutes=every) and following.minute % every == 0
        else:
            # A day is 23, 24 or 25 hours; a time the clock skips moves an hour later that day only.
            assert timedelta(hours=22) <= following - occurrence <= timedelta(hours=26)
            assert following.astimezone(PARIS).strftime("%H:%M") in {at, _an_hour_later(at)}
        occurrence = following


def _an_hour_later(at: str) -> str:
    hour, minute = at.split(":")
    return f"{(int(hour) + 1) % 24:02d}:{minute}"


def test_a_schedule_that_is_not_one_of_the_two_kinds_is_refused() -> None:
    for wrong in ({}, {"every_minutes": 7}, {"at": "25:00"}, {"every_minutes": 5, "at": "02:00"}):
        with pytest.raises(ValueError):
            Schedule(**wrong)


def test_an_occurrence_the_database_failed_to_claim_is_claimed_at_the_next_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = Calls()
    clock = Clock(paris(2026, 12, 7, 1, 59, 50))
    running = scheduler([calls.job("nightly", NIGHTLY, grace=DAILY_GRACE)], clock)
    running.start()
    claim = services.occurrence_claim

    def locked(**kwargs: object) -> JobRun | None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "occurrence_claim", locked)
    clock.advance(seconds=15)
    with pytest.raises(OperationalError):
        running.tick()
    monkeypatch.setattr(services, "occurrence_claim", claim)
    clock.advance(seconds=15)
    assert [run.scheduled_for for run in running.tick()] == [paris(2026, 12, 7, 2, 0)]  # not tomorrow's
    assert calls.names == ["nightly"]


def test_on_standby_a_second_scheduler_waits_for_the_lease_and_takes_it_when_freed() -> None:
    from scheduling.management.commands.scheduler import start_when_free

    clock = Clock(paris(2026, 12, 7, 10, 0))
    calls = Calls()
    other = services.Holder("other", "host-other", 42)
    services.lease_acquire(group=APP, holder=other, now=clock.now)
    waiting = scheduler([calls.job("tick", EVERY_MINUTE)], clock)
    said: list[str] = []
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) == 3:  # the other host's scheduler stops: its lease is released
            services.lease_release(group=APP, holder=other)
        clock.advance(seconds=seconds)
        return False

    assert start_when_free(waiting, standby=True, wait=wait, say=said.append) is True
    assert SchedulerLease.objects.get(group=APP).holder == "a" and len(waits) == 3
    assert len(said) == 1 and said[0].startswith("standby: a scheduler for the 'app' jobs already runs on host-other")


def test_on_standby_a_stop_asked_while_waiting_ends_without_the_lease() -> None:
    from scheduling.management.commands.scheduler import start_when_free

    clock = Clock(paris(2026, 12, 7, 10, 0))
    services.lease_acquire(group=APP, holder=services.Holder("other", "host-other", 42), now=clock.now)
    waiting = scheduler([Calls().job("tick", EVERY_MINUTE)], clock)
    assert start_when_free(waiting, standby=True, wait=lambda seconds: True, say=lambda text: None) is False
    assert SchedulerLease.objects.get(group=APP).holder == "other"


def test_without_standby_a_held_lease_refuses_the_start_at_once() -> None:
    from scheduling.management.commands.scheduler import start_when_free

    clock = Clock(paris(2026, 12, 7, 10, 0))
    services.lease_acquire(group=APP, holder=services.Holder("other", "host-other", 42), now=clock.now)
    waiting = scheduler([Calls().job("tick", EVERY_MINUTE)], clock)
    with pytest.raises(CommandError, match="already runs on host-other"):
        start_when_free(waiting, standby=False, wait=lambda seconds: pytest.fail("no wait"), say=lambda text: None)


def test_a_database_error_on_the_second_lease_gives_back_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(paris(2026, 12, 7, 10, 0))
    real = services.lease_acquire

    def failing_second(*, group: str, holder: services.Holder, now: datetime) -> SchedulerLease:
        if group == APP:
            raise OperationalError("connection lost")
        return real(group=group, holder=holder, now=now)

    monkeypatch.setattr(services, "lease_acquire", failing_second)
    both = scheduler([Calls().job("tick", EVERY_MINUTE)], clock, groups=(OWNER, APP))
    with pytest.raises(OperationalError):
        both.start()
    assert not SchedulerLease.objects.exists()  # the owner's lease taken first is given back
