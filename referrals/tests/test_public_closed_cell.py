"""The patient's thanks page after the QR-code form says when the closed cell reopens, and the 15."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from conftest import World
from referrals.models import Partner, Request
from territory import opening
from territory.tests.closing import close_until_the_day_after_tomorrow

from .test_public import body, partner, url

__all__ = ["partner"]  # the fixture, used here by name

pytestmark = pytest.mark.django_db


def test_a_patient_registering_while_the_cell_is_closed_is_told_when_it_reopens(world: World, partner: Partner) -> None:
    reopens_at = close_until_the_day_after_tomorrow(world.cell)
    client = Client()
    client.get(url(partner))
    response = client.post(url(partner), body(partner))
    assert response.status_code == 302 and Request.objects.count() == 1  # taken all the same
    thanks = client.get(response["Location"]).content.decode()
    with translation.override("fr"):
        assert escape(opening.ClosedAnswer(reopens_at).text()) in thanks  # d'urgence: &#x27;


def test_the_thanks_page_of_an_open_cell_has_no_closed_answer(partner: Partner) -> None:
    thanks = Client().get(reverse("public:thanks", kwargs={"token": partner.token})).content.decode()
    assert "closed-answer" not in thanks
