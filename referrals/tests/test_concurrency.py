"""Simultaneous submissions, each in its own database connection: the same patient through several channels is
flagged on every pair of requests (none missed because the other was not committed yet); a flood of QR-code
registrations from one address stores no more than the limit."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from referrals import services
from referrals.models import Channel, DuplicateFlag, Partner, Request
from referrals.tests.factories import make_request
from territory.communes import load_communes
from territory.models import Commune
from tests.factories import CellFactory, ProfessionalFactory, TerritoryFactory, commune

from .test_public import body, url

pytestmark = pytest.mark.django_db(transaction=True)
CHANNELS = [Channel.WEB, Channel.PHONE, Channel.API, Channel.QR] * 2


def test_simultaneous_requests_for_one_patient_are_all_flagged() -> None:
    if not Commune.objects.exists():  # transactional tests empty the database, reference data included
        load_communes(Commune)
    cell = CellFactory(slug="jumeaux")
    TerritoryFactory(cell=cell, communes=["61006"])
    ProfessionalFactory(cell=cell)
    barrier = threading.Barrier(len(CHANNELS))
    errors: list[str] = []

    def send(channel: str, index: int) -> None:
        try:
            barrier.wait(timeout=30)
            # The same patient, written differently by each channel.
            make_request(cell, channel=channel, last_name="DELAUNAY" if index % 2 else "Délaunay", first_name="rose")
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(channel, i)) for i, channel in enumerate(CHANNELS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    pks = sorted(Request.objects.filter(cell_id=cell.pk).values_list("pk", flat=True))
    assert len(pks) == len(CHANNELS)
    flagged = set(DuplicateFlag.objects.values_list("first_id", "second_id"))
    assert flagged == set(itertools.combinations(pks, 2))


def test_ten_simultaneous_qr_registrations_from_one_address_store_the_limit_and_no_more() -> None:
    """The probe's race: 10 at once stored 7, 6 and 5 in three runs (counted, then inserted, without a lock)."""
    if not Commune.objects.exists():
        load_communes(Commune)
    cell: Any = CellFactory(slug="affluence")
    TerritoryFactory(cell=cell, communes=["61006", "61181"])
    partner = Partner.objects.create(cell=cell, name="Mairie de Gacé", kind="town_hall", commune=commune("61181"))
    attempts = 2 * services.PUBLIC_MAX_PER_WINDOW
    forms = [body(partner, last_name=f"Affluence{i}", phone=f"06 11 22 {i:02d} 44") for i in range(attempts)]
    barrier = threading.Barrier(attempts)
    answers: list[int | str] = []

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            answers.append(Client(REMOTE_ADDR="203.0.113.7").post(url(partner), forms[index]).status_code)
        except Exception as error:
            answers.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    limit = services.PUBLIC_MAX_PER_WINDOW
    assert sorted(answers, key=str) == sorted([302] * limit + [429] * (attempts - limit), key=str)
    assert Request.objects.filter(cell_id=cell.pk, channel=Channel.QR).count() == services.PUBLIC_MAX_PER_WINDOW
