#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL server: `pg_cluster.py -- pytest ...`.

Creates a cluster in a temporary directory from the Debian binaries, listens on a free loopback port only, exports
DATABASE_URL for the command, then stops the server and removes the directory whatever happens. PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` system user (created by the Debian package).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        sys.exit("PostgreSQL server binaries not found: run `make system-deps` (apt-get install postgresql).")
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str]) -> int:
    if "--" not in argv:
        sys.exit("usage: pg_cluster.py -- COMMAND [ARGS...]")
    command = argv[argv.index("--") + 1 :]
    bindir = find_bindir()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="aiguillage-pg-"))
    if as_root:
        pw = pwd.getpwnam("postgres")
        os.chown(workdir, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = workdir / "data", free_port()
    log = workdir / "server.log"
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # Enough connections for two test workers each racing 50 threads (agenda/tests/test_concurrency.py) while
        # the other runs a live server: at 100, the cluster could refuse a racing thread's connection.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "aiguillage"],
            check=True,
        )
        print(
            f"PostgreSQL {bindir.parent.name} running on 127.0.0.1:{port} (throwaway cluster in {workdir})",
            flush=True,
        )
        env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/aiguillage")
        return subprocess.run(command, env=env).returncode
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
