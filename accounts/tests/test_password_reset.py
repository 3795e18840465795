"""Password reset by e-mail: the same answer whether the address is known or not, a pause per e-mail address and
per visitor's address, and no way around the second factor."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import throttle
from accounts.models import User
from conftest import World

pytestmark = pytest.mark.django_db

RESET = "/mot-de-passe-oublie/"
LONG_BASE_URL = "https://coordination-soins-non-programmes.cpts-du-pays-d-argentan-et-environs.example.fr"
NEW_PASSWORD = "un-autre-mot-de-passe-solide-9"


def _ask(client: Client, email: str, address: str = "192.0.2.10") -> Any:
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_the_login_page_links_to_the_forgotten_password_page() -> None:
    response = Client().get(reverse("accounts:login"))
    assert f'href="{RESET}"' in response.content.decode()


def test_a_known_and_an_unknown_address_get_the_same_answer(world: World) -> None:
    known = _ask(Client(), "alice@example.org")
    unknown = _ask(Client(), "personne@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password_reset_done")
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_the_reset_link_on_the_base_url_sets_a_new_password_and_the_second_factor_is_still_asked(
    world: World, settings: Any
) -> None:
    settings.AIGUILLAGE_BASE_URL = LONG_BASE_URL + "/"
    TOTPDevice.objects.create(user=world.owner, name="app", confirmed=True)
    with translation.override("en"):
        _ask(Client(), "alice@example.org")
    body = mail.outbox[-1].body
    assert "Votre identifiant : alice" in body  # sent in the cell's language, whatever the asker's browser
    link = re.search(r"https://\S+/mot-de-passe-oublie/\S+/\S+/", body)
    assert link is not None and link.group(0).startswith(LONG_BASE_URL + "/mot-de-passe-oublie/")
    client = Client()
    form_page = client.get(urlsplit(link.group(0)).path, follow=True)  # Django hides the token behind a redirect
    assert form_page.context["validlink"] is True
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    world.owner.refresh_from_db()
    assert world.owner.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in client.session  # not logged in by the reset
    login = client.post(reverse("accounts:login"), {"username": "alice", "password": NEW_PASSWORD})
    assert login.status_code == 302
    home = client.get(reverse("accounts:cell_home", kwargs={"cell": world.cell.slug}))
    assert home.status_code == 302 and home["Location"].startswith(reverse("accounts:otp_verify"))
    again = Client().get(urlsplit(link.group(0)).path, follow=True)
    assert again.context["validlink"] is False  # single use


def test_a_weak_new_password_is_refused(world: World) -> None:
    _ask(Client(), "alice@example.org")
    link = re.search(r"https?://\S+/mot-de-passe-oublie/\S+/\S+/", mail.outbox[-1].body)
    assert link is not None
    client = Client()
    page = client.get(urlsplit(link.group(0)).path, follow=True)
    response = client.post(page.redirect_chain[-1][0], {"new_password1": "azerty", "new_password2": "azerty"})
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
    assert User.objects.get(username="alice").check_password("motdepasse-de-test-42")


def test_resets_for_one_address_pause_after_three_whoever_asks(world: World) -> None:
    for n in range(throttle.RESET_PER_EMAIL):
        assert _ask(Client(), "alice@example.org", address=f"198.51.100.{n}").status_code == 302
    paused = _ask(Client(), "alice@example.org", address="203.0.113.7")
    assert paused.status_code == 429
    assert paused.context["pause_minutes"] == 1
    assert len(mail.outbox) == throttle.RESET_PER_EMAIL
    assert _ask(Client(), "bob@example.org", address="203.0.113.7").status_code == 302  # another address is free


def test_resets_from_one_visitor_pause_after_twenty_addresses(world: World) -> None:
    for n in range(throttle.RESET_PER_ADDRESS):
        assert _ask(Client(), f"personne{n}@example.org").status_code == 302
    paused = _ask(Client(), "alice@example.org")
    assert paused.status_code == 429
    assert mail.outbox == []  # none of those addresses was known, and alice's was not sent while paused
    assert _ask(Client(), "alice@example.org", address="192.0.2.99").status_code == 302


def test_reset_counters_do_not_count_as_login_failures(world: World) -> None:
    for n in range(throttle.RESET_PER_ADDRESS):
        _ask(Client(), f"personne{n}@example.org")
    assert throttle.paused("alice", "192.0.2.10") is None
