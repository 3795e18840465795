#!/usr/bin/env python3
"""Back up Aiguillage's PostgreSQL cluster with pgBackRest: a full or differential backup, then what the repository
now holds. The systemd units beside this file run it (full on Sundays, differential the other nights).

    backup.py --type full
    backup.py --type diff

Run it as the `postgres` user (it refuses root, whose log and lock files would stop PostgreSQL's own archive-push).
Every failure ends in one line starting "aiguillage backup FAILED" on stderr and a non-zero exit (the unit then shows
as failed: `systemctl --failed`, the journal); pgBackRest's own error is printed above it. A repository that cannot
be reached (a disk not mounted, a remote host down) is such a failure: pgBackRest does not create a missing
repository, `stanza-create` does, once, on purpose.

Standard library only: it runs with the host's python3, beside pgbackrest.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

STANZA = "aiguillage"
CONFIG = "/etc/pgbackrest/pgbackrest.conf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--type", choices=("full", "diff", "incr"), default="diff")
    parser.add_argument("--stanza", default=STANZA)
    parser.add_argument("--config", default=os.environ.get("PGBACKREST_CONFIG", CONFIG))
    parser.add_argument("--pgbackrest", default="pgbackrest", help="the pgbackrest command")
    parser.add_argument("extra", nargs="*", help="more pgbackrest options, e.g. --repo1-path=... (after --)")
    args = parser.parse_args(argv)

    if os.geteuid() == 0:
        # pgBackRest's log and lock files made by root would then stop the server's own archive-push (as postgres).
        print(
            "aiguillage backup FAILED: refusing to run as root: run it as postgres (sudo -u postgres ...)",
            file=sys.stderr,
        )
        return 2
    base = [args.pgbackrest, f"--config={args.config}", f"--stanza={args.stanza}", *args.extra]
    steps = [
        ("backup", [*base, f"--type={args.type}", "backup"]),
        ("info", [*base, "info"]),
    ]
    consequence = {
        "backup": "(its error is above); no new backup was made",
        "info": "(its error is above): the backup was made, but the repository could not be listed after it",
    }
    for name, command in steps:
        try:
            done = subprocess.run(command, check=False)
        except FileNotFoundError:
            print(
                f"aiguillage backup FAILED: {args.pgbackrest} not found (apt-get install pgbackrest)", file=sys.stderr
            )
            return 1
        if done.returncode != 0:
            print(
                f"aiguillage backup FAILED: pgbackrest {name} exited with {done.returncode} {consequence[name]}",
                file=sys.stderr,
            )
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
