"""The platform's periodic jobs: what runs, when (Europe/Paris wall-clock time), as which database role, and how late
a missed occurrence may still run (decision 0022).

A schedule's occurrences are fixed instants, the same in every scheduler process, which is what lets the (job,
scheduled time) claim make two schedulers run each occurrence once (an interval counted from each process's start
would not). Two kinds, both computed here on UTC instants, so that time only ever goes forward:
- every N minutes (N dividing 60): the UTC instants whose minute is a multiple of N, the same as Paris's, whose
  offsets are whole hours; the hour repeated in October runs twice, as the clock shows it twice (at every N minutes,
  missing that hour's alerts or messages would be the harm, not running them);
- every day at HH:MM, Paris time: that wall-clock time on each Paris day, the first one when October repeats it, and
  when March skips it (02:00–03:00), the same moment of the offset before the change (02:30 runs at 03:30 CEST).
APScheduler 3.11's CronTrigger, used before, stepped backwards in the repeated hour (after 02:00+01:00 it gave
02:01+02:00, an hour earlier), and the scheduler's catch-up loop never ended there (decision 0022, amended).

A job calls an existing management command by name (`call_command`), so this app imports no domain app and sits low
in the layers; the commands stay usable by hand.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

APP, OWNER = "app", "owner"
GROUPS = (APP, OWNER)


@dataclass(frozen=True)
class Schedule:
    """Every `every_minutes` minutes, or every day at `at` (HH:MM, Paris time)."""

    every_minutes: int = 0
    at: str = ""

    def __post_init__(self) -> None:
        if bool(self.every_minutes) == bool(self.at):
            raise ValueError("a schedule is either every N minutes or every day at HH:MM")
        if self.every_minutes and 60 % self.every_minutes:
            raise ValueError(f"every {self.every_minutes} minutes: N must divide an hour")
        if self.at:
            time.fromisoformat(self.at)  # ValueError when it is not HH:MM

    def on_day(self, day: date) -> datetime:
        """A daily schedule's occurrence on a Paris day, in UTC (fold 0: the first of a repeated time; a time the
        clock skips is read with the offset before the change)."""
        local = datetime.combine(day, time.fromisoformat(self.at), tzinfo=ZoneInfo(settings.TIME_ZONE))
        return local.astimezone(UTC)

    def first_at_or_after(self, moment: datetime) -> datetime:
        moment = moment.astimezone(UTC)
        if self.every_minutes:
            period = timedelta(minutes=self.every_minutes)
            hour = moment.replace(minute=0, second=0, microsecond=0)
            return hour + -((hour - moment) // period) * period  # rounded up to the next multiple of the period
        day = moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
        for candidate in (self.on_day(day - timedelta(days=1)), self.on_day(day), self.on_day(day + timedelta(days=1))):
            if candidate >= moment:
                return candidate
        raise AssertionError("a daily occurrence is never more than a day away")  # pragma: no cover

    def following(self, occurrence: datetime) -> datetime:
        """The occurrence after this one: always later (the loops over occurrences rely on it)."""
        occurrence = occurrence.astimezone(UTC)
        if self.every_minutes:
            return occurrence + timedelta(minutes=self.every_minutes)
        return self.first_at_or_after(occurrence + timedelta(microseconds=1))

    def describe(self) -> str:
        if self.every_minutes == 1:
            return gettext("Every minute")
        if self.every_minutes:
            return gettext("Every %(minutes)s minutes") % {"minutes": self.every_minutes}
        return gettext("Every day at %(time)s") % {"time": self.at}


def _command(name: str) -> Callable[[io.StringIO], None]:
    def run(out: io.StringIO) -> None:
        call_command(name, stdout=out, stderr=out)

    return run


@dataclass(frozen=True)
class Job:
    name: str
    label: str | Promise
    schedule: Schedule
    run: Callable[[io.StringIO], None] = field(compare=False)
    # How late an occurrence may still start. A frequent job's latest occurrence is never older than its period, so it
    # always runs at once when the scheduler comes back; a daily job catches up only within its grace.
    grace: timedelta = timedelta(minutes=5)
    group: str = APP

    def first_at_or_after(self, moment: datetime) -> datetime:
        return self.schedule.first_at_or_after(moment)

    def following(self, occurrence: datetime) -> datetime:
        return self.schedule.following(occurrence)

    def latest_at_or_before(self, now: datetime, since: datetime) -> datetime | None:
        """The last occurrence in [since, now], or None. Looks back two days at most (enough for daily jobs; a
        frequent job's latest occurrence is minutes old)."""
        occurrence = self.first_at_or_after(max(since, now - timedelta(days=2)))
        if occurrence > now:
            return None
        while (following := self.following(occurrence)) <= now:
            occurrence = following
        return occurrence


def _heartbeat(out: io.StringIO) -> None:
    from .services import worker_heartbeat_enqueue

    out.write("queued\n" if worker_heartbeat_enqueue() else "one already waits for the worker\n")


def _purge_runs(out: io.StringIO) -> None:
    from .services import job_runs_purge

    out.write(f"{job_runs_purge()} run(s) older than {settings.AIGUILLAGE_JOB_RUNS_DAYS} days deleted\n")


DAILY_GRACE = timedelta(hours=20)  # a daily job missed at night still runs the same day, never twice in a day

JOBS: tuple[Job, ...] = (
    Job(
        "advance_alerts",
        _("End the alert steps whose time is over"),
        Schedule(every_minutes=1),
        _command("advance_alerts"),
        timedelta(minutes=1),
    ),
    Job(
        "worker_heartbeat",
        _("Check the task worker is running"),
        Schedule(every_minutes=1),
        _heartbeat,
        timedelta(minutes=1),
    ),
    Job(
        "warn_deadlines",
        _("Warn of requests near their deadline"),
        Schedule(every_minutes=5),
        _command("warn_deadlines"),
    ),
    Job(
        "send_queued_messages",
        _("Send queued messages and recover interrupted ones"),
        Schedule(every_minutes=5),
        _command("send_queued_messages"),
    ),
    Job(
        "push_sas_appointments",
        _("Push appointment changes to the SAS platform"),
        Schedule(every_minutes=5),
        _command("push_sas_appointments"),
    ),
    Job(
        "refresh_indicators",
        _("Store the indicators of the last complete months"),
        Schedule(at="02:00"),
        _command("refresh_indicators"),
        DAILY_GRACE,
    ),
    Job(
        "extend_plans",
        _("Generate the slots of recurring plans, tours and spots"),
        Schedule(at="02:30"),
        _command("extend_plans"),
        DAILY_GRACE,
    ),
    Job(
        "anonymise_requests",
        _("Anonymise requests past their retention period"),
        Schedule(at="03:00"),
        _command("anonymise_requests"),
        DAILY_GRACE,
    ),
    Job(
        "purge_access_log",
        _("Purge the access log past its retention"),
        Schedule(at="03:30"),
        _command("purge_access_log"),
        DAILY_GRACE,
        OWNER,
    ),
    Job(
        "verify_access_log",
        _("Verify the access log's chain and record a checkpoint"),
        Schedule(at="03:45"),
        _command("verify_access_log"),
        DAILY_GRACE,
        OWNER,
    ),
    Job(
        "purge_job_runs",
        _("Delete the job runs older than the history kept"),
        Schedule(at="04:00"),
        _purge_runs,
        DAILY_GRACE,
    ),
    # Patients get tomorrow's reminders by day: a run missed in the morning still goes out until 18:00, never at night.
    Job(
        "send_reminders",
        _("Queue the reminder SMS for tomorrow's appointments"),
        Schedule(at="10:00"),
        _command("send_reminders"),
        timedelta(hours=8),
    ),
)
BY_NAME = {job.name: job for job in JOBS}
