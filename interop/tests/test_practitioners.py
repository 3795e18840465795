"""INT_R02: the SAS platform creates, updates and disables regulators' accounts (Practitioner, FrPractitionerRegul)."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import Membership, RequesterType, Role, User
from conftest import World
from interop.models import SasRegulator
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory

from .helpers import FHIR_SETTINGS, parse_r4b, sas_headers

IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
SAS_ID = "urn:oid:1.2.250.1.213.3.6"


@pytest.fixture(autouse=True)
def _fhir_settings(settings: Any) -> None:
    for name, value in FHIR_SETTINGS.items():
        setattr(settings, name, value)


def _regulator(value: str, *, system: str = IDNPS, active: bool = True, family: str = "Lorion", **more: Any) -> dict:
    kind = "IDNPS" if system == IDNPS else "INTRN"
    body = {
        "resourceType": "Practitioner",
        "meta": {"source": SAS_ID},
        "identifier": [
            {
                "type": {"coding": [{"system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": kind}]},
                "system": system,
                "value": value,
            }
        ],
        "active": active,
        "name": [{"family": family, "given": ["Sébastien"]}],
        "telecom": [{"system": "email", "value": "s.lorion@example.org"}],
    }
    body.update(more)
    return body


def _send(client: Client, method: str, body: Any, query: str = "") -> Any:
    send = client.post if method == "POST" else client.put
    data = body if isinstance(body, str) else json.dumps(body)
    return send(f"/fhir/Practitioner{query}", data=data, content_type="application/fhir+json", **sas_headers())


def test_creation_makes_a_requester_of_each_cell_that_takes_regulators(client: Client, world: World) -> None:
    response = _send(client, "POST", _regulator("3456780581/11242343"))
    assert response.status_code == 201
    resource = parse_r4b(response.json())
    assert response["Location"] == f"https://aiguillage.test/fhir/Practitioner/{resource.id}"
    read = client.get(f"/fhir/Practitioner/{resource.id}", **sas_headers())
    assert read.status_code == 200 and parse_r4b(read.json()).identifier[0].value == "3456780581/11242343"
    assert client.get("/fhir/Practitioner/regulateur-0", **sas_headers()).status_code == 404
    regulator = SasRegulator.objects.get(national_id="3456780581/11242343")
    user = regulator.user
    assert (user.last_name, user.first_name, user.email) == ("Lorion", "Sébastien", "s.lorion@example.org")
    assert not user.has_usable_password()
    memberships = Membership.objects.filter(user=user)
    assert {m.cell for m in memberships} == {world.cell, world.other_cell}
    assert {(m.role, m.requester_type, m.is_active) for m in memberships} == {
        (Role.REQUESTER, RequesterType.SAS_REGULATOR, True)
    }
    assert all(m.professional is not None and m.professional.last_name == "Lorion" for m in memberships)


def test_the_same_creation_twice_is_one_account(client: Client, world: World) -> None:
    assert _send(client, "POST", _regulator("810002673899")).status_code == 201
    assert _send(client, "POST", _regulator("810002673899")).status_code == 200
    assert SasRegulator.objects.count() == 1
    assert Membership.objects.filter(user__sas_regulator__isnull=False).count() == 2


def test_a_regulator_with_an_rpps_is_linked_to_the_directorys_professional(client: Client, world: World) -> None:
    known = ProfessionalFactory(cell=world.cell, rpps="10002673899", last_name="Marius")
    _send(client, "POST", _regulator("810002673899", family="Marius"))
    membership = Membership.objects.get(user__sas_regulator__national_id="810002673899", cell=world.cell)
    assert membership.professional == known


def test_update_of_an_unknown_regulator_creates_it(client: Client, world: World) -> None:
    response = _send(client, "PUT", _regulator("b6e39355", system=SAS_ID), query=f"?identifier={SAS_ID}|b6e39355")
    assert response.status_code == 201
    assert SasRegulator.objects.get(sas_id="b6e39355").user.is_active


def test_update_adds_the_national_identifier_to_a_technical_one(client: Client, world: World) -> None:
    _send(client, "POST", _regulator("b6e39355", system=SAS_ID))
    body = _regulator("b6e39355", system=SAS_ID, family="Lorion-Durand")
    body["identifier"].append(
        {
            "type": {"coding": [{"system": "http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "code": "IDNPS"}]},
            "system": IDNPS,
            "value": "810002673899",
        }
    )
    response = _send(client, "PUT", body, query=f"?identifier={SAS_ID}|b6e39355")
    assert response.status_code == 200
    regulator = SasRegulator.objects.get()
    assert (regulator.national_id, regulator.sas_id, regulator.user.last_name) == (
        "810002673899",
        "b6e39355",
        "Lorion-Durand",
    )
    assert {i.system for i in parse_r4b(response.json()).identifier} == {IDNPS, SAS_ID}


def test_disabling_ends_the_regulators_sessions(client: Client, world: World) -> None:
    _send(client, "POST", _regulator("810002673899"))
    user = SasRegulator.objects.get().user
    browser = Client()
    browser.force_login(user)
    assert Session.objects.count() == 1
    response = _send(client, "PUT", _regulator("810002673899", active=False), query=f"?identifier={IDNPS}|810002673899")
    assert response.status_code == 200 and response.json()["active"] is False
    user.refresh_from_db()
    assert not user.is_active and Session.objects.count() == 0
    assert not Membership.objects.filter(user=user, is_active=True).exists()
    assert browser.get("/").status_code == 302  # sent back to the login page
    _send(client, "PUT", _regulator("810002673899"), query=f"?identifier={IDNPS}|810002673899")
    user.refresh_from_db()
    assert user.is_active and Membership.objects.filter(user=user, is_active=True).count() == 2


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        (_regulator("810002673899", active="peut-être"), "Practitioner.active"),
        (_regulator("810002673899", name=[{"given": ["Sébastien"]}]), "Practitioner.name"),
        ({**_regulator("810002673899"), "active": None}, "Practitioner.active"),
        ({**_regulator("1"), "identifier": []}, "Practitioner.identifier"),
        ({"resourceType": "Patient"}, "resourceType"),
        (_regulator("810002673899", telecom="s.lorion@example.org"), "Practitioner.telecom"),
        (_regulator("8" + "1" * 64), "Practitioner.identifier.value"),  # cut, it would name another regulator
        (_regulator("810002673899", family="L" * 151), "Practitioner.name.family"),
        (_regulator("8100026\x0073899"), "Practitioner.identifier[0].value"),
    ],
)
def test_bad_bodies_are_refused_naming_the_element(client: Client, world: World, body: dict, expression: str) -> None:
    response = _send(client, "POST", body)
    assert 400 <= response.status_code < 500
    outcome = parse_r4b(response.json())
    assert any(expression in (issue.expression or [""])[0] for issue in outcome.issue), response.json()
    assert not SasRegulator.objects.exists()


def test_not_json_and_wrong_media_type(client: Client, world: World) -> None:
    assert _send(client, "POST", "{pas du json").status_code == 400
    response = client.post("/fhir/Practitioner", data="a=b", content_type="text/plain", **sas_headers())
    assert response.status_code == 415


def test_conditional_update_needs_a_known_identifier_system(client: Client, world: World) -> None:
    response = _send(client, "PUT", _regulator("810002673899"), query="?identifier=urn:oid:9.9|x")
    assert response.status_code == 400 and parse_r4b(response.json()).issue[0].expression == ["identifier"]
    response = _send(client, "PUT", _regulator("810002673899"), query=f"?identifier={IDNPS}|8100%0026")
    assert response.status_code == 400 and parse_r4b(response.json()).issue[0].expression == ["identifier"]
    assert not SasRegulator.objects.exists()


def test_identifiers_of_two_regulators_are_refused(client: Client, world: World) -> None:
    _send(client, "POST", _regulator("810002673899"))
    _send(client, "POST", _regulator("b6e39355", system=SAS_ID))
    body = _regulator("810002673899")
    body["identifier"].append({"system": SAS_ID, "value": "b6e39355"})
    response = _send(client, "PUT", body, query=f"?identifier={IDNPS}|810002673899")
    assert response.status_code == 422


def test_no_cell_taking_regulators_is_a_422(client: Client, world: World, settings: Any) -> None:
    settings.AIGUILLAGE_SAS_REGULATOR_CELLS = ["nulle-part"]
    assert _send(client, "POST", _regulator("810002673899")).status_code == 422
    settings.AIGUILLAGE_SAS_REGULATOR_CELLS = [world.cell.slug]
    assert _send(client, "POST", _regulator("810002673899")).status_code == 201
    assert Membership.objects.filter(user__sas_regulator__isnull=False).get().cell == world.cell


def test_a_professional_with_an_account_keeps_it_when_made_a_regulator(client: Client, world: World) -> None:
    doctor = ProfessionalFactory(cell=world.cell, rpps="10002673899", last_name="Marius")
    account = cast(User, UserFactory(username="jules"))
    MembershipFactory(user=account, cell=world.cell, role=Role.EFFECTOR, professional=doctor)
    _send(client, "POST", _regulator("810002673899", family="Marius"))
    regulator = SasRegulator.objects.get()
    assert regulator.user == account  # one account for one RPPS: Pro Santé Connect finds exactly one
    # A requester in the other cell; in their own cell they stay the effector they were.
    assert Membership.objects.get(user=account, cell=world.cell).role == Role.EFFECTOR
    assert Membership.objects.get(user=account, cell=world.other_cell).requester_type == RequesterType.SAS_REGULATOR
    assert account.has_usable_password()


def test_a_membership_the_cell_closed_is_not_reopened_by_an_update(client: Client, world: World) -> None:
    _send(client, "POST", _regulator("810002673899"))
    closed = Membership.objects.get(user__sas_regulator__isnull=False, cell=world.cell)
    closed.is_active = False
    closed.save()
    _send(client, "PUT", _regulator("810002673899", family="Marius"), query=f"?identifier={IDNPS}|810002673899")
    closed.refresh_from_db()
    assert not closed.is_active and closed.user.last_name == "Marius"
