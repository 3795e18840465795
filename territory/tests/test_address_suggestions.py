"""The address suggestions endpoint: members only, BAN through our server, JSON for the type-ahead field."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import World
from tests.fake_ban import FakeBan

pytestmark = pytest.mark.django_db


def url(world: World, cell: Any = None) -> str:
    return reverse("territory:address_suggestions", kwargs={"cell": (cell or world.cell).slug})


def test_a_member_gets_the_addresses_with_what_the_form_needs(world: World, ban_on: FakeBan) -> None:
    response = world.client_for(world.colleague).get(url(world), {"q": "12 rue de la g", "commune": "61181"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "suggestions": [
            {
                "label": "12 Rue de la Gare 61230 Gacé",
                "street": "12 Rue de la Gare",
                "postcode": "61230",
                "city": "Gacé",
                "citycode": "61181",
                "commune": "Gacé (61230) · 61181",
                "latitude": 48.7931,
                "longitude": 0.2988,
                "precision": "address",
            }
        ]
    }
    assert ban_on.calls[0]["citycode"] == "61181"
    assert ban_on.calls[0]["autocomplete"] == "1"


def test_without_a_commune_the_search_covers_france_and_names_each_commune(world: World, ban_on: FakeBan) -> None:
    response = world.client_for(world.owner).get(url(world), {"q": "rue de la gare", "commune": "not a code"})
    communes = {s["commune"] for s in response.json()["suggestions"]}
    assert communes == {"Gacé (61230) · 61181", "Argentan (61200) · 61006"}
    assert "citycode" not in ban_on.calls[0]


def test_nothing_is_asked_when_geocoding_is_off(world: World, fake_ban: FakeBan) -> None:
    response = world.client_for(world.colleague).get(url(world), {"q": "12 rue de la gare"})
    assert response.status_code == 200
    assert response.json() == {"suggestions": []}
    assert fake_ban.calls == []


def test_an_anonymous_visitor_is_sent_to_the_login_and_ban_is_not_asked(world: World, ban_on: FakeBan) -> None:
    from django.test import Client

    response = Client().get(url(world), {"q": "12 rue de la gare"})
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert ban_on.calls == []


def test_another_cell_is_not_found(world: World, ban_on: FakeBan) -> None:
    response = world.client_for(world.outsider).get(url(world), {"q": "12 rue de la gare"})
    assert response.status_code == 404
    assert ban_on.calls == []


def test_past_the_limit_per_minute_the_answer_is_429(world: World, ban_on: FakeBan, settings: Any) -> None:
    settings.AIGUILLAGE_BAN_SUGGESTIONS_PER_MINUTE = 2
    client = world.client_for(world.colleague)
    statuses = [client.get(url(world), {"q": f"{n} rue de la gare"}).status_code for n in (12, 14, 7)]
    assert statuses == [200, 200, 429]
    assert len(ban_on.calls) == 2


def test_a_failing_ban_answers_503_in_json(world: World, ban_on: FakeBan) -> None:
    ban_on.mode = "error"
    response = world.client_for(world.colleague).get(url(world), {"q": "12 rue de la gare"})
    assert response.status_code == 503
    assert response.json() == {"suggestions": [], "error": "unavailable"}
