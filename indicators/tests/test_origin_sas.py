"""The dashboard and its exports name the SAS as an origin (issue 22): figures.requests_by's "origin" and its label."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from accounts.models import RequesterType, Role
from conftest import World
from directory.models import Profession, SiteKind
from indicators import figures, tables
from indicators.figures import Period, Row, Scope
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_requests_of_a_sas_regulator_are_the_sas_s_not_another_structure_s(world: World) -> None:
    cell = world.cell
    pharmacist = ProfessionalFactory(cell=cell, profession=Profession.PHARMACIST)
    sas = SiteFactory(cell=cell, kind=SiteKind.OTHER, name="SAS de l'Orne")
    other = SiteFactory(cell=cell, kind=SiteKind.OTHER, name="Association d'aide")
    regulator = UserFactory(username="regulateur")
    MembershipFactory(
        user=regulator, cell=cell, role=Role.REQUESTER, requester_type=RequesterType.SAS_REGULATOR, site=sas
    )
    at = datetime(2026, 3, 10, 9, 0, tzinfo=PARIS)
    make_request(cell, now=at, last_name="Un", requester_professional=None, requester_site=sas)
    make_request(cell, now=at, last_name="Deux", requester_professional=pharmacist, submitted_by=regulator)
    make_request(cell, now=at, last_name="Trois", requester_professional=None, requester_site=other)
    make_request(cell, now=at, last_name="Quatre", requester_professional=pharmacist)
    rows = figures.requests_by(Scope(cell), MARCH, "origin")
    assert sorted(rows, key=lambda r: r.key) == [Row("other", 1), Row("pharmacist", 1), Row("sas", 2)]
    shown = tables.dimension(Scope(cell), MARCH, "origin", rows)
    assert sorted(str(row[0]) for row in shown.rows) == ["Other structure", "Pharmacist", "SAS (15 / 116 117)"]
    assert figures.requests_by_all(Scope(cell), MARCH)["origin"] == rows
