"""The whole way of a SAS regulator: the SAS platform creates the account (INT_R02), the regulator follows a slot's
link from the SAS platform, logs in with Pro Santé Connect (no password, no TOTP) and lands on the request form with
the slot chosen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from accounts import psc
from accounts.tests.fake_psc import FakePsc
from accounts.tests.test_psc import at_provider, back
from agenda.tests.factories import make_slot
from conftest import World
from tests.factories import ProfessionalFactory

from .helpers import FHIR_SETTINGS, sas_headers

RPPS = "81000000012"  # the fake provider's professional


@pytest.fixture
def fake(settings: Any) -> Iterator[FakePsc]:
    for name, value in FHIR_SETTINGS.items():
        setattr(settings, name, value)
    provider = FakePsc().start()
    settings.AIGUILLAGE_PSC_CLIENT_ID = provider.client_id
    settings.AIGUILLAGE_PSC_CLIENT_SECRET = provider.client_secret
    settings.AIGUILLAGE_PSC_DISCOVERY_URL = provider.discovery_url
    psc.forget_metadata()
    yield provider
    psc.forget_metadata()
    provider.stop()


def test_a_regulator_created_by_the_sas_platform_books_through_pro_sante_connect(world: World, fake: FakePsc) -> None:
    body = {
        "resourceType": "Practitioner",
        "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "8" + RPPS}],
        "active": True,
        "name": [{"family": "Marius", "given": ["Jules"]}],
    }
    sas = Client()
    created = sas.post("/fhir/Practitioner", json.dumps(body), content_type="application/fhir+json", **sas_headers())
    assert created.status_code == 201
    slot = make_slot(
        world.cell,
        professional=ProfessionalFactory(cell=world.cell),
        open_to_sas=True,
        starts_at=timezone.now() + timedelta(days=2),
    )
    browser = Client()
    to_login = browser.get(f"/sas/creneaux/{slot.pk}/?origin=sas")
    assert to_login.status_code == 302
    next_url = urlsplit(to_login["Location"]).query.split("next=", 1)[1]
    started = browser.get(f"/connexion/psc/?next={next_url}")
    arrived = back(browser, at_provider(str(started["Location"])))
    assert arrived.status_code == 302  # logged in straight away: the account is known, no approval, no TOTP
    landed = browser.get(arrived["Location"])
    assert (
        landed.status_code == 302 and landed["Location"] == f"/c/{world.cell.slug}/demandes/nouvelle/?creneau={slot.pk}"
    )
    form = browser.get(landed["Location"]).context["form"]
    assert form.initial["slot"] == str(slot.pk)
