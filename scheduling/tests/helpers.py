from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError

from scheduling.engine import InlineExecutor, Scheduler
from scheduling.jobs import APP, DAILY_GRACE, OWNER, Job, Schedule
from scheduling.services import Holder

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


class Clock:
    """The scheduler's time, moved by the test (no sleeps)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Calls:
    def __init__(self) -> None:
        self.names: list[str] = []

    def job(
        self, name: str, schedule: Schedule, *, fail: bool = False, grace: timedelta | None = None, group: str = APP
    ) -> Job:
        def run(out: io.StringIO) -> None:
            self.names.append(name)
            out.write(f"{name} done\n")
            if fail:
                raise CommandError(f"{name} broke\nsecond line")

        return Job(name, name, schedule, run, grace or timedelta(minutes=schedule.every_minutes or 5), group)


def scheduler(
    jobs: list[Job],
    clock: Clock,
    *,
    groups: tuple[str, ...] = (APP,),
    name: str = "a",
    pid: int = 1,
    since: datetime | None = None,
) -> Scheduler:
    inline = InlineExecutor()
    return Scheduler(
        jobs=jobs,
        groups=groups,
        clock=clock,
        holder=Holder(token=name, host=f"host-{name}", pid=pid, since=since),
        lanes={"frequent": inline, "daily": inline},
    )


__all__ = ["DAILY_GRACE", "OWNER", "Callable"]
