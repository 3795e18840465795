"""Requests over FHIR: a ServiceRequest with its patient contained creates a request as the JSON API does; the
ServiceRequest and its Task say where it stands, to the client that sent it only."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from agenda.services import slot_book
from agenda.tests.factories import make_slot
from common.phones import PHONE_INVALID
from common.tests.phone_cases import PHONE_CASES
from conftest import World
from referrals.models import Channel, Request
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory

from .helpers import FHIR_SETTINGS, parse_r4b, sas_headers

IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
OTHER_CLIENT = "CN=logiciel-urgences.test,OU=SAU,C=FR"


@pytest.fixture(autouse=True)
def _fhir_settings(settings: Any) -> None:
    for name, value in FHIR_SETTINGS.items():
        setattr(settings, name, value)
    settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS = [*FHIR_SETTINGS["AIGUILLAGE_FHIR_ALLOWED_SUBJECTS"], OTHER_CLIENT]


@pytest.fixture
def requester(world: World) -> Any:
    doctor = ProfessionalFactory(cell=world.cell, last_name="Garnier", first_name="Odile")
    MembershipFactory(
        user=UserFactory(username="odile"),
        cell=world.cell,
        role=Role.REQUESTER,
        requester_type="gp",
        professional=doctor,
    )
    return doctor


def _body(rpps: str, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": "urn:logiciel-du-cabinet:demandes", "value": "D-2026-0042"}],
        "status": "active",
        "intent": "order",
        "priority": "asap",
        "category": [{"coding": [{"system": "urn:aiguillage:fhir:care-channel", "code": "gp"}]}],
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p1",
                "name": [{"family": "Vasseur", "given": ["Léon"]}],
                "birthDate": "1951-03-02",
                "gender": "male",
                "telecom": [{"system": "phone", "value": "06 12 34 56 78"}],
                "address": [{"line": ["3 rue des Tilleuls"], "postalCode": "61200", "city": "Argentan"}],
                "generalPractitioner": [{"display": "Dr Garnier"}],
            }
        ],
        "subject": {"reference": "#p1"},
        "requester": {"identifier": {"system": IDNPS, "value": "8" + rpps}},
        "reasonCode": [
            {
                "coding": [{"system": "urn:aiguillage:fhir:reason-category", "code": "fever_infection"}],
                "text": "Fièvre à 39 depuis deux jours, toux.",
            }
        ],
        "extension": [
            {"url": "urn:aiguillage:fhir:elsewhere", "valueCode": "er"},
            {"url": "urn:aiguillage:fhir:mt-situation", "valueCode": "mt_unavailable"},
        ],
    }
    body.update(more)
    return body


def _post(client: Client, body: Any, subject: str | None = None) -> Any:
    headers = sas_headers(subject=subject) if subject else sas_headers()
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/fhir/ServiceRequest", data=data, content_type="application/fhir+json", **headers)


def _get(client: Client, path: str, subject: str | None = None) -> Any:
    headers = sas_headers(subject=subject) if subject else sas_headers()
    return client.get(path, HTTP_ACCEPT="application/fhir+json", **headers)


def test_a_service_request_creates_a_request_of_the_requester(client: Client, world: World, requester: Any) -> None:
    response = _post(client, _body(requester.rpps))
    assert response.status_code == 201, response.json()
    resource = parse_r4b(response.json())
    request = Request.objects.get(pk=int(resource.id))
    assert response["Location"] == f"https://aiguillage.test/fhir/ServiceRequest/{request.pk}"
    assert (request.cell, request.channel, request.requester_professional) == (world.cell, Channel.API, requester)
    assert (request.patient_last_name, request.patient_first_name, str(request.patient_phone)) == (
        "Vasseur",
        "Léon",
        "+33612345678",
    )
    assert (request.patient_commune.insee_code, request.patient_street, request.patient_sex) == (
        "61006",
        "3 rue des Tilleuls",
        "M",
    )
    assert (request.urgency, request.reason_category, request.elsewhere, request.mt_situation, request.mt_name) == (
        "24h",
        "fever_infection",
        "er",
        "mt_unavailable",
        "Dr Garnier",
    )
    assert request.deadline_at - request.received_at == timedelta(hours=24)
    assert resource.status == "active" and resource.priority == "asap"


def test_the_same_identifier_twice_makes_one_request(client: Client, world: World, requester: Any) -> None:
    first = _post(client, _body(requester.rpps))
    again = _post(client, _body(requester.rpps))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Request.objects.count() == 1


def test_task_follows_the_request_for_the_client_that_sent_it(client: Client, world: World, requester: Any) -> None:
    pk = _post(client, _body(requester.rpps)).json()["id"]
    task = parse_r4b(_get(client, f"/fhir/Task/{pk}").json())
    assert task.status == "received" and task.focus.reference == f"ServiceRequest/{pk}"
    assert task.businessStatus.coding[0].code == "received"
    request = Request.objects.get(pk=pk)
    slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=5))
    slot_book(slot=slot, request=request, user=world.colleague)
    task = parse_r4b(_get(client, f"/fhir/Task/{pk}").json())
    assert task.status == "completed" and task.businessStatus.coding[0].code == "oriented"
    assert task.output[0].valueDateTime == slot.starts_at.replace(microsecond=0)
    assert parse_r4b(_get(client, f"/fhir/ServiceRequest/{pk}").json()).status == "completed"
    found = parse_r4b(_get(client, f"/fhir/Task?focus=ServiceRequest/{pk}").json())
    assert found.total == 1 and found.entry[0].resource.id == str(pk)
    # Another allowed client (another organisation's software) sees none of it.
    assert _get(client, f"/fhir/Task/{pk}", subject=OTHER_CLIENT).status_code == 404
    assert _get(client, f"/fhir/ServiceRequest/{pk}", subject=OTHER_CLIENT).status_code == 404
    assert parse_r4b(_get(client, f"/fhir/Task?focus=ServiceRequest/{pk}", subject=OTHER_CLIENT).json()).total == 0
    assert _get(client, "/fhir/Task/0").status_code == 404 and _get(client, "/fhir/Task/abc").status_code == 404


def _without_patient_phone(body: dict[str, Any]) -> dict[str, Any]:
    body["contained"][0]["telecom"] = []
    return body


@pytest.mark.parametrize(
    ("change", "status", "expression"),
    [
        (lambda b: {**b, "subject": {"reference": "#autre"}}, 400, "ServiceRequest.subject"),
        (
            lambda b: {**b, "requester": {"identifier": {"system": IDNPS, "value": "819999999999"}}},
            422,
            "ServiceRequest.requester",
        ),
        (lambda b: {**b, "requester": {"display": "Dr Garnier"}}, 400, "ServiceRequest.requester"),
        (lambda b: {**b, "priority": "stat"}, 422, "ServiceRequest.priority"),
        (lambda b: {**b, "priority": "bientôt"}, 400, "ServiceRequest.priority"),
        (lambda b: {**b, "reasonCode": [{"text": ""}]}, 400, "ServiceRequest.reasonCode"),
        (lambda b: _without_patient_phone(b), 422, "Patient.telecom"),
        (
            lambda b: {
                **b,
                "category": [{"coding": [{"system": "urn:aiguillage:fhir:care-channel", "code": "dentiste"}]}],
            },
            422,
            "ServiceRequest.category",
        ),
        (
            lambda b: {
                **b,
                "performer": [{"identifier": {"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1999999999"}}],
            },
            422,
            "ServiceRequest.performer",
        ),
    ],
)
def test_bad_service_requests_are_refused_naming_the_element(
    client: Client, world: World, requester: Any, change: Any, status: int, expression: str
) -> None:
    response = _post(client, change(_body(requester.rpps)))
    assert response.status_code == status, response.json()
    outcome = parse_r4b(response.json())
    assert any(expression in (i.expression or [""])[0] for i in outcome.issue), response.json()
    assert not Request.objects.exists()


@pytest.mark.parametrize(("typed", "e164"), PHONE_CASES)
def test_the_patients_telecom_is_read_as_every_channel_reads_it(
    client: Client, world: World, requester: Any, typed: str, e164: str | None
) -> None:
    body = _body(requester.rpps)
    body["contained"][0]["telecom"] = [{"system": "phone", "value": typed}]
    response = _post(client, body)
    if e164 is None:
        assert response.status_code == 422, response.json()
        issue = parse_r4b(response.json()).issue[0]
        assert (issue.expression, issue.diagnostics) == (["Patient.telecom"], str(PHONE_INVALID))
        assert not Request.objects.exists()
    else:
        assert response.status_code == 201, response.json()
        assert str(Request.objects.get().patient_phone) == e164


def test_a_patient_address_that_matches_no_commune(client: Client, world: World, requester: Any) -> None:
    body = _body(requester.rpps)
    body["contained"][0]["address"] = [{"postalCode": "99999", "city": "Nulle-part"}]
    response = _post(client, body)
    assert response.status_code == 422
    assert parse_r4b(response.json()).issue[0].expression == ["Patient.address"]


def test_a_requester_of_two_cells_names_the_cpts(client: Client, world: World, requester: Any) -> None:
    twin = ProfessionalFactory(cell=world.other_cell, rpps=requester.rpps)
    MembershipFactory(
        user=UserFactory(username="odile2"),
        cell=world.other_cell,
        role=Role.REQUESTER,
        requester_type="gp",
        professional=twin,
    )
    assert _post(client, _body(requester.rpps)).status_code == 422
    world.other_territory.finess = "440012345"
    world.other_territory.save()
    body = _body(
        requester.rpps, performer=[{"identifier": {"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1440012345"}}]
    )
    response = _post(client, body)
    assert response.status_code == 201
    assert Request.objects.get().cell == world.other_cell


def test_another_client_sending_the_same_identifier_gets_its_own_request(
    client: Client, world: World, requester: Any
) -> None:
    first = _post(client, _body(requester.rpps))
    other = _post(
        client,
        _body(
            requester.rpps,
            contained=[{**_body(requester.rpps)["contained"][0], "name": [{"family": "Autre", "given": ["Ana"]}]}],
        ),
        subject=OTHER_CLIENT,
    )
    assert first.status_code == other.status_code == 201
    assert other.json()["id"] != first.json()["id"]
    assert "Vasseur" not in other.content.decode()
    assert Request.objects.count() == 2


def _with(body: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
    patient = body["contained"][0]
    if where == "family":
        patient["name"] = [{"family": value, "given": ["Léon"]}]
    elif where == "reason":
        body["reasonCode"] = [{"text": value}]
    elif where == "identifier":
        body["identifier"] = [{"system": "urn:logiciel-du-cabinet:demandes", "value": value}]
    return body


@pytest.mark.parametrize(
    ("where", "expression"),
    [
        ("family", "ServiceRequest.contained[0].name[0].family"),
        ("reason", "ServiceRequest.reasonCode[0].text"),
        ("identifier", "ServiceRequest.identifier[0].value"),
    ],
)
def test_a_null_character_is_a_400_naming_the_element(
    client: Client, world: World, requester: Any, where: str, expression: str
) -> None:
    """The probe's payloads: PostgreSQL refuses NUL in text, which made each of these a 500."""
    response = _post(client, _with(_body(requester.rpps), where, "Vas\x00seur"))
    assert response.status_code == 400, response.content
    outcome = parse_r4b(response.json())
    assert [(i.expression, i.diagnostics) for i in outcome.issue] == [
        ([expression], "Les caractères nuls ne sont pas autorisés.")
    ]
    assert not Request.objects.exists()


