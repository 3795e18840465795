"""50 simultaneous bookings of one slot, each in its own database connection, through the real booking code: exactly
one wins, the others are told the slot was just taken, none errors. Runs on SQLite and on PostgreSQL (`make test`).

What each attempt waits for is taken out of the result, so that a slow machine changes how long the test takes, not
what it finds: the threads meet at a barrier with no deadline that a busy machine could miss; and on SQLite, where the
50 transactions queue one after the other for the database's single write lock, the racing connections wait as long
as the queue takes. The app allows a user 20 s there (`SQLITE_OPTIONS`), and the last of 50 waited 13.6 s on a
loaded 2-core machine: on one four times slower (CI when busy), it gave up with "database is locked", the failure
seen once in four runs. On PostgreSQL the threads wait on the slot's row lock only while the winner's transaction
runs, far below the lock timeout (AIGUILLAGE_LOCK_TIMEOUT_MS, docs/locking.md); the throwaway cluster allows enough
connections for two test workers racing 50 threads each (scripts/pg_cluster.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from agenda import services
from agenda.models import Booking, Slot
from common.errors import DomainError
from referrals.models import Request
from referrals.tests.factories import make_request
from territory.communes import load_communes
from territory.models import Commune
from tests.factories import CellFactory, MembershipFactory, ProfessionalFactory, SiteFactory, TerritoryFactory

from .factories import make_slot

pytestmark = pytest.mark.django_db(transaction=True)
ATTEMPTS = 50
QUEUE_WAIT = 900  # seconds: far beyond any queue of 50 on the slowest machine, never reached by a working run


@contextmanager
def waiting_out_the_queue() -> Iterator[None]:
    """The connections the threads open wait for SQLite's write lock as long as the queue takes."""
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("timeout")
    if connection.vendor == "sqlite":
        options["timeout"] = QUEUE_WAIT
    try:
        yield
    finally:
        if before is None:
            options.pop("timeout", None)
        else:
            options["timeout"] = before


def test_fifty_simultaneous_bookings_of_one_slot_give_one_booking() -> None:
    if not Commune.objects.exists():  # transactional tests empty the database, reference data included
        load_communes(Commune)
    cell = CellFactory(slug="course")
    TerritoryFactory(cell=cell, communes=["61006"])
    ProfessionalFactory(cell=cell)
    coordinators = [MembershipFactory(cell=cell, role=Role.COORDINATOR).user for _ in range(5)]
    requests = [make_request(cell, last_name=f"Course{i}", phone=f"+33611{i:06d}") for i in range(ATTEMPTS)]
    slot = make_slot(cell, starts_at=timezone.now() + timedelta(hours=5))
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            services.slot_book(slot=slot, request=requests[index], user=coordinators[index % len(coordinators)])
            result = "booked"
        except DomainError as error:
            result = error.code
        except Exception as error:
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    with waiting_out_the_queue():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=QUEUE_WAIT)
    assert len(outcomes) == ATTEMPTS, f"{ATTEMPTS - len(outcomes)} attempts still running after {QUEUE_WAIT} s"
    assert outcomes.count("booked") == 1, outcomes
    assert outcomes.count("taken") == ATTEMPTS - 1, [o for o in outcomes if o not in ("booked", "taken")]
    slot.refresh_from_db()
    assert (slot.booked, Booking.objects.filter(slot=slot).count()) == (1, 1)
    assert Request.objects.filter(status="oriented").count() == 1
    assert Slot.objects.get(pk=slot.pk).free == 0


def test_two_teleconsultations_racing_for_one_teleconsultant_give_one_booking() -> None:
    """Two coordinators book the same spot time (two cabins) at once while one teleconsultant is free: one is paired,
    the other is told no teleconsultant is free, and its hold on the spot is rolled back."""
    if not Commune.objects.exists():
        load_communes(Commune)
    cell = CellFactory(slug="cabines")
    TerritoryFactory(cell=cell, communes=["61006"])
    ProfessionalFactory(cell=cell)
    spot_site = SiteFactory(cell=cell, kind="telemedicine_spot")
    doctor = ProfessionalFactory(cell=cell, teleconsultant_tier="local")
    coordinators = [MembershipFactory(cell=cell, role=Role.COORDINATOR).user for _ in range(2)]
    requests = [make_request(cell, last_name=f"Cabine{i}", phone=f"+33622{i:06d}") for i in range(2)]
    start = timezone.now() + timedelta(hours=5)
    spot = make_slot(cell, starts_at=start, site=spot_site, modality="assisted_teleconsultation", capacity=2)
    remote = make_slot(cell, starts_at=start, professional=doctor, modality="assisted_teleconsultation")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.slot_book(slot=spot, request=requests[index], user=coordinators[index])
            result = "booked"
        except DomainError as error:
            result = error.code
        except Exception as error:
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["booked", "no_teleconsultant"]
    assert (Slot.objects.get(pk=spot.pk).booked, Slot.objects.get(pk=remote.pk).booked) == (1, 1)
    assert Booking.objects.get().paired_slot_id == remote.pk
