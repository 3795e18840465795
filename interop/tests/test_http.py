"""The FHIR server's door: mutual TLS (as nginx reports it), content negotiation, errors, the CapabilityStatement."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from interop.http import client_subject_allowed, subject_attributes

from .helpers import FHIR_SETTINGS, SAS_SUBJECT, parse_r4b, sas_get, sas_headers

QUERY = (
    "/fhir/Slot?start=ge2026-12-01&start=le2026-12-02&status=free&schedule.actor:Practitioner.identifier=810000000001"
)


@pytest.fixture(autouse=True)
def _fhir_settings(settings: Any) -> None:
    for name, value in FHIR_SETTINGS.items():
        setattr(settings, name, value)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no client certificate (or a request that did not come through nginx)
        sas_headers(verify="FAILED:certificate has expired"),
        sas_headers(verify="NONE"),
        sas_headers(subject="CN=plateforme-sas.test,OU=Autre service,C=FR"),  # same CN, another OU
        sas_headers(subject="CN=intrus.test,OU=SAS,C=FR"),
    ],
)
def test_a_call_without_a_verified_allowed_certificate_is_refused(db: None, client: Client, headers: dict) -> None:
    for path in (QUERY, "/fhir/metadata"):
        response = client.get(path, **headers)
        assert response.status_code == 403
        outcome = parse_r4b(response.json())
        assert outcome.issue[0].code == "security"


def test_nothing_is_served_while_no_subject_is_allowed(db: None, client: Client, settings: Any) -> None:
    settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS = []
    assert sas_get(client, "/fhir/metadata").status_code == 403


def test_subjects_are_read_as_rfc_4514_with_escapes() -> None:
    assert subject_attributes(r"CN=a.test,O=Agence\, ANS,OU=Num\C3\A9rique") == {
        ("CN", "a.test"),
        ("O", "Agence, ANS"),
        ("OU", "Numérique"),
    }
    assert subject_attributes("n'importe quoi") == set()


def test_a_subject_cannot_smuggle_allowed_attributes_inside_another_one(settings: Any) -> None:
    settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS = ["CN=plateforme-sas.test,OU=SAS"]
    # An OU whose value holds "/CN=…/OU=…": one attribute, not three (the OpenSSL notation is not read).
    assert not client_subject_allowed("OU=Cabinet/CN=plateforme-sas.test/OU=SAS,C=FR")
    assert not client_subject_allowed(r"OU=Cabinet\,CN=plateforme-sas.test\,OU=SAS,C=FR")
    assert client_subject_allowed("CN=plateforme-sas.test,OU=SAS,C=FR")


def test_only_the_sas_platform_manages_regulators(db: None, client: Client, settings: Any) -> None:
    other = "CN=logiciel-urgences.test,OU=SAU,C=FR"
    settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS = [*settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS, other]
    body = {"resourceType": "Practitioner", "active": True, "name": [{"family": "A", "given": ["B"]}]}
    response = client.post(
        "/fhir/Practitioner", data=body, content_type="application/fhir+json", **sas_headers(subject=other)
    )
    assert response.status_code == 403 and parse_r4b(response.json()).issue[0].code == "forbidden"
    assert client.get("/fhir/metadata", **sas_headers(subject=other)).status_code == 200


def test_an_address_not_served_is_an_operation_outcome(db: None, client: Client) -> None:
    for path in ("/fhir/Patient/1", "/fhir/Slot/12", "/fhir/Task/1/_history/2"):
        response = sas_get(client, path)
        assert response.status_code == 404 and parse_r4b(response.json()).issue[0].code == "not-found"
    assert client.get("/fhir/Patient/1").status_code == 403  # still behind the certificate


def test_allow_list_entry_must_match_all_its_attributes(settings: Any) -> None:
    settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS = ["CN=plateforme-sas.test,OU=SAS"]
    assert client_subject_allowed(SAS_SUBJECT)
    assert not client_subject_allowed("CN=plateforme-sas.test,C=FR")
    assert not client_subject_allowed("")


@pytest.mark.parametrize("accept", ["application/fhir+json", "application/json+fhir", "application/json", "*/*", ""])
def test_json_media_types_are_accepted(db: None, client: Client, accept: str) -> None:
    response = client.get("/fhir/metadata", HTTP_ACCEPT=accept, **sas_headers())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"


def test_xml_is_not_served(db: None, client: Client) -> None:
    assert client.get("/fhir/metadata", HTTP_ACCEPT="application/fhir+xml", **sas_headers()).status_code == 406
    assert sas_get(client, "/fhir/metadata?_format=xml").status_code == 406
    assert sas_get(client, "/fhir/metadata?_format=json").status_code == 200


def test_an_unsupported_interaction_is_a_405(db: None, client: Client) -> None:
    response = client.delete("/fhir/Slot", **sas_headers())
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert parse_r4b(response.json()).issue[0].code == "not-supported"


def test_the_capability_statement_says_what_is_served(db: None, client: Client) -> None:
    statement = parse_r4b(sas_get(client, "/fhir/metadata").json())
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance"
    served = {resource.type: resource for resource in statement.rest[0].resource}
    assert set(served) == {"Slot", "Practitioner", "ServiceRequest", "Task"}
    assert {p.name for p in served["Slot"].searchParam} >= {"start", "status", "schedule.actor:Practitioner.identifier"}
    assert served["Practitioner"].conditionalUpdate is True and served["Practitioner"].updateCreate is True
