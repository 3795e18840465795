"""The same patient sent at the same moment through several channels, each in its own database connection: every
pair of requests is flagged as a possible duplicate, none is missed because the other was not committed yet."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection

from referrals.models import Channel, DuplicateFlag, Request
from referrals.tests.factories import make_request
from territory.communes import load_communes
from territory.models import Commune
from tests.factories import CellFactory, ProfessionalFactory, TerritoryFactory

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
