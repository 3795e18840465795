"""The JSON API, driven as a requester's software would: JSON in, JSON out, a bearer token per organisation."""

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Role
from api.services import api_token_create
from common.phones import PHONE_INVALID
from common.tests.phone_cases import PHONE_CASES
from conftest import World
from referrals import services
from referrals.models import Channel, Request
from tests.factories import MembershipFactory, ProfessionalFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester(world: World):
    pro = ProfessionalFactory(cell=world.cell, profession="gp")
    return MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="sas_regulator", professional=pro)


@pytest.fixture
def token(requester) -> str:
    return api_token_create(membership=requester)[1]


def payload(**patient: object) -> dict[str, Any]:
    return {
        "patient": {
            "last_name": "Girard",
            "first_name": "Hugo",
            "birth_date": "1990-08-30",
            "commune_insee": "61006",
            "phone": "06 12 34 56 78",
            "mt_situation": "no_mt",
            **patient,
        },
        "need": {
            "reason": "Douleur lombaire aiguë",
            "reason_category": "pain",
            "care_channel": "gp",
            "urgency": "48h",
            "elsewhere": "er",
        },
        "idempotency_key": "sas-0001",
    }


def post(token: str, body: object) -> object:
    return Client().post(
        "/api/v1/requests", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_software_sends_a_request_and_follows_it(world: World, requester, token: str) -> None:
    response = post(token, payload())
    assert response.status_code == 201, response.content
    data = response.json()
    request = Request.objects.get()
    assert (data["id"], data["status"], request.channel) == (request.pk, "received", Channel.API)
    assert request.requester_professional == requester.professional
    assert str(request.patient_phone) == "+33612345678"
    services.request_reorient(
        request=request, user=world.colleague, resource=ResourceFactory(cell=world.cell, name="SOS Médecins")
    )
    followed = Client().get(f"/api/v1/requests/{request.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (followed["status"], followed["reoriented_to"]) == ("reoriented", "SOS Médecins")
    assert [event["status"] for event in followed["timeline"]] == ["received", "reoriented"]


def test_the_same_idempotency_key_creates_one_request(token: str) -> None:
    first, second = post(token, payload()), post(token, payload())
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Request.objects.count() == 1


def test_keys_that_differ_only_at_their_end_are_two_requests(token: str) -> None:
    """The probe's payload: 64-character keys cut once prefixed, so the second patient got the first one's id."""
    first = post(token, payload() | {"idempotency_key": "k" * 60 + "AAAA"})
    second = post(token, payload(last_name="Moreau", first_name="Inès") | {"idempotency_key": "k" * 60 + "BBBB"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert sorted(Request.objects.values_list("patient_last_name", flat=True)) == ["Girard", "Moreau"]
    by_header = [
        Client().post(
            "/api/v1/requests",
            data=json.dumps(payload(last_name=name) | {"idempotency_key": ""}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="h" * 60 + suffix,
        )
        for name, suffix in (("Petit", "AAAA"), ("Roux", "BBBB"), ("Petit", "AAAA"))
    ]
    assert [answer.status_code for answer in by_header] == [201, 201, 201]
    assert by_header[0].json()["id"] == by_header[2].json()["id"] != by_header[1].json()["id"]
    assert Request.objects.count() == 4


def test_a_key_too_long_is_refused_naming_where_it_was_given(token: str) -> None:
    in_body = post(token, payload() | {"idempotency_key": "k" * 65})
    assert in_body.status_code == 422
    assert in_body.json() == {"errors": {"idempotency_key": ["Trop long : 64 caractères au plus."]}}
    in_header = Client().post(
        "/api/v1/requests",
        data=json.dumps(payload() | {"idempotency_key": ""}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="k" * 10_000,
    )
    assert in_header.status_code == 422
    assert in_header.json() == {"errors": {"Idempotency-Key": ["Trop long : 64 caractères au plus."]}}
    assert not Request.objects.exists()


def test_the_same_key_with_another_patient_is_refused_not_answered_with_the_first(token: str) -> None:
    first = post(token, payload())
    again = post(token, payload(last_name="Moreau"))
    assert first.status_code == 201 and again.status_code == 422
    assert list(again.json()["errors"]) == ["idempotency_key"]
    assert "autre patient" in again.json()["errors"]["idempotency_key"][0]
    assert list(Request.objects.values_list("patient_last_name", flat=True)) == ["Girard"]
    retry = post(token, payload(first_name="  Hugo "))  # the same patient, typed with spaces: the same submission
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]


def test_bad_input_answers_422_naming_each_field_in_french(token: str) -> None:
    body = payload(commune_insee="99999", phone="12")
    body["need"]["urgency"] = "yesterday"
    del body["patient"]["last_name"]
    response = post(token, body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"patient.last_name", "need.urgency"}
    assert errors["patient.last_name"] == ["Ce champ est obligatoire."]
    second = post(token, payload(commune_insee="99999", phone="12"))
    assert second.status_code == 422
    assert set(second.json()["errors"]) == {"patient.commune_insee", "patient.phone"}
    assert not Request.objects.exists()


def test_domain_rules_answer_422_on_their_field(token: str) -> None:
    body = payload(phone="")
    response = post(token, body)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"patient.phone"}
    emergency = payload() | {"vital_emergency": True}
    response = post(token, emergency)
    assert response.status_code == 422 and "15" in response.json()["errors"]["vital_emergency"][0]
    assert not Request.objects.exists()


def test_a_malformed_body_is_a_422_not_a_500(token: str) -> None:
    response = Client().post(
        "/api/v1/requests", data="{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"body": ["Le corps de la requête n’est pas du JSON valide."]}}


def test_a_body_over_the_size_limit_is_a_413_in_json_not_an_html_page(token: str) -> None:
    response: Any = post(token, payload() | {"padding": "a" * 2_700_000})  # the probe's 2.5 MB and more
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"errors": {"body": ["Le corps est trop grand : 2,5\xa0Mio au plus."]}}
    assert not Request.objects.exists()


def test_a_foreign_number_with_its_country_code_is_taken_a_wrong_one_refused_saying_so(token: str) -> None:
    """Patients passing through the territory may only have their own country's phone (seed 004)."""
    foreign: Any = post(token, payload(phone="+1 202 555 0100"))
    assert foreign.status_code == 201
    assert str(Request.objects.get().patient_phone) == "+12025550100"
    wrong: Any = post(token, payload(phone="+33 6 12") | {"idempotency_key": "autre"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"]["patient.phone"] == [
        "Numéro de téléphone invalide : écrivez un numéro français sous la forme 06 12 34 56 78, un numéro étranger "
        "avec + et son indicatif (+32 470 12 34 56)."
    ]


@pytest.mark.parametrize(("typed", "e164"), PHONE_CASES)
def test_the_patients_phone_is_read_as_every_channel_reads_it(token: str, typed: str, e164: str | None) -> None:
    response: Any = post(token, payload(phone=typed))
    if e164 is None:
        assert response.status_code == 422
        assert response.json()["errors"] == {"patient.phone": [str(PHONE_INVALID)]}
        assert not Request.objects.exists()
    else:
        assert response.status_code == 201, response.content
        assert str(Request.objects.get().patient_phone) == e164


def test_blank_names_and_null_characters_are_refused(token: str) -> None:
    blank = post(token, payload(last_name="   "))
    assert blank.status_code == 422 and set(blank.json()["errors"]) == {"patient.last_name"}
    nul = post(token, payload(first_name="Hu\x00go"))
    assert nul.status_code == 422 and set(nul.json()["errors"]) == {"patient.first_name"}
    assert not Request.objects.exists()


def test_idempotency_keys_are_per_organisation(world: World, token: str) -> None:
    other = MembershipFactory(
        cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=ProfessionalFactory(cell=world.cell)
    )
    mine = post(token, payload()).json()["id"]
    theirs = post(api_token_create(membership=other)[1], payload(last_name="Autre")).json()["id"]
    assert mine != theirs
    assert Request.objects.count() == 2


def test_a_token_stops_working_when_its_owner_is_no_longer_a_requester(requester, token: str) -> None:
    requester.role = Role.COORDINATOR
    requester.save()
    assert post(token, payload()).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer nope", "Token abc"])
def test_no_valid_token_no_access(header: str) -> None:
    response = Client().post(
        "/api/v1/requests", data=json.dumps(payload()), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_another_organisations_request_is_a_404(world: World, token: str) -> None:
    other = MembershipFactory(
        cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=ProfessionalFactory(cell=world.cell)
    )
    theirs = post(api_token_create(membership=other)[1], payload()).json()["id"]
    response = Client().get(f"/api/v1/requests/{theirs}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404


def test_a_revoked_token_or_a_deactivated_member_loses_access(requester, token: str) -> None:
    requester.is_active = False
    requester.save()
    assert post(token, payload()).status_code == 401


def test_the_openapi_schema_and_docs_are_served_without_a_cdn() -> None:
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/requests" in document["paths"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security"), f"{method.upper()} {path} is open without a token"
    docs = Client().get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()
    assert "/static/ninja/swagger-ui" in docs


def test_the_command_prints_a_working_token_once(requester) -> None:
    from io import StringIO

    out = StringIO()
    call_command("create_api_token", requester.user.username, stdout=out)
    clear = out.getvalue().strip().splitlines()[-1]
    assert clear.startswith("aig_")
    assert post(clear, payload()).status_code == 201
    from api.models import ApiToken

    assert not ApiToken.objects.filter(digest=clear).exists()
