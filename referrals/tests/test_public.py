"""The QR-code form: public, so robots and floods are refused, and nothing typed is ever shown back."""

import time
import uuid

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from conftest import World
from referrals.forms import PublicForm
from referrals.models import Channel, Partner, Request
from referrals.states import Status
from tests.factories import commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(world: World) -> Partner:
    return Partner.objects.create(cell=world.cell, name="Mairie de Gacé", kind="town_hall", commune=commune("61181"))


def body(partner: Partner, *, seconds_ago: float = 30, **overrides: str) -> dict[str, str]:
    data = {
        "last_name": "Lacroix",
        "first_name": "Odile",
        "birth_date": "1950-02-14",
        "phone": "06 11 22 33 44",
        "commune": str(partner.commune_id),
        "mt_situation": "no_mt",
        "need": "gp",
        "reason": "Renouvellement d'ordonnance et tension à surveiller",
        "consent": "on",
        "website": "",
        "started": signing.dumps({"t": time.time() - seconds_ago, "n": uuid.uuid4().hex}, salt=PublicForm.SALT),
    }
    data.update(overrides)
    return data


def url(partner: Partner) -> str:
    return reverse("public:request", kwargs={"token": partner.token})


def test_a_patient_registers_through_a_partners_qr_code(partner: Partner) -> None:
    client = Client()
    assert client.get(url(partner)).status_code == 200
    response = client.post(url(partner), body(partner))
    assert response.status_code == 302
    request = Request.objects.get()
    assert (request.channel, request.status, request.partner) == (Channel.QR, Status.TO_VALIDATE, partner)
    thanks = client.get(response["Location"])
    assert "Lacroix" not in thanks.content.decode() and "LACROIX" not in thanks.content.decode()


@pytest.mark.parametrize("overrides", [{"website": "http://spam.example"}, {"started": "forged"}])
def test_robots_are_thanked_and_ignored(partner: Partner, overrides: dict[str, str]) -> None:
    response = Client().post(url(partner), body(partner, **overrides))
    assert response.status_code == 302
    assert not Request.objects.exists()


def test_a_form_sent_twice_creates_one_request(partner: Partner) -> None:
    sent = body(partner)
    client = Client()
    assert client.post(url(partner), sent).status_code == 302
    assert client.post(url(partner), sent).status_code == 302
    assert Request.objects.count() == 1


def test_a_start_time_without_its_one_time_number_is_a_robots(partner: Partner) -> None:
    Client().post(url(partner), body(partner, started=signing.dumps({"t": time.time() - 30}, salt=PublicForm.SALT)))
    assert not Request.objects.exists()


def test_a_form_sent_faster_than_a_person_can_is_ignored(partner: Partner) -> None:
    Client().post(url(partner), body(partner, seconds_ago=0.5))
    assert not Request.objects.exists()


def test_bad_input_is_explained_and_nothing_is_stored(partner: Partner) -> None:
    response = Client().post(url(partner), body(partner, phone="12", consent=""))
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"phone", "consent"}
    assert not Request.objects.exists()


def test_a_flood_from_one_address_is_stopped(partner: Partner) -> None:
    client = Client()
    for i in range(5):
        assert (
            client.post(url(partner), body(partner, last_name=f"Flot{i}", phone=f"06 11 22 33 4{i}")).status_code == 302
        )
    blocked = client.post(url(partner), body(partner, last_name="Flot9", phone="06 11 22 33 49"))
    assert blocked.status_code == 429
    assert Request.objects.count() == 5


def test_a_disabled_or_unknown_code_leads_nowhere(partner: Partner) -> None:
    partner.is_active = False
    partner.save()
    assert Client().get(url(partner)).status_code == 404
    assert Client().get(reverse("public:request", kwargs={"token": "nope"})).status_code == 404


def test_the_poster_shows_the_qr_code_of_the_partners_address(world: World, partner: Partner) -> None:
    page = world.client_for(world.owner).get(
        reverse("referrals:partner_poster", kwargs={"cell": world.cell.slug, "pk": partner.pk})
    )
    body_text = page.content.decode()
    assert "<svg" in body_text
    assert f"/q/{partner.token}/" in body_text


def test_a_partner_outside_the_territory_is_refused(world: World) -> None:
    response = world.client_for(world.owner).post(
        reverse("referrals:partner_create", kwargs={"cell": world.cell.slug}),
        {"name": "Mairie de Clisson", "kind": "town_hall", "commune": "Clisson (44190) · 44043", "is_active": "on"},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["commune"]
