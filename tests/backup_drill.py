"""The app's side of the backup and restore drill (tests/test_backup_restore.py), run as its own process against the
drill's clusters: `python -m tests.backup_drill write|serve`, DATABASE_URL naming the cluster, as a deployment's
processes are pointed at their database. Each answers `started` once Django is loaded and begins on a `go` line.

- write: first the busy cell: the demo (without its two years of history), a second factor for its coordinator, a
  read of each of its requests in the access log, and a checkpoint of the log (as the daily `verify_access_log`
  records one); answers `filled {"rows": ..., "checkpoint_head": ...}`. Then the cell keeps working (while the backup
  runs): each step one transaction of a new request, worked through (patient reached, qualified), a slot, its
  booking and a read in the access log; answers `wrote N` after each. Obeys lines on stdin between two steps:
  `pause` (answers `paused N`, N steps written so far), `write K` (K more steps, then `done N`), `run`, `stop`.
- serve: the restored database checked and served: the access log's chain and its last checkpoint verified, the
  coordinator logs in (password, then the second factor), reads the queue and the last request written, then the
  log verified again with the rows those pages appended. Answers `served {...}`, what it found.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from datetime import timedelta

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.tests.totp import code_for  # noqa: E402
from agenda.services import slot_book  # noqa: E402
from agenda.tests.factories import make_slot  # noqa: E402
from audit.models import AccessAction  # noqa: E402
from audit.services import access_log_checkpoint_record, access_log_verify, access_record  # noqa: E402
from demo.data import ACCOUNTS, DEMO_PASSWORD  # noqa: E402
from demo.loader import load_demo  # noqa: E402
from referrals.models import Request  # noqa: E402
from referrals.tests.factories import make_ready, make_request  # noqa: E402
from territory.models import Cell  # noqa: E402

COORDINATOR = ACCOUNTS[0].username
CELL = ACCOUNTS[0].cell
WRITTEN_NAME = "Sauvegarde"  # the last name of the patients the writer's requests are for


def _cell_and_coordinator() -> tuple[Cell, User]:
    return Cell.objects.get(slug=CELL), User.objects.get(username=COORDINATOR)


def _read(cell: Cell, coordinator: User, request: Request) -> None:
    access_record(
        action=AccessAction.READ,
        object_type="request",
        object_id=request.reference,
        requests=[request],
        cell=cell,
        user=coordinator,
    )


def fill() -> dict[str, object]:
    load_demo(history=False)
    cell, coordinator = _cell_and_coordinator()
    TOTPDevice.objects.create(user=coordinator, name="drill", confirmed=True)
    for request in Request.objects.filter(cell=cell).order_by("pk"):
        _read(cell, coordinator, request)
    verification = access_log_verify()
    checkpoint = access_log_checkpoint_record(verification=verification)
    return {"rows": verification.rows, "checkpoint_head": checkpoint.head_id}


def _step(cell: Cell, coordinator: User, number: int) -> None:
    with transaction.atomic():
        request = make_request(
            cell, submitted_by=coordinator, last_name=WRITTEN_NAME, first_name=f"Patient{number}", mt_situation="no_mt"
        )
        make_ready(request, coordinator)
        start = timezone.now() + timedelta(days=1, minutes=20 * number)
        slot_book(slot=make_slot(cell, starts_at=start), request=request, user=coordinator)
        _read(cell, coordinator, request)


def write() -> None:
    """Writes until told to stop; a command is read between two steps, never in the middle of one."""
    print(f"filled {json.dumps(fill())}", flush=True)
    cell, coordinator = _cell_and_coordinator()
    commands: queue.Queue[str] = queue.Queue()

    def listen() -> None:
        for line in sys.stdin:
            commands.put(line.strip())
        commands.put("stop")

    threading.Thread(target=listen, daemon=True).start()
    written, running, remaining = 0, True, -1  # remaining: steps left of a `write K`, -1 when not counting
    while True:
        command = commands.get() if not running else (commands.get_nowait() if not commands.empty() else "")
        if command == "stop":
            print(f"stopped {written}", flush=True)
            return
        if command == "pause":
            running = False
            print(f"paused {written}", flush=True)
            continue
        if command == "run":
            running, remaining = True, -1
        elif command.startswith("write "):
            running, remaining = True, int(command.split()[1])
        if not running:
            continue
        if remaining == 0:
            running, remaining = False, -1
            print(f"done {written}", flush=True)
            continue
        written += 1
        _step(cell, coordinator, written)
        remaining -= 1 if remaining > 0 else 0
        print(f"wrote {written}", flush=True)


def serve() -> dict[str, object]:
    before = access_log_verify()
    cell, coordinator = _cell_and_coordinator()
    last = Request.objects.filter(cell=cell, patient_last_name=WRITTEN_NAME).order_by("-pk").first()
    client = Client()
    login_page = client.get("/connexion/")
    password = client.post("/connexion/", {"username": COORDINATOR, "password": DEMO_PASSWORD})
    device = TOTPDevice.objects.get(user=coordinator, name="drill")
    second = client.post("/connexion/code/", {"token": code_for(device)})
    queue_page = client.get(f"/c/{cell.slug}/demandes/")
    request_page = client.get(f"/c/{cell.slug}/demandes/{last.pk}/") if last is not None else None
    after = access_log_verify()
    return {
        "before": {
            "intact": before.intact,
            "breaks": [found.reason for found in before.breaks],
            "rows": before.rows,
            "checkpoint_head": before.checkpoint.head_id if before.checkpoint else None,
        },
        "pages": [
            login_page.status_code,
            password.status_code,
            second.status_code,
            queue_page.status_code,
            request_page.status_code if request_page is not None else None,
        ],
        "last_written": last.patient_first_name if last is not None else None,
        "shown": request_page is not None and f"{last.patient_first_name} {WRITTEN_NAME.upper()}" in request_page.text,
        "after": {"intact": after.intact, "rows": after.rows},
    }


if __name__ == "__main__":
    # Started early, the process loads Django while the drill prepares its database; it begins on `go`.
    print("started", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit("stopped before it began")
    if sys.argv[1] == "write":
        write()
    else:
        print(f"served {json.dumps(serve())}", flush=True)
