#!/usr/bin/env python3
"""Restore Aiguillage's PostgreSQL cluster from the pgBackRest repository, into a new, empty data directory.

    restore.py --pg-data /var/lib/postgresql/15/restored             # up to the last archived WAL
    restore.py --pg-data DIR --target-time "2026-12-07 14:30:00+01"  # a point in time (before a mistake)
    restore.py --pg-data DIR --target-name before-upgrade --set LABEL # a restore point (pg_create_restore_point),
                                                                      # from the backup taken before it
    restore.py --pg-data DIR --drill                                  # a drill: the copy archives nothing

Run it as the `postgres` user (the owner of the data directory; it refuses root, whose files would stop the server).
A directory that exists and is not empty is refused before anything is done: a restore never writes over a cluster,
running or not (pgBackRest's --delta and --force, which would, are not offered). Then start PostgreSQL on that
directory: it replays the archived WAL up to the target, then opens for writes (promotes). Then check the copy
(README, "Backups and restore"): `manage.py verify_access_log --no-checkpoint` and the app's pages.

A drill (--drill) switches archiving off in the copy: a copy that archived into the production repository would add
a timeline of its own there. Without it the restored cluster archives as the old one did (a real recovery).

Standard library only: it runs with the host's python3, beside pgbackrest.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

STANZA = "aiguillage"
CONFIG = "/etc/pgbackrest/pgbackrest.conf"
REFUSED = 2


def refusal(pg_data: Path) -> str | None:
    """Why a restore into this directory is refused, or None when it is missing or empty."""
    if not pg_data.exists():
        return None
    if not pg_data.is_dir():
        return f"refusing to restore into {pg_data}: it is not a directory."
    entries = sorted(entry.name for entry in pg_data.iterdir())
    if not entries:
        return None
    running = " A PostgreSQL server is running on it (postmaster.pid)." if "postmaster.pid" in entries else ""
    shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
    return (
        f"refusing to restore into {pg_data}: the directory is not empty ({len(entries)} entries: {shown}).{running}"
        " Nothing was changed. Restore into a new, empty directory, or move this one aside first."
    )


def target_refusal(args: argparse.Namespace) -> str | None:
    """Why the target asked for cannot be restored as given, or None."""
    if args.target_time:
        try:
            moment = datetime.fromisoformat(args.target_time)
        except ValueError:
            return f'--target-time "{args.target_time}" is not a moment: write it as "2026-12-07 14:30:00+01".'
        if moment.tzinfo is None:
            # PostgreSQL would read it in the restored server's time zone (often UTC on a server): an hour or two
            # after the mistake, which would come back.
            return (
                f'--target-time "{args.target_time}" has no offset from UTC: add it, +01 in winter and +02 in summer '
                'for Paris time (e.g. "2026-12-07 14:30:00+01"), or write the UTC time with +00.'
            )
    if args.target_name and not args.set:
        # pgBackRest starts from the latest backup unless told: a backup taken after the restore point cannot go
        # back to it, and PostgreSQL then refuses to start ("recovery ended before configured recovery target").
        return (
            f"--target-name {args.target_name} needs --set: the label of the last backup taken before that restore "
            "point (`pgbackrest --stanza=aiguillage info` lists the backups with their times)."
        )
    return None


def pgbackrest_command(args: argparse.Namespace) -> list[str]:
    command = [
        args.pgbackrest,
        f"--config={args.config}",
        f"--stanza={args.stanza}",
        f"--pg1-path={args.pg_data}",
    ]
    if args.target_time:
        command += ["--type=time", f"--target={args.target_time}", "--target-action=promote"]
    elif args.target_name:
        command += ["--type=name", f"--target={args.target_name}", "--target-action=promote"]
    if args.drill:
        command.append("--archive-mode=off")
    if args.set:
        command.append(f"--set={args.set}")
    return [*command, "restore"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg-data", type=Path, required=True, help="the new cluster's data directory (missing or empty)"
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--target-time", help='recover up to this moment, e.g. "2026-12-07 14:30:00+01"')
    target.add_argument("--target-name", help="recover up to this restore point (pg_create_restore_point)")
    parser.add_argument(
        "--set",
        help="the backup to start from (pgbackrest info); needed with --target-name; with --target-time, "
        "pgBackRest picks the last backup before the time",
    )
    parser.add_argument("--drill", action="store_true", help="a drill: the restored cluster archives nothing")
    parser.add_argument("--stanza", default=STANZA)
    parser.add_argument("--config", default=os.environ.get("PGBACKREST_CONFIG", CONFIG))
    parser.add_argument("--pgbackrest", default="pgbackrest", help="the pgbackrest command")
    args = parser.parse_args(argv)
    args.pg_data = args.pg_data.absolute()

    if os.geteuid() == 0:
        # Files restored by root would be root's, and a server started on them refuses them; run as the owner.
        print("aiguillage restore: refusing to run as root: run it as postgres (sudo -u postgres ...)", file=sys.stderr)
        return REFUSED
    if (why := target_refusal(args)) is not None:
        print(f"aiguillage restore: refusing: {why} Nothing was changed.", file=sys.stderr)
        return REFUSED
    if (why := refusal(args.pg_data)) is not None:
        print(f"aiguillage restore: {why}", file=sys.stderr)
        return REFUSED
    command = pgbackrest_command(args)
    print("aiguillage restore: " + " ".join(command), flush=True)
    try:
        done = subprocess.run(command, check=False)
    except FileNotFoundError:
        print(f"aiguillage restore FAILED: {args.pgbackrest} not found (apt-get install pgbackrest)", file=sys.stderr)
        return 1
    if done.returncode != 0:
        print(
            f"aiguillage restore FAILED: pgbackrest exited with {done.returncode} (its error is above)", file=sys.stderr
        )
        return done.returncode
    print(
        f"aiguillage restore: done. Start PostgreSQL on {args.pg_data}: it replays the WAL up to the target, then "
        "opens for writes. Then run `manage.py verify_access_log --no-checkpoint` against it.",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
