"""A request sent through the API while the cell is closed is taken, and the answer says when the cell reopens."""

import json
from datetime import datetime

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import Role
from api.services import api_token_create
from conftest import World
from territory import opening
from territory.tests.closing import close_until_the_day_after_tomorrow
from tests.factories import MembershipFactory, ProfessionalFactory

from .test_api import payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(world: World) -> str:
    pro = ProfessionalFactory(cell=world.cell, profession="gp")
    membership = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=pro)
    return api_token_create(membership=membership)[1]


def send(token: str) -> dict:
    response = Client().post(
        "/api/v1/requests",
        data=json.dumps(payload()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_request_to_the_closed_cell_is_taken_and_the_answer_gives_the_reopening(world: World, token: str) -> None:
    reopens_at = close_until_the_day_after_tomorrow(world.cell)
    data = send(token)
    assert datetime.fromisoformat(data["cell_reopens_at"]) == reopens_at
    assert data["status"] == "received"
    with translation.override("fr"):  # the API answers in French
        assert data["cell_closed_notice"] == opening.ClosedAnswer(reopens_at).text()
    followed = Client().get(f"/api/v1/requests/{data['id']}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert datetime.fromisoformat(followed["cell_reopens_at"]) == reopens_at


def test_a_request_to_an_open_cell_has_no_reopening(world: World, token: str) -> None:
    data = send(token)  # no hours: always open
    assert data["cell_reopens_at"] is None and data["cell_closed_notice"] is None


def test_the_reopening_field_is_documented_in_the_openapi_schema() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    fields = schema["components"]["schemas"]["RequestOut"]["properties"]
    assert "ISO 8601" in fields["cell_reopens_at"]["description"]
    assert {"type": "string", "format": "date-time"} in fields["cell_reopens_at"]["anyOf"]
