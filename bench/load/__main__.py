"""`make bench-load`: a region's peak hour against gunicorn (production settings, several workers), PostgreSQL and the
worker (manage.py db_worker), on loopback; Locust as the load (bench/load/locustfile.py).

    python3 scripts/pg_cluster.py -- .venv/bin/python -m bench.load

Builds (or restores from var/load/, see bench/load/database.py) a database of 30 cells, opens the users' sessions
server-side, starts gunicorn and the worker, then runs fixed rates in turn, each a fraction of the regional target
(bench/load/report.py, Target), until one fails (p95 of all calls 200 ms or more, or any error), and prints each
step's table, what the machine's CPU went to, the best rate and its fraction of the target. Afterwards it checks that
no write was lost (the requests and bookings the client was told of are those in the database) and exits 1 if not.

Environment (all optional): AIGUILLAGE_LOAD_SMOKE=1 (a short run on 3 small cells: two steps of 35 s),
AIGUILLAGE_LOAD_CELLS, AIGUILLAGE_LOAD_HISTORY_DAYS, AIGUILLAGE_LOAD_SLOTS (future slots per cell),
AIGUILLAGE_LOAD_OPEN (open requests per cell), AIGUILLAGE_LOAD_STEPS (fractions of the target, e.g. 0.5,1,2),
AIGUILLAGE_LOAD_STEP_SECONDS, AIGUILLAGE_LOAD_WORKERS (gunicorn's), AIGUILLAGE_LOAD_POLL_SECONDS (else the queue
template's own), AIGUILLAGE_LOAD_SAS_PER_SECOND, AIGUILLAGE_LOAD_NO_CACHE=1 (build the database again).
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.load.report import CallStats, Step, Target, best_step, format_table, mix_for, write_check

ROOT = Path(__file__).resolve().parent.parent.parent
VAR = ROOT / "var" / "load"
PYTHON = sys.executable
SAS_SUBJECT = "CN=plateforme-sas.charge,OU=SAS"


def env_number(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value else default


def template_poll_seconds() -> float:
    """The queue's own refresh (hx-trigger="every 30s" on its rows), so that the load polls as the page does."""
    text = (ROOT / "referrals" / "templates" / "referrals" / "_queue_rows.html").read_text(encoding="utf-8")
    found = re.search(r'hx-trigger="[^"]*every (\d+(?:\.\d+)?)(m?s)', text)
    if not found:
        return 30.0
    return float(found.group(1)) / (1000 if found.group(2) == "ms" else 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_environment(port: int) -> dict[str, str]:
    """What `make run` needs from the environment, as a deployment behind nginx sets it (fresh secrets each run)."""
    return {
        "DJANGO_SETTINGS_MODULE": "aiguillage.settings.prod",
        "AIGUILLAGE_SECRET_KEY": secrets.token_urlsafe(50),
        "AIGUILLAGE_ACCESS_LOG_KEY": secrets.token_urlsafe(32),
        "AIGUILLAGE_CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "AIGUILLAGE_BASE_URL": f"https://127.0.0.1:{port}",
        "AIGUILLAGE_EMAIL_URL": "consolemail://",
        "AIGUILLAGE_ALLOWED_HOSTS": "127.0.0.1",
        "AIGUILLAGE_FHIR_ALLOWED_SUBJECTS": SAS_SUBJECT,
        "AIGUILLAGE_STATIC_ROOT": str(VAR / "static"),
        "AIGUILLAGE_LOG_LEVEL": "WARNING",
    }


def prepare_database(size: Any) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from bench.load import database

    url = os.environ["DATABASE_URL"]
    dumped = VAR / f"db-{database.cache_key(size, timezone.localdate(), ROOT)}.dump"
    started = time.perf_counter()
    if dumped.exists() and not os.environ.get("AIGUILLAGE_LOAD_NO_CACHE"):
        database.restore(url, dumped)
        # pg_restore copies no planner statistics: without them PostgreSQL plans the first minutes' queries blind
        # (autovacuum analyzes a table only when it gets to it), which a database that has run for days never does.
        # VACUUM ANALYZE also reads every table once, as days of use would have.
        subprocess.run(
            [database.pg_bin("vacuumdb"), "--analyze", "--quiet", "--jobs=2", f"--dbname={url}"],
            check=True,
        )
        call_command("migrate", verbosity=0)  # nothing to do: the key holds the migrations
        print(f"Database restored from {dumped.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s", flush=True)
        return
    call_command("migrate", verbosity=0)
    print(f"Migrated in {time.perf_counter() - started:.0f} s; building {size.cells} cells…", flush=True)
    database.build(size)
    built = time.perf_counter() - started
    for old in VAR.glob("db-*.dump"):
        old.unlink()
    database.dump(url, dumped)
    print(
        f"Database built in {built:.0f} s (kept as {dumped.relative_to(ROOT)}, "
        f"{dumped.stat().st_size / 1e6:.0f} MB, dumped in {time.perf_counter() - started - built:.0f} s)",
        flush=True,
    )


def collect_static() -> None:
    """collectstatic as `make run` does (the manifest storage), skipped when no static file changed since the last run:
    on a busy machine it takes minutes, and gunicorn cannot render a page without the manifest."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    key, kept = digest.hexdigest(), VAR / "static" / ".sources"
    if kept.exists() and kept.read_text(encoding="utf-8") == key:
        return
    started = time.perf_counter()
    call_command("collectstatic", "--no-input", verbosity=0)
    kept.write_text(key, encoding="utf-8")
    print(f"collectstatic in {time.perf_counter() - started:.0f} s", flush=True)


def client_configuration(cells: int) -> dict[str, Any]:
    """Sessions opened server-side for each coordinator and web requester (force_login, then the second factor marked
    verified as accounts.testing does for the test suite and `make bench`: the load does not type TOTP codes), an API
    token per cell, the protocol's answers, the communes as the form's field takes them, the SAS searches."""
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Membership, Role
    from accounts.testing import mark_second_factor_verified
    from api.services import api_token_create
    from bench.load.database import slug
    from directory.models import Professional
    from referrals.services import protocol_for
    from territory.models import Cell

    def session(user: Any) -> str:
        client = Client()
        client.force_login(user)
        mark_second_factor_verified(client, user)
        return client.cookies["sessionid"].value

    answers = {"yes_no": "no", "number": "38", "choice": "Consultation médicale"}
    start = timezone.localtime() + timedelta(days=1)
    end = start + timedelta(days=3)
    window = f"&start=ge{start.isoformat(timespec='seconds')}&start=le{end.isoformat(timespec='seconds')}"
    configured = []
    for number in range(cells):
        cell = Cell.objects.get(slug=slug(number))
        members = Membership.objects.filter(cell=cell, is_active=True).select_related("user").order_by("pk")
        coordinators = [session(m.user) for m in members if m.role == Role.COORDINATOR]
        web = next(m for m in members if m.role == Role.REQUESTER and m.user.username.endswith("-web"))
        api = next(m for m in members if m.role == Role.REQUESTER and m.user.username.endswith("-api"))
        _, token = api_token_create(membership=api, label="load test")
        communes = list(cell.territories.get().communes.order_by("insee_code"))
        rpps = list(
            Professional.objects.filter(cell=cell, profession="gp").exclude(rpps="").values_list("rpps", flat=True)
        )
        fhir = []
        for first in range(0, len(rpps), 25):
            actors = ",".join(f"urn:oid:1.2.250.1.71.4.2.1|8{number}" for number in rpps[first : first + 25])
            fhir.append(
                "/fhir/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor"
                "&_include=Slot:service-type-reference&_include:iterate=HealthcareService:organization"
                f"{window}&schedule.actor:Practitioner.identifier={actors}&status=free"
            )
        configured.append(
            {
                "slug": cell.slug,
                "coordinators": coordinators,
                "requester_web": session(web.user),
                "api_token": token,
                "communes": [f"{c.name} · {c.insee_code}" for c in communes],
                "insee": [c.insee_code for c in communes],
                "qualify": {f"qualify-q{q.pk}": answers.get(q.kind, "") for q in protocol_for(cell)[0]},
                "fhir": fhir,
            }
        )
    return {
        "cells": configured,
        "poll_query": "q=&status=&care_channel=&urgency=",
        "sas_subject": SAS_SUBJECT + ",C=FR",
    }


def start_servers(port: int, workers: int, logs: Path) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    gunicorn = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "aiguillage.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            # As deploy/systemd/aiguillage-web.service runs it (its access log aside); the control socket's default
            # path would be shared with every other gunicorn of the machine.
            *("--timeout", "60", "--graceful-timeout", "30", "--max-requests", "2000", "--max-requests-jitter", "200"),
            *("--worker-tmp-dir", "/dev/shm", "--no-control-socket"),  # noqa: S108 (heartbeats in memory)
        ],
        cwd=ROOT,
        stdout=(logs / "gunicorn.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [PYTHON, "manage.py", "db_worker", "--no-reload", "--verbosity", "0"],
        cwd=ROOT,
        stdout=(logs / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    return gunicorn, worker


def wait_until_up(port: int, gunicorn: subprocess.Popen[bytes], logs: Path) -> None:
    """Until gunicorn answers a page, asked as nginx would ask it (HTTPS ended in front: no redirect)."""
    deadline = time.monotonic() + 300  # minutes on a busy machine: each worker imports Django
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/connexion/", headers={"X-Forwarded-Proto": "https", "X-Real-IP": "127.0.0.1"})
            connection.getresponse().read()
            return
        except OSError:
            if gunicorn.poll() is not None:
                raise SystemExit(f"gunicorn stopped: see {logs / 'gunicorn.log'}") from None
            time.sleep(0.5)
        finally:
            connection.close()
    raise SystemExit("gunicorn did not answer within 300 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tree_seconds(pid: int) -> dict[int, float]:
    """CPU seconds used so far by a process and its descendants, per process."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    found = {}
    for process in processes:
        try:
            times = process.cpu_times()
            found[process.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return found


def machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def read_stats(path: Path) -> tuple[list[CallStats], CallStats, float | None]:
    """Locust's CSV: a row per kind of call, and the Aggregated one with its rate."""
    calls, total, rate = [], CallStats("all", 0, 0, 0, 0, 0), None
    with path.open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            stats = CallStats(
                name=row["Name"],
                count=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50=float(row["50%"] or 0),
                p95=float(row["95%"] or 0),
                p99=float(row["99%"] or 0),
            )
            if row["Name"] == "Aggregated":
                total = CallStats("all", stats.count, stats.failures, stats.p50, stats.p95, stats.p99)
                rate = float(row["Requests/s"] or 0)
            else:
                calls.append(stats)
    return calls, total, rate


def run_step(
    target: Target, fraction: float, seconds: int, host: str, base: dict[str, Any], pids: dict[str, int], work: Path
) -> tuple[Step, dict[str, list[int]]]:
    mix = mix_for(target, fraction)
    config = work / f"config-{fraction:g}.json"
    config.write_text(json.dumps({**base, "mix": mix.__dict__}), encoding="utf-8")
    results = work / f"results-{fraction:g}.json"
    prefix = work / f"step-{fraction:g}"
    command = [
        str(Path(PYTHON).parent / "locust"),
        "-f",
        str(Path(__file__).parent / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(mix.users),
        "--spawn-rate",
        str(mix.users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "60",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
        "--exit-code-on-error",
        "0",
    ]
    env = dict(os.environ, AIGUILLAGE_LOAD_CONFIG=str(config), AIGUILLAGE_LOAD_RESULTS=str(results))
    asked = mix.calls_per_second(target.calls_per_request)
    print(
        f"\nStep {fraction:g} × target: {asked:.1f} calls/s asked ({mix.journey_users} journeys every "
        f"{mix.journey_pacing:.1f} s, {mix.poll_users} queue pages polling every {mix.poll_pacing:.1f} s, "
        f"{mix.sas_users} SAS clients every {mix.sas_pacing:.1f} s), {seconds} s",
        flush=True,
    )
    before = {part: tree_seconds(pid) for part, pid in pids.items()}
    busy_before, started = machine_busy_seconds(), time.monotonic()
    locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pids = {**pids, "Locust": locust.pid}
    samples: dict[str, dict[int, float]] = {part: {} for part in pids}
    while locust.poll() is None:  # the last reading of each process before it ends
        for part, pid in pids.items():
            samples[part].update(tree_seconds(pid))
        time.sleep(1)
    elapsed = time.monotonic() - started
    cpu = {
        part: sum(used - before.get(part, {}).get(pid, 0.0) for pid, used in samples[part].items()) / elapsed * 100
        for part, used in samples.items()
    }
    cpu["whole machine"] = (machine_busy_seconds() - busy_before) / elapsed * 100
    if locust.returncode != 0:
        raise SystemExit(
            f"Locust failed ({locust.returncode}): {locust.stderr.read().decode()[-2000:] if locust.stderr else ''}"
        )
    calls, total, rate = read_stats(Path(f"{prefix}_stats.csv"))
    with Path(f"{prefix}_failures.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            print(f"  failed: {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error'][:200]}")
    written = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    if written.get("refreshes"):
        answers = ", ".join(f"{count} × {status}" for status, count in sorted(written["refreshes"].items()))
        print(f"  queue refreshes answered: {answers} (204: nothing changed)")
    step = Step(
        fraction=fraction, asked=asked, seconds=float(seconds), calls=calls, total=total, cpu=cpu, measured_rate=rate
    )
    return step, written


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Run under PostgreSQL: python3 scripts/pg_cluster.py -- .venv/bin/python -m bench.load")
    smoke = bool(os.environ.get("AIGUILLAGE_LOAD_SMOKE"))
    from bench.load.database import Size

    size = Size(
        cells=int(env_number("AIGUILLAGE_LOAD_CELLS", 3 if smoke else 30)),
        history_days=int(env_number("AIGUILLAGE_LOAD_HISTORY_DAYS", 7 if smoke else 90)),
        slots=int(env_number("AIGUILLAGE_LOAD_SLOTS", 1000 if smoke else 10_000)),
        open_requests=int(env_number("AIGUILLAGE_LOAD_OPEN", 40 if smoke else 150)),
    )
    steps = [
        float(f)
        for f in os.environ.get("AIGUILLAGE_LOAD_STEPS", "0.25,0.5" if smoke else "0.5,1,1.5,2,3,4,6").split(",")
    ]
    seconds = int(env_number("AIGUILLAGE_LOAD_STEP_SECONDS", 35 if smoke else 45))
    workers = int(env_number("AIGUILLAGE_LOAD_WORKERS", 2 if smoke else 2 * (os.cpu_count() or 1) + 1))
    target = Target(
        poll_seconds=env_number("AIGUILLAGE_LOAD_POLL_SECONDS", template_poll_seconds()),
        sas_searches_per_second=env_number("AIGUILLAGE_LOAD_SAS_PER_SECOND", Target.sas_searches_per_second),
    )
    port = free_port()
    os.environ.update(production_environment(port))
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max, Sum

    from agenda.models import Booking, BookingStatus, Slot
    from referrals.models import Request

    VAR.mkdir(parents=True, exist_ok=True)
    print(f"Load test of a region's peak hour: {'smoke run' if smoke else 'full run'}; {os.cpu_count()} CPU; {size}")
    print(target.explain(), flush=True)
    prepare_database(size)
    collect_static()
    base = client_configuration(size.cells)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        postmaster = psutil.Process(cursor.fetchone()[0]).parent()
    last_request = Request.objects.aggregate(m=Max("pk"))["m"] or 0
    last_booking = Booking.objects.aggregate(m=Max("pk"))["m"] or 0
    booked_before = Slot.objects.aggregate(s=Sum("booked"))["s"] or 0
    connection.close()
    done: list[Step] = []
    created: list[int] = []
    booked: list[int] = []
    refused = 0
    with tempfile.TemporaryDirectory(prefix="aiguillage-load-") as work:
        gunicorn, worker = start_servers(port, workers, VAR)
        try:
            wait_until_up(port, gunicorn, VAR)
            pids = {"gunicorn": gunicorn.pid, "PostgreSQL": postmaster.pid if postmaster else 0, "worker": worker.pid}
            for fraction in steps:
                step, written = run_step(target, fraction, seconds, f"http://127.0.0.1:{port}", base, pids, Path(work))
                created += written.get("created", [])
                booked += written.get("booked", [])
                refused += len(written.get("refused", []))
                done.append(step)
                print(format_table(step), flush=True)
                if not step.passed and not smoke:  # a smoke run goes through its steps whatever they measure
                    break
        finally:
            stop(gunicorn)
            stop(worker)
    new_requests = list(Request.objects.filter(pk__gt=last_request).values_list("pk", flat=True))
    check = write_check(
        answered_ids=created,
        created_ids=new_requests,
        bookings_answered=len(booked),
        bookings_created=Booking.objects.filter(pk__gt=last_booking, status=BookingStatus.BOOKED).count(),
        booked_increment=(Slot.objects.aggregate(s=Sum("booked"))["s"] or 0) - booked_before,
    )
    print("\nRegional target:", f"{target.calls_per_second:.1f} calls/s")
    best = best_step(done)
    if best is None:
        print("No step passed (p95 < 200 ms and no error): the first step is already too much.")
    else:
        print(
            f"Highest rate with p95 < 200 ms and no error: {best.rate:.1f} calls/s (step {best.fraction:g}), "
            f"{best.rate / target.calls_per_second:.0%} of the regional target"
        )
    limit = done[-1] if done else None
    if limit is not None:
        slowest = limit.slowest
        share = ", ".join(f"{part} {value:.0f} %" for part, value in limit.cpu.items())
        print(f"At the last step ({limit.rate:.1f} calls/s): CPU (of one core) {share}")
        if slowest is not None:
            print(f"Slowest kind of call there: {slowest.name} (p95 {slowest.p95:.0f} ms, {slowest.count} calls)")
    print(f"Bookings refused because the slot was taken meanwhile: {refused}")
    print(*check.lines(), sep="\n")
    return 0 if check.holds else 1


if __name__ == "__main__":
    sys.exit(main())
