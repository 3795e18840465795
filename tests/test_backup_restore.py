"""Backups that restore (decision 0023): the restore drill, with the deployment's own files (deploy/backup/).

The drill: a source cluster archives its WAL to a pgBackRest repository (deploy/backup/pgbackrest.conf and
postgresql.conf, as a host has them), with the app's schema (copied from the suite's migrated test database) and a
busy cell (the demo, an access log with a checkpoint); the cell keeps writing while a full backup runs
(deploy/backup/backup.py); then, with the writes paused, the rows of every table are counted and a restore point is
made, and more is written after it. The source is stopped (the host is lost); deploy/backup/restore.py restores the
backup into a fresh data directory up to the restore point, and a fresh server starts on it. The restored database
must hold exactly the rows counted at the point (the writes during the backup in, those after the point out), its
access log's chain and checkpoint must verify, and the app must serve from it: log in with both factors, read the
queue and the last request written.

Runs once, on PostgreSQL (make test-postgres), as the other tests of a deployment's tools: its clusters are its own,
from the Debian binaries. A missing pgBackRest or PostgreSQL fails the test with the command that installs it, it never
skips. The refusals below (a restore into a directory that is not empty, a backup to a repository that cannot be
reached) need no server: they run in the SQLite pass.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import pwd
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import IO, Any

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BACKUP = ROOT / "deploy" / "backup"
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
AS_ROOT = os.geteuid() == 0
RESTORE_POINT = "aiguillage-drill"
DEADLINE = 180  # seconds any one step may take before the drill is declared stuck (the demo took 37 s under load)


def run_as_owner(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """PostgreSQL and pgBackRest run as the `postgres` system user when the tests run as root (as in pg_cluster.py)."""
    prefix = ["runuser", "-u", "postgres", "--"] if AS_ROOT else []
    return subprocess.run([*prefix, *command], text=True, capture_output=True, timeout=DEADLINE, **kwargs)  # type: ignore[call-overload]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL server binaries not found: run `make system-deps` (apt-get install postgresql).")
    return Path(found[-1]).parent


def pgbackrest() -> str:
    found = shutil.which("pgbackrest")
    if found is None:
        pytest.fail("pgBackRest not found: run `make system-deps` (apt-get install pgbackrest).")
    return found


@dataclass
class Drill:
    """A temporary directory (owned by `postgres` when root) with the repository, the configuration and clusters."""

    root: Path
    bin: Path
    env: dict[str, str]  # pgBackRest's configuration, log and lock directories, for it and for the servers
    started: list[Path]

    @property
    def config(self) -> Path:
        return self.root / "pgbackrest.conf"

    def pgbackrest_config(self, data: Path, port: int) -> None:
        """deploy/backup/pgbackrest.conf with its placeholders replaced, as the README says to do on a host."""
        text = Template((BACKUP / "pgbackrest.conf").read_text()).substitute(
            REPO_PATH=self.root / "repo",
            REPO_CIPHER_PASS="drill-only-passphrase-0123456789",
            PG_DATA=data,
            PG_SOCKET=self.root,
            PG_PORT=port,
        )
        self.config.write_text(text)
        self.own(self.config)

    def own(self, path: Path) -> None:
        if AS_ROOT:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def initdb(self, data: Path) -> None:
        done = run_as_owner(
            [
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        assert done.returncode == 0, done.stderr

    def start(self, data: Path, port: int) -> None:
        self.started.append(data)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {self.root} -c fsync=off -c synchronous_commit=off"
        done = run_as_owner(
            [
                "env",
                *(f"{k}={v}" for k, v in self.env.items()),
                str(self.bin / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(data.parent / f"{data.name}.log"),
                "-o",
                options,
                "-w",
                "-t",
                str(DEADLINE),
                "start",
            ]
        )
        assert done.returncode == 0, done.stderr + (data.parent / f"{data.name}.log").read_text()

    def stop(self, data: Path) -> None:
        run_as_owner([str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])

    def pgbackrest(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_as_owner(["env", *(f"{k}={v}" for k, v in self.env.items()), pgbackrest(), *args])

    def script(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        """One of deploy/backup's scripts, run as a host runs it (as `postgres`, with the system's python3)."""
        return run_as_owner(
            ["env", *(f"{k}={v}" for k, v in self.env.items()), "python3", str(BACKUP / name), *args],
            cwd=self.root,
        )


@pytest.fixture
def drill() -> Iterator[Drill]:
    binaries = bindir()
    pgbackrest()
    root = Path(tempfile.mkdtemp(prefix="aiguillage-drill-"))
    made = Drill(
        root=root,
        bin=binaries,
        env={
            "PGBACKREST_CONFIG": str(root / "pgbackrest.conf"),
            "PGBACKREST_LOG_PATH": str(root / "log"),
            "PGBACKREST_LOCK_PATH": str(root / "lock"),
        },
        started=[],
    )
    made.own(root)
    try:
        yield made
    finally:
        for data in made.started:
            made.stop(data)
        shutil.rmtree(root, ignore_errors=True)


def database_url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/aiguillage"


def app(step: str, port: int, **kwargs: object) -> subprocess.Popen[str]:
    """tests/backup_drill.py's step, as its own process on the cluster at `port` (DATABASE_URL, as a deployment)."""
    env = {**os.environ, "DATABASE_URL": database_url(port), "DJANGO_SETTINGS_MODULE": "aiguillage.settings.test"}
    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-m", "tests.backup_drill", step], cwd=ROOT, env=env, text=True, **kwargs
    )


