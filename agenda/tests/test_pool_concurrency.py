"""A pool time shared by an accepted agreement (decision 0021), booked at once by its home cell and by the cell it is
shared with, each in its own database connection, through the real booking code: exactly one wins, the other is told
the time was just taken. Runs on SQLite and on PostgreSQL, as test_concurrency.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any, cast

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from agenda import services
from agenda.models import Booking, Slot
from common.errors import DomainError
from directory.models import Professional
from referrals.tests.factories import make_request
from territory.communes import load_communes
from territory.models import Cell, Commune
from tests.factories import CellFactory, MembershipFactory, ProfessionalFactory, SiteFactory, TerritoryFactory

from .factories import make_slot, share
from .test_concurrency import waiting_out_the_queue

pytestmark = pytest.mark.django_db(transaction=True)


def _pool() -> tuple[list[Any], list[Any], Slot, Slot, list[Slot]]:
    """Two cells, a doctor of the first shared with the second (accepted), one coordinator and one request in each."""
    if not Commune.objects.exists():  # transactional tests empty the database, reference data included
        load_communes(Commune)
    home, other = CellFactory(slug="pool-home"), CellFactory(slug="pool-other")
    TerritoryFactory(cell=home, communes=["61006"])
    TerritoryFactory(cell=other, communes=["61001"])
    doctor = ProfessionalFactory(cell=home, teleconsultant_tier="regional")
    coordinators = []
    requests = []
    for index, cell in enumerate((home, other)):
        ProfessionalFactory(cell=cell)
        coordinators.append(MembershipFactory(cell=cell, role=Role.COORDINATOR).user)
        requests.append(make_request(cell, last_name=f"Partage{index}", phone=f"+33633{index:06d}"))
    share(cast(Professional, doctor), cast(Cell, other))
    start = timezone.now() + timedelta(hours=5)
    alone = make_slot(home, starts_at=start, professional=doctor, modality="teleconsultation")
    remote = make_slot(
        home, starts_at=start + timedelta(hours=1), professional=doctor, modality="assisted_teleconsultation"
    )
    spots = [
        make_slot(
            cell,
            starts_at=start + timedelta(hours=1),
            site=SiteFactory(cell=cell, kind="telemedicine_spot"),
            modality="assisted_teleconsultation",
        )
        for cell in (home, other)
    ]
    return coordinators, requests, alone, remote, spots


def _race(calls: list[Callable[[], object]]) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            call()
            result = "booked"
        except DomainError as error:
            result = error.code
        except Exception as error:
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(call,)) for call in calls]
    with waiting_out_the_queue():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    return sorted(outcomes)


def test_two_cells_booking_the_same_pool_time_at_once_give_one_booking() -> None:
    coordinators, requests, alone, _remote, _spots = _pool()
    outcomes = _race(
        [
            partial(services.slot_book, slot=alone, request=req, user=user)
            for req, user in zip(requests, coordinators, strict=True)
        ]
    )
    assert outcomes == ["booked", "taken"], outcomes
    assert (Slot.objects.get(pk=alone.pk).booked, Booking.objects.filter(slot=alone).count()) == (1, 1)


def test_two_cells_pairing_the_same_pool_teleconsultant_at_once_give_one_booking() -> None:
    """Each cell books its own spot's time; one pool doctor is free for both: one is paired, the other is told no
    teleconsultant is free and its hold on its spot is rolled back."""
    coordinators, requests, _alone, remote, spots = _pool()
    outcomes = _race(
        [
            partial(services.slot_book, slot=spot, request=req, user=user)
            for spot, req, user in zip(spots, requests, coordinators, strict=True)
        ]
    )
    assert outcomes == ["booked", "no_teleconsultant"], outcomes
    assert Slot.objects.get(pk=remote.pk).booked == 1
    assert sorted(Slot.objects.get(pk=spot.pk).booked for spot in spots) == [0, 1]
    assert Booking.objects.get().paired_slot_id == remote.pk
