"""`manage.py scheduler`: runs the periodic jobs on their schedules (decision 0022). Stops cleanly on SIGTERM / SIGINT
(the runs under way finish and are recorded, then the lease is released)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from scheduling import services
from scheduling.engine import LeaseLost, Scheduler, groups_for, logger
from scheduling.jobs import JOBS, OWNER

TICK_SECONDS = 15.0  # the longest wait between two ticks: the lease's heartbeat, far below services.LEASE_STALE


def _is_owner() -> bool:
    """PostgreSQL: whether this connection's role owns the access log (only the owner may purge it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER') FROM pg_catalog.pg_class c "
            "WHERE c.oid = 'audit_accessevent'::regclass"
        )
        return bool(cursor.fetchone()[0])


def start_when_free(
    scheduler: Scheduler, *, standby: bool, wait: Callable[[float], bool], say: Callable[[str], None]
) -> bool:
    """Starts the scheduler: True once it holds its leases. A lease another scheduler holds refuses the start
    (CommandError) or, on standby, is asked for again every TICK_SECONDS (said once) until it is free or taken over;
    False when `wait` says to stop meanwhile. On standby the process stays up: systemd does not restart it every few
    seconds (each start of the unit would run the migrations' unit it requires again)."""
    said = False
    while True:
        try:
            scheduler.start()
            return True
        except services.LeaseHeld as held:
            if not standby:
                raise CommandError(str(held)) from None
            if not said:
                say(f"standby: {held}")
                said = True
        except DatabaseError:
            if not standby:
                raise
            logger.exception("standby: the lease could not be asked for; trying again")
            connection.close()
        if wait(TICK_SECONDS):
            return False


class Command(BaseCommand):
    help = (
        "Runs the periodic jobs, each occurrence once even with several schedulers. --jobs app (default) as the "
        "app's database role; --jobs owner (the access log's purge and verification) as the owner role; --jobs all "
        "on SQLite only (demo, development)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", choices=["app", "owner", "all"], default="app")
        parser.add_argument(
            "--standby",
            action="store_true",
            help="when another scheduler holds the lease, wait and take over when it stops or goes silent (the "
            "units do, so that a second host stays ready); without it, such a start is refused",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        groups = groups_for(options["jobs"])
        if connection.vendor == "postgresql":
            owner = _is_owner()
            if options["jobs"] == "all":
                raise CommandError(
                    "--jobs all is for SQLite: on PostgreSQL run two schedulers, --jobs app as the app's role and "
                    "--jobs owner as the owner role (SECURITY.md: the app never holds the owner's credentials)."
                )
            if OWNER in groups and not owner:
                raise CommandError("--jobs owner must connect as the database owner role (DATABASE_URL of owner.env).")
            if OWNER not in groups and owner:
                raise CommandError("--jobs app must connect as the app's role, not the owner (SECURITY.md).")
        stopping = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
        scheduler = Scheduler(jobs=JOBS, groups=groups, clock=timezone.now)
        if not start_when_free(scheduler, standby=options["standby"], wait=stopping.wait, say=self.stdout.write):
            self.stdout.write("scheduler stopped while on standby")
            return
        names = ", ".join(job.name for job in scheduler.jobs)
        self.stdout.write(f"scheduler for the {'/'.join(groups)} jobs ({names}) started, pid {scheduler.holder.pid}")
        try:
            while not stopping.is_set():
                close_old_connections()  # a connection past its age or broken is replaced, as at each web request
                try:
                    scheduler.tick()
                except DatabaseError:
                    # The database away for a while: try again at the next tick. Away longer than the lease's
                    # staleness, another scheduler may take over; this one then finds its lease lost and stops.
                    logger.exception("tick failed; trying again")
                    connection.close()
                stopping.wait(min(TICK_SECONDS, max(scheduler.seconds_to_next(), 0.5)))
        except LeaseLost as lost:
            raise CommandError(str(lost)) from None
        finally:
            scheduler.stop()
        self.stdout.write("scheduler stopped")