def test_a_body_nested_100000_levels_deep_is_a_400(client: Client, world: World, requester: Any) -> None:
    deep = json.dumps(_body(requester.rpps))[:-1] + ', "extension": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = _post(client, deep)
    assert response.status_code == 400, response.content
    (found,) = parse_r4b(response.json()).issue
    assert (found.code, found.expression) == ("structure", ["ServiceRequest.extension" + "[0]" * 63])
    just_too_deep = _body(requester.rpps)
    nested: list[Any] = []
    just_too_deep["extension"] = nested
    for _ in range(70):
        nested.append([])
        nested = nested[0]
    response = _post(client, just_too_deep)
    assert response.status_code == 400
    (found,) = parse_r4b(response.json()).issue
    assert found.expression == ["ServiceRequest.extension" + "[0]" * 63]  # named alike, whichever found it
    assert "64 niveaux" in found.diagnostics
    quoted = _body(requester.rpps)  # brackets inside a text are not levels
    quoted["reasonCode"] = [{"text": "[" * 1500 + "Fièvre"}]
    assert _post(client, quoted).status_code == 201
    assert list(Request.objects.values_list("reason", flat=True)) == ["[" * 1500 + "Fièvre"]


def test_a_body_over_the_size_limit_is_a_413_operation_outcome(client: Client, world: World, requester: Any) -> None:
    response = _post(client, _body(requester.rpps, note=[{"text": "a" * 2_700_000}]))
    assert response.status_code == 413
    (found,) = parse_r4b(response.json()).issue
    assert (found.code, found.diagnostics) == ("too-costly", "Le corps est trop grand : 2,5\xa0Mio au plus.")
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("where", "length", "expression"),
    [
        ("family", 10_000, "Patient.name.family"),
        ("reason", 2_001, "ServiceRequest.reasonCode[0].text"),
        ("identifier", 65, "ServiceRequest.identifier[0].value"),
    ],
)
def test_a_value_longer_than_kept_is_refused_not_cut(
    client: Client, world: World, requester: Any, where: str, length: int, expression: str
) -> None:
    response = _post(client, _with(_body(requester.rpps), where, "x" * length))
    assert response.status_code == 400, response.content
    (found,) = parse_r4b(response.json()).issue
    assert found.expression == [expression] and found.diagnostics.startswith("Trop long")
    assert not Request.objects.exists()


def test_identifiers_sharing_their_first_64_characters_are_two_requests(
    client: Client, world: World, requester: Any
) -> None:
    first = _post(client, _with(_body(requester.rpps), "identifier", "k" * 60 + "AAAA"))
    other = _with(_body(requester.rpps), "identifier", "k" * 60 + "BBBB")
    other["contained"][0]["name"] = [{"family": "Moreau", "given": ["Inès"]}]
    second = _post(client, other)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert sorted(Request.objects.values_list("patient_last_name", flat=True)) == ["Moreau", "Vasseur"]


def test_the_same_identifier_for_another_patient_is_refused(client: Client, world: World, requester: Any) -> None:
    assert _post(client, _body(requester.rpps)).status_code == 201
    other = _body(requester.rpps)
    other["contained"][0]["name"] = [{"family": "Moreau", "given": ["Inès"]}]
    response = _post(client, other)
    assert response.status_code == 422
    (found,) = parse_r4b(response.json()).issue
    assert found.expression == ["ServiceRequest.identifier"] and "autre patient" in found.diagnostics
    assert list(Request.objects.values_list("patient_last_name", flat=True)) == ["Vasseur"]
