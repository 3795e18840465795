"""Fuzzing the JSON API from its own OpenAPI schema (schemathesis), as a requester's software with a real token.

Every operation of `/api/v1/openapi.json` gets schema-valid and invalid calls (coverage and fuzzing phases, a
fixed seed, a bounded number of examples): never a 5xx, always a documented status, content type and body, 4xx bodies
that name each field, authentication enforced (schemathesis' `ignored_auth` replays each accepted call without and
with a wrong token), and a requester never reads another's request. The explicit tests below check the same rules by
hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case, CheckContext, Response

from accounts.models import Membership, Role
from api.models import ApiToken
from api.services import api_token_create
from api.v1 import api
from conftest import ARGENTAN, GACE, World
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/openapi.json"
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20250611,
        # Deterministic and with no example database: the same cases on every run, on SQLite and PostgreSQL alike.
        "generation": {"max-examples": 40, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        # A schema-valid body may still break a rule the schema cannot express (the commune must exist, a phone is
        # needed unless the requester answers, a vital emergency goes to the 15): those answer 422 naming the field,
        # which `errors_name_their_fields` checks instead.
        "checks": {"positive_data_acceptance": {"enabled": False}},
    }
)


class TestApp:
    """Django's WSGI app as its test client runs it: the app must not close the test's connection after a call."""

    handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()  # sends request_finished
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, TestApp(), config=CONFIG)

# Ids of the requests of the test world, read when a case is drawn, so that the fuzzer asks for real requests too.
_KNOWN_REQUESTS: list[int] = []


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    """Often a commune and a phone that exist, so that generated requests get past those rules and get created."""
    patient = body.get("patient") if isinstance(body, dict) else None
    if not isinstance(patient, dict):
        return st.just(body)
    communes = st.just(patient.get("commune_insee"))
    if isinstance(patient.get("commune_insee"), str) and len(patient["commune_insee"]) == 5:
        communes = st.sampled_from([ARGENTAN, GACE, patient["commune_insee"]])
    phones = st.just(patient.get("phone"))
    if isinstance(patient.get("phone"), str) and len(patient["phone"]) <= 30:
        phones = st.sampled_from(["06 12 34 56 78", "+33 2 33 12 34 56", patient["phone"]])
    return st.tuples(communes, phones).map(
        lambda chosen: {
            **body,
            "patient": {
                **patient,
                **({"commune_insee": chosen[0]} if "commune_insee" in patient else {}),
                **({"phone": chosen[1]} if "phone" in patient else {}),
            },
        }
    )


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, parameters: Any) -> st.SearchStrategy[Any]:
    if not isinstance(parameters, dict) or not isinstance(parameters.get("request_id"), int):
        return st.just(parameters)
    return st.sampled_from([parameters["request_id"], *_KNOWN_REQUESTS]).map(
        lambda request_id: {**parameters, "request_id": request_id}
    )


@dataclass
class Requesters:
    token: str  # the requester the fuzzer plays
    peer_token: str  # another requester organisation of the same cell
    outsider_token: str  # a requester of the other cell
    revoked_token: str  # once the first requester's, revoked
    mine: int  # a request sent by the first requester
    theirs: list[int]  # requests of the peer and of the outsider


def _requester(cell: Any) -> Membership:
    professional = ProfessionalFactory(cell=cell, profession="gp")
    return cast(
        Membership,
        MembershipFactory(cell=cell, role=Role.REQUESTER, requester_type="sas_regulator", professional=professional),
    )


@pytest.fixture
def requesters(world: World) -> Iterator[Requesters]:
    me, peer, outsider = _requester(world.cell), _requester(world.cell), _requester(world.other_cell)
    revoked, revoked_clear = api_token_create(membership=me)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    mine = make_request(world.cell, last_name="Moi", requester_professional=me.professional)
    theirs = [
        make_request(world.cell, last_name="Voisin", requester_professional=peer.professional).pk,
        make_request(world.other_cell, last_name="Ailleurs", requester_professional=outsider.professional).pk,
    ]
    _KNOWN_REQUESTS[:] = [mine.pk, *theirs]
    yield Requesters(
        token=api_token_create(membership=me)[1],
        peer_token=api_token_create(membership=peer)[1],
        outsider_token=api_token_create(membership=outsider)[1],
        revoked_token=revoked_clear,
        mine=mine.pk,
        theirs=theirs,
    )
    _KNOWN_REQUESTS.clear()


def _get(request_id: object, token: str) -> Any:
    return Client().get(f"/api/v1/requests/{request_id}", HTTP_AUTHORIZATION=f"Bearer {token}")


def _body_fields() -> set[str]:
    """Every field of the documented request bodies, by its path (`patient.phone`)."""
    document = api.get_openapi_schema()
    definitions = document["components"]["schemas"]

    def walk(node: dict[str, Any], prefix: str) -> set[str]:
        if "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[1]]
        found: set[str] = set()
        for name, child in node.get("properties", {}).items():
            found |= {prefix + name} | walk(child, f"{prefix}{name}.")
        return found

    fields: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                fields |= walk(content["schema"], "")
            fields |= {parameter["name"] for parameter in operation.get("parameters", [])}
    return fields


# What a 4xx body may name besides the documented fields: the body as a whole, the token, the requester it stands for.
KNOWN_FIELDS = _body_fields() | {"body", "authorization", "requester"}


def errors_name_their_fields(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 4xx answers `{"errors": {"<field>": ["<message>", …]}}`, naming fields the client knows."""
    if not 400 <= response.status_code < 500 or response.status_code == 405:  # 405 comes from Django, not the API
        return None
    errors = response.json()["errors"]
    assert errors and set(errors) <= KNOWN_FIELDS, f"{response.status_code} names unknown fields: {errors}"
    assert all(messages and all(isinstance(m, str) and m for m in messages) for messages in errors.values()), errors
    return None