class Step:
    """One of tests/backup_drill.py's steps in its own process: started early (Django loads meanwhile), begun with
    `go`; its answers read by a thread."""

    def __init__(self, step: str, port: int) -> None:
        self.process = app(step, port, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.written = 0  # the writer's steps written, as far as its answers were read
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.strip())

    def _take(self, line: str) -> str:
        if line.startswith("wrote "):
            self.written = int(line.split()[1])
        return line

    def wait_for(self, word: str) -> str:
        """Reads answers until one starts with `word`, and returns what follows it."""
        while True:
            try:
                line = self._take(self.lines.get(timeout=DEADLINE))
            except queue.Empty:
                pytest.fail(f"the drill's process did not answer {word!r} in {DEADLINE} s")
            if line.startswith(word):
                return line.removeprefix(word).strip()

    def seen(self) -> int:
        """The steps written by now, from every answer already given."""
        while not self.lines.empty():
            self._take(self.lines.get_nowait())
        return self.written

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def go(self) -> None:
        self.wait_for("started")
        self.send("go")

    def result(self) -> Any:
        """What a one-shot step found (its `served` answer)."""
        found = json.loads(self.wait_for("served"))
        self.process.wait(timeout=DEADLINE)
        assert self.process.returncode == 0
        return found

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE)


def counts(port: int) -> dict[str, int]:
    """Rows of every table of the app's models (Django's own included), read in one snapshot."""
    tables = sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)})
    with psycopg.connect(database_url(port).replace("postgres://", "postgresql://"), autocommit=False) as db:
        db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        found = {
            table: db.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
            for table in tables
        }
        return {table: int(row[0]) for table, row in found.items() if row is not None}


