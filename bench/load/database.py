"""The load test's database: a region of `cells` cells built with the benchmarks' and the tests' own builders.

Each cell: a territory of 20 neighbouring communes of Normandy, 4 practices and a telemedicine spot, 30 GPs with an
RPPS (their in-person slots half open to the SAS), 2 teleconsultants, a pharmacist who sends requests (web form and
API token), 3 coordinators, the demo's protocol; `history_days` of past activity at 110 requests a day
(indicators.history.generate_history), `slots` future slots over 90 days (bench.seed_slots) and `open_requests` open
requests in its queue (bench.seed_requests). Built once per day and builder version, then kept as a pg_dump file under
var/load/ (the dump holds no session nor token: the runner makes those for each run).
"""

from __future__ import annotations

import glob
import hashlib
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from territory.models import Cell

NORMANDY = ("61", "14", "50", "27", "76")
COMMUNES_PER_CELL = 20
GPS_PER_CELL = 30
COORDINATORS_PER_CELL = 3
VERSION = 1  # raise when what is built changes without a change of the files hashed in cache_key


@dataclass(frozen=True)
class Size:
    cells: int
    history_days: int
    slots: int
    open_requests: int


def slug(number: int) -> str:
    return f"charge-{number + 1:02d}"


def cache_key(size: Size, today: date, root: Path) -> str:
    """The builders' sources, the migrations and the size: a change of any of them builds again; so does a new day
    (the history ends yesterday, the slots start now)."""
    digest = hashlib.sha256(f"{VERSION} {size} {today.isoformat()}".encode())
    sources = ["bench/load/database.py", "bench/__main__.py", "indicators/history.py", "demo/protocol.py"]
    sources += ["tests/factories.py", *sorted(glob.glob("*/migrations/0*.py", root_dir=root))]
    for name in sources:
        digest.update(name.encode())
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:16]


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else name


def _pg_args(database_url: str) -> list[str]:
    url = urlsplit(database_url)
    return ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]


def dump(database_url: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    name = urlsplit(database_url).path.lstrip("/")
    subprocess.run([pg_bin("pg_dump"), *_pg_args(database_url), "-Fc", "-Z", "1", "-f", str(partial), name], check=True)
    partial.rename(path)


def restore(database_url: str, path: Path) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    subprocess.run(
        [pg_bin("pg_restore"), *_pg_args(database_url), "--no-owner", "-j", "2", "-d", name, str(path)], check=True
    )


def build(size: Size) -> None:
    """Migrated database assumed; Django set up."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import connection
    from django.db.models import Value
    from django.db.models.functions import Concat
    from django.utils import timezone

    from accounts.models import Role
    from agenda.models import Slot
    from bench.__main__ import seed_requests, seed_slots
    from demo.protocol import load_demo_protocol
    from directory.models import Profession, SiteKind
    from indicators.history import generate_history
    from referrals.models import Request
    from territory.models import Commune
    from tests.factories import (
        CellFactory,
        MembershipFactory,
        ProfessionalFactory,
        ResourceFactory,
        SiteFactory,
        TerritoryFactory,
        UserFactory,
    )

    communes = list(
        Commune.objects.filter(department__in=NORMANDY, latitude__isnull=False)
        .order_by("department", "insee_code")
        .values_list("insee_code", flat=True)
    )
    if len(communes) < size.cells * COMMUNES_PER_CELL:
        raise SystemExit(f"{len(communes)} communes in Normandy: not enough for {size.cells} cells")
    today = timezone.localdate()
    today_start = timezone.now()
    for number in range(size.cells):
        started = time.perf_counter()
        cell = cast("Cell", CellFactory(name=f"CSNP Charge {number + 1:02d}", slug=slug(number)))
        codes = communes[number * COMMUNES_PER_CELL : (number + 1) * COMMUNES_PER_CELL]
        TerritoryFactory(cell=cell, name=f"CPTS Charge {number + 1:02d}", communes=codes)
        for index in range(4):
            SiteFactory(
                cell=cell, name=f"Maison de santé {index + 1}", commune=Commune.objects.get(insee_code=codes[index])
            )
        SiteFactory(cell=cell, name="Point de télémédecine", kind=SiteKind.TELEMEDICINE_SPOT)
        for index in range(GPS_PER_CELL):
            ProfessionalFactory(cell=cell, last_name=f"Généraliste{index + 1}", is_adherent=True)
        for index in range(2):
            ProfessionalFactory(cell=cell, last_name=f"Téléconsultant{index + 1}", teleconsultant_tier="local")
        pharmacist = ProfessionalFactory(cell=cell, last_name="Officine", profession=Profession.PHARMACIST, rpps="")
        ResourceFactory(cell=cell)
        for index in range(COORDINATORS_PER_CELL):
            user = UserFactory(username=f"{slug(number)}-coordination-{index + 1}", password=UNUSABLE_PASSWORD_PREFIX)
            MembershipFactory(user=user, cell=cell, role=Role.COORDINATOR)
        for kind in ("web", "api"):
            user = UserFactory(username=f"{slug(number)}-officine-{kind}", password=UNUSABLE_PASSWORD_PREFIX)
            MembershipFactory(
                user=user, cell=cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pharmacist
            )
        load_demo_protocol(cell)
        made = generate_history(
            cell, days=size.history_days, requests_per_day=110, slots_per_day=130, until=today, seed=number
        )
        seed_slots(cell, total=size.slots)
        # seed_requests numbers its references from B0000000 in every cell: each cell's get its slug's number.
        seed_requests(cell, total=size.open_requests, open_=size.open_requests)
        Request.objects.filter(cell=cell, reference__startswith="B").update(
            reference=Concat(Value(f"L{number + 1:02d}"), "reference")
        )
        gp_slots = Slot.objects.filter(
            cell=cell, care_channel="gp", modality="in_person", professional__isnull=False, starts_at__gt=today_start
        )
        Slot.objects.filter(pk__in=list(gp_slots.order_by("pk").values_list("pk", flat=True))[::2]).update(
            open_to_sas=True
        )
        print(
            f"  cell {number + 1}/{size.cells}: {made.requests} past requests, {made.slots} past slots, "
            f"{size.slots} future slots, {size.open_requests} open ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