def requests_stay_with_their_requester(requesters: Requesters) -> Any:
    def check(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """A request is read by the requester that sent it: 404 for anyone else, 401 for a revoked token."""
        if (
            case.method == "GET"
            and case.path_parameters
            and case.path_parameters.get("request_id") in requesters.theirs
        ):
            assert response.status_code in (401, 404), f"another requester's request answered {response.status_code}"
        if case.method != "POST" or response.status_code != 201:
            return None
        created = response.json()["id"]
        own = _get(created, requesters.token)
        assert own.status_code == 200 and own.json()["id"] == created, own.content
        for token in (requesters.peer_token, requesters.outsider_token):
            assert _get(created, token).status_code == 404
        assert _get(created, requesters.revoked_token).status_code == 401
        return None

    return check


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # one world per operation, on purpose
def test_every_operation_holds_its_schema_and_its_authorisation(case: Case, requesters: Requesters) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {requesters.token}"},
        additional_checks=[errors_name_their_fields, requests_stay_with_their_requester(requesters)],
    )


def test_the_fuzzer_covers_every_route_of_the_api() -> None:
    documented = {(result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()}
    routed = {
        (method, f"/api/v1{prefix}{path}")
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    assert documented == routed and documented


def _each_operation(request_id: int) -> Iterator[tuple[str, str, str | None]]:
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            body = json.dumps({"patient": {}, "need": {}}) if method == "post" else None
            yield method, path.replace("{request_id}", str(request_id)), body


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer nope", "Token {token}", "Bearer {revoked}", "bearer {token}x"]
)
def test_no_operation_answers_without_a_valid_token(requesters: Requesters, authorization: str) -> None:
    header = authorization.format(token=requesters.token, revoked=requesters.revoked_token)
    for method, path, body in _each_operation(requesters.mine):
        response = getattr(Client(), method)(
            path, data=body, content_type="application/json", HTTP_AUTHORIZATION=header
        )
        assert response.status_code == 401, (method, path, response.content)
        assert response["WWW-Authenticate"] == "Bearer"
        assert set(response.json()["errors"]) == {"authorization"}


def test_a_deactivated_requester_loses_every_operation(requesters: Requesters) -> None:
    Membership.objects.filter(api_tokens__digest__isnull=False, role=Role.REQUESTER).update(is_active=False)
    for method, path, body in _each_operation(requesters.mine):
        response = getattr(Client(), method)(
            path, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {requesters.token}"
        )
        assert response.status_code == 401, (method, path)


def test_a_requester_reads_its_own_requests_and_nobody_elses(requesters: Requesters) -> None:
    assert _get(requesters.mine, requesters.token).status_code == 200
    for theirs in requesters.theirs:
        response = _get(theirs, requesters.token)
        assert response.status_code == 404
        assert set(response.json()["errors"]) == {"request_id"}
    assert _get(requesters.mine, requesters.peer_token).status_code == 404
    assert _get(requesters.mine, requesters.outsider_token).status_code == 404