def source_database(drill: Drill, port: int) -> None:
    """The app's schema (and the data its migrations load: the communes), copied from the suite's own migrated test
    database with pg_dump: migrating a new cluster from scratch takes half a minute here, four times the copy."""
    test = connection.settings_dict
    source_env = {**os.environ, "PGPASSWORD": str(test.get("PASSWORD") or "")}
    dump = subprocess.run(
        [
            str(drill.bin / "pg_dump"),
            "-Fc",
            "-O",
            "-x",
            "-h",
            str(test["HOST"] or "127.0.0.1"),
            "-p",
            str(test["PORT"] or 5432),
            "-U",
            str(test["USER"] or "postgres"),
            str(test["NAME"]),
        ],
        capture_output=True,
        env=source_env,
        timeout=DEADLINE,
        check=True,
    )
    subprocess.run(
        [str(drill.bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "aiguillage"],
        check=True,
        timeout=DEADLINE,
    )
    loaded = subprocess.run(
        [
            str(drill.bin / "pg_restore"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            "aiguillage",
            "--exit-on-error",
        ],
        input=dump.stdout,
        capture_output=True,
        timeout=DEADLINE,
    )
    assert loaded.returncode == 0, loaded.stderr.decode()


def connect(port: int, **options: object) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(database_url(port).replace("postgres://", "postgresql://"), **options)


@pytest.mark.django_db  # the suite's migrated test database is the source of the schema
@pytest.mark.skipif(not ON_POSTGRESQL, reason="runs once, on PostgreSQL (make test-postgres)")
def test_a_backup_taken_while_the_cell_writes_restores_to_the_point_with_its_access_log_intact_and_serves(
    drill: Drill,
) -> None:
    started = time.monotonic()
    source, port = drill.root / "source", free_port()
    restored, restored_port = drill.root / "restored", free_port()
    writer, server = Step("write", port), Step("serve", restored_port)  # load Django while the clusters are made
    try:
        drill.pgbackrest_config(source, port)
        drill.initdb(source)
        with (source / "postgresql.conf").open("a") as conf:  # as a host adds deploy/backup/postgresql.conf
            conf.write(f"\ninclude = '{BACKUP / 'postgresql.conf'}'\n")
        drill.start(source, port)
        source_database(drill, port)
        stanza = drill.pgbackrest("--stanza=aiguillage", "stanza-create")
        assert stanza.returncode == 0, stanza.stderr + stanza.stdout

        writer.go()
        filled = json.loads(writer.wait_for("filled"))
        writer.wait_for("wrote")
        before_backup = writer.seen()
        backup = drill.script("backup.py", "--type", "full")
        assert backup.returncode == 0, backup.stdout + backup.stderr
        during_backup = writer.seen() - before_backup
        writer.send("pause")
        at_pause = int(writer.wait_for("paused"))
        at_point = counts(port)
        with connect(port, autocommit=True) as db:
            db.execute("SELECT pg_create_restore_point(%s)", [RESTORE_POINT])
        writer.send("write 2")
        assert int(writer.wait_for("done")) == at_pause + 2
        writer.send("stop")
        writer.wait_for("stopped")
        after_point = counts(port)
        # The WAL up to now (the restore point and the writes after it) archived, as the target needs it.
        archived = drill.pgbackrest("--stanza=aiguillage", "check")
        assert archived.returncode == 0, archived.stderr + archived.stdout
        drill.stop(source)  # the host is lost: the restore has only the repository

        listed = drill.pgbackrest("--stanza=aiguillage", "--output=json", "info")
        assert listed.returncode == 0, listed.stderr
        label = json.loads(listed.stdout)[0]["backup"][-1]["label"]  # the backup taken before the restore point
        restore = drill.script(
            "restore.py",
            "--pg-data",
            str(restored),
            "--target-name",
            RESTORE_POINT,
            "--set",
            label,
            "--drill",
            f"--config={drill.config}",
        )
        assert restore.returncode == 0, restore.stdout + restore.stderr
        drill.start(restored, restored_port)
        with connect(restored_port, autocommit=True) as db:
            for _ in range(DEADLINE * 10):
                if not db.execute("SELECT pg_is_in_recovery()").fetchone()[0]:  # type: ignore[index]
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the restored cluster did not finish its recovery")
        restored_counts = counts(restored_port)
        server.go()
        served = server.result()
    finally:
        writer.kill()
        server.kill()
    elapsed = time.monotonic() - started

    assert during_backup >= 1, "the cell wrote nothing while the backup ran"
    assert after_point["referrals_request"] == at_point["referrals_request"] + 2
    assert restored_counts == at_point
    assert at_point["audit_accessevent"] > filled["rows"] and at_point["agenda_booking"] >= at_pause
    assert served["before"] == {
        "intact": True,
        "breaks": [],
        "rows": at_point["audit_accessevent"],
        "checkpoint_head": filled["checkpoint_head"],
    }
    # Login page, password, second factor, the queue, the last request written before the point (named on its page).
    assert served["pages"] == [200, 302, 302, 200, 200]
    assert served["last_written"] == f"Patient{at_pause}" and served["shown"]
    assert served["after"]["intact"] and served["after"]["rows"] > served["before"]["rows"]
    print(f"drill: {elapsed:.1f} s, {at_pause} steps written ({during_backup} while the backup ran)")


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and directory under `folder`: its content (b"" for a directory) and its modification time."""
    return {
        str(path): (b"" if path.is_dir() else path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


def script(name: str, monkeypatch: pytest.MonkeyPatch, *, as_root: bool = False) -> Any:
    """deploy/backup's script `name` as a module, run in the test's process as the `postgres` user (or root) runs it:
    its checks run as they are; pgBackRest, where reached, in a process of its own."""
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), BACKUP / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(os, "geteuid", lambda: 0 if as_root else 1000)
    return module


def test_a_restore_into_a_data_directory_that_is_not_empty_is_refused_and_nothing_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    cluster = tmp_path / "main"
    cluster.mkdir()
    (cluster / "PG_VERSION").write_text("15\n")
    (cluster / "postmaster.pid").write_text("4242\n")
    before = snapshot(tmp_path)
    # pgBackRest is never reached: a restore that ran it would fail on this missing command instead.
    code = script("restore.py", monkeypatch).main(["--pg-data", str(cluster), "--pgbackrest", str(tmp_path / "x")])
    out, err = capfd.readouterr()
    assert code == 2
    assert err == (
        f"aiguillage restore: refusing to restore into {cluster}: the directory is not empty (2 entries: PG_VERSION, "
        "postmaster.pid). A PostgreSQL server is running on it (postmaster.pid). Nothing was changed. Restore into a "
        "new, empty directory, or move this one aside first.\n"
    )
    assert out == ""
    assert snapshot(tmp_path) == before


def test_the_backup_and_the_restore_refuse_to_run_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Files pgBackRest made as root (the restored cluster, its log and lock files) would stop PostgreSQL, which runs
    as `postgres`: both scripts refuse before running anything."""
    missing = str(tmp_path / "pgbackrest")
    restore = script("restore.py", monkeypatch, as_root=True).main(
        ["--pg-data", str(tmp_path / "new"), "--pgbackrest", missing]
    )
    backup = script("backup.py", monkeypatch, as_root=True).main(["--type", "full", "--pgbackrest", missing])
    assert (restore, backup) == (2, 2)
    assert capfd.readouterr().err.splitlines() == [
        "aiguillage restore: refusing to run as root: run it as postgres (sudo -u postgres ...)",
        "aiguillage backup FAILED: refusing to run as root: run it as postgres (sudo -u postgres ...)",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_restore_into_a_missing_or_empty_directory_runs_pgbackrest_restore_to_the_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    restore = script("restore.py", monkeypatch)
    assert restore.refusal(Path("/nonexistent/aiguillage")) is None
    args = restore.argparse.Namespace(
        pgbackrest="pgbackrest",
        config="/etc/pgbackrest/pgbackrest.conf",
        stanza="aiguillage",
        pg_data=Path("/srv/pg"),
        target_time="2026-12-07 14:30:00+01",
        target_name=None,
        drill=False,
        set=None,
    )
    assert restore.pgbackrest_command(args) == [
        "pgbackrest",
        "--config=/etc/pgbackrest/pgbackrest.conf",
        "--stanza=aiguillage",
        "--pg1-path=/srv/pg",
        "--type=time",
        "--target=2026-12-07 14:30:00+01",
        "--target-action=promote",
        "restore",
    ]


def test_a_backup_to_a_repository_that_cannot_be_reached_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The repository's disk not mounted (its directory missing): pgBackRest fails and says where, the wrapper adds
    its one line and a non-zero exit, which the systemd unit turns into a failed unit."""
    pgbackrest()
    config = tmp_path / "pgbackrest.conf"
    unmounted = tmp_path / "unmounted"
    config.write_text(
        Template((BACKUP / "pgbackrest.conf").read_text()).substitute(
            REPO_PATH=unmounted, REPO_CIPHER_PASS="x" * 32, PG_DATA=tmp_path / "data", PG_SOCKET=tmp_path, PG_PORT=1
        )
    )
    monkeypatch.setenv("PGBACKREST_LOG_PATH", str(tmp_path / "log"))
    monkeypatch.setenv("PGBACKREST_LOCK_PATH", str(tmp_path))
    code = script("backup.py", monkeypatch).main(["--type", "full", f"--config={config}"])
    err = capfd.readouterr().err
    assert code != 0
    assert f"unable to load info file '{unmounted}/backup/aiguillage/backup.info'" in err
    assert err.splitlines()[-1] == (
        f"aiguillage backup FAILED: pgbackrest backup exited with {code} (its error is above); no new backup was made"
    )
    assert not unmounted.exists()


@pytest.mark.parametrize(
    ("target", "why"),
    [
        (
            ["--target-time", "2026-12-07 14:30"],
            '--target-time "2026-12-07 14:30" has no offset from UTC: add it, +01 in winter and +02 in summer for '
            'Paris time (e.g. "2026-12-07 14:30:00+01"), or write the UTC time with +00.',
        ),
        (
            ["--target-time", "hier 14h30"],
            '--target-time "hier 14h30" is not a moment: write it as "2026-12-07 14:30:00+01".',
        ),
        (
            ["--target-name", "avant-mise-a-jour"],
            "--target-name avant-mise-a-jour needs --set: the label of the last backup taken before that restore "
            "point (`pgbackrest --stanza=aiguillage info` lists the backups with their times).",
        ),
    ],
)
def test_a_restore_target_that_would_restore_the_wrong_moment_is_refused_before_anything(
    target: list[str], why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "pgbackrest")  # never reached: running it would fail on this missing command instead
    code = script("restore.py", monkeypatch).main(
        ["--pg-data", str(tmp_path / "new"), *target, "--pgbackrest", missing]
    )
    assert code == 2
    assert capfd.readouterr().err == f"aiguillage restore: refusing: {why} Nothing was changed.\n"
    assert list(tmp_path.iterdir()) == []
