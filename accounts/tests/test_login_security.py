"""Strong login: the second factor for every account, a growing pause after failures, session limits, and disabled
accounts logged out at once."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import throttle
from accounts.middleware import LOGIN_AT, SEEN_AT
from accounts.models import LoginThrottle, User
from accounts.tests.totp import code_for
from conftest import World

pytestmark = pytest.mark.django_db
PASSWORD = "motdepasse-de-test-42"


def _password_step(client: Client, username: str = "bob", password: str = PASSWORD) -> Any:
    return client.post("/connexion/", {"username": username, "password": password})


def test_a_first_login_enrols_an_app_then_shows_recovery_codes_once(world: World) -> None:
    client = Client()
    response = client.post("/connexion/", {"username": "bob", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/compte/double-authentification/?next=%2F"
    assert response.context["qr"].startswith("data:image/") and 'class="qr-code"' in response.content.decode()
    # Until enrolled, nothing else opens, pages or htmx fragments.
    queue = f"/c/{world.cell.slug}/demandes/"
    assert client.get(queue)["Location"].startswith("/compte/double-authentification/")
    assert client.get(queue, headers={"HX-Request": "true"})["HX-Redirect"] == "/compte/double-authentification/"
    pending = TOTPDevice.objects.get(user=world.colleague, confirmed=False)
    wrong = client.post("/compte/double-authentification/", {"token": "000000", "next": "/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["token"]
    done = client.post("/compte/double-authentification/", {"token": code_for(pending), "next": "/"})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(queue).status_code == 200
    # The codes are stored, never shown again: the setup page no longer lists them.
    assert StaticToken.objects.filter(device__user=world.colleague).count() == 10
    assert not any(code in client.get("/compte/double-authentification/").content.decode() for code in codes)


def test_the_second_step_accepts_the_apps_code_or_a_recovery_code_once(world: World) -> None:
    device = TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    from accounts.two_factor import recovery_codes_renew

    codes = recovery_codes_renew(user=world.colleague)
    client = Client()
    assert _password_step(client)["Location"] == "/"
    assert client.get("/")["Location"] == "/connexion/code/?next=%2F"
    wrong = client.post("/connexion/code/", {"token": "123456"})
    assert wrong.context["form"].errors["token"] == [
        "Ce code n’est pas le bon (ou a déjà servi). Vérifiez l’heure de votre téléphone, puis tapez le nouveau code."
    ]
    time.sleep(1.1)  # django-otp's pause after a wrong code: 1 second, doubling with each further one
    assert client.post("/connexion/code/", {"token": code_for(device)}).status_code == 302
    assert client.get("/").status_code == 302 and client.get("/")["Location"] == f"/c/{world.cell.slug}/"

    with_recovery = Client()
    _password_step(with_recovery)
    assert with_recovery.post("/connexion/code/", {"token": codes[0]}).status_code == 302
    assert with_recovery.get(f"/c/{world.cell.slug}/").status_code == 200
    again = Client()
    _password_step(again)
    assert again.post("/connexion/code/", {"token": codes[0]}).status_code == 200  # used up


def test_replacing_the_app_needs_the_second_factor_first(world: World) -> None:
    TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    client = Client()
    _password_step(client)
    # A stolen password alone cannot enrol the thief's phone.
    assert client.get("/compte/double-authentification/")["Location"] == "/connexion/code/"


@override_settings(AIGUILLAGE_DEMO=True)
def test_only_demo_accounts_of_a_demo_skip_the_second_factor_with_a_banner(world: World) -> None:
    User.objects.filter(pk=world.colleague.pk).update(is_demo=True)
    client = Client()
    _password_step(client)
    home = client.get(f"/c/{world.cell.slug}/")
    assert home.status_code == 200
    assert "sans double authentification" in home.content.decode()
    other = Client()
    _password_step(other, "alice")
    assert other.get(f"/c/{world.cell.slug}/").status_code == 302


def test_a_demo_account_outside_a_demo_needs_the_second_factor(world: World) -> None:
    User.objects.filter(pk=world.colleague.pk).update(is_demo=True)
    client = Client()
    _password_step(client)
    assert client.get(f"/c/{world.cell.slug}/").status_code == 302


def test_ten_failures_pause_the_username_from_that_address_with_a_growing_delay(world: World) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(9):
        assert _password_step(attacker, password="wrong").status_code == 200
    tenth = _password_step(attacker, password="wrong")
    assert tenth.status_code == 429
    assert "Trop de tentatives" in tenth.content.decode()
    # Paused: even the right password is not checked from there.
    assert _password_step(attacker).status_code == 429
    # The real user, from their own address, is not locked out by someone guessing elsewhere.
    user = Client(REMOTE_ADDR="198.51.100.7")
    assert _password_step(user).status_code == 302
    # The pause ends (1 minute); the next failure pauses twice as long, and never for good.
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _password_step(attacker, password="wrong").status_code == 429
    pauses = sorted(
        round((row.locked_until - row.last_failure_at).total_seconds() / 60)
        for row in LoginThrottle.objects.all()
        if row.locked_until
    )
    assert pauses[-1] == 2


def test_the_pause_grows_to_its_ceiling_and_no_further() -> None:
    now = timezone.now()
    for _ in range(30):
        pause = throttle.failure_record("someone", "192.0.2.1", now=now)
    assert pause is not None and pause.until - now == timedelta(minutes=15)
    assert throttle.paused("someone", "192.0.2.1", now=now + timedelta(minutes=16)) is None
    # A day without failures forgets the count: the next failure does not pause at once.
    assert throttle.failure_record("someone", "192.0.2.1", now=now + timedelta(days=2)) is None


def test_a_success_clears_the_count(world: World) -> None:
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(9):
        _password_step(client, password="wrong")
    assert _password_step(client).status_code == 302
    assert _password_step(Client(REMOTE_ADDR="198.51.100.7"), password="wrong").status_code == 200


def _age_session(client: Client, *, seen: int, login: int) -> None:
    session = client.session
    now = int(time.time())
    session[SEEN_AT], session[LOGIN_AT] = now - seen, now - login
    session.save()


def test_thirty_minutes_without_activity_end_the_session(world: World) -> None:
    client = world.client_for(world.colleague)
    home = f"/c/{world.cell.slug}/"
    _age_session(client, seen=29 * 60, login=3600)
    assert client.get(home).status_code == 200
    _age_session(client, seen=31 * 60, login=3600)
    response = client.get(home)
    assert response["Location"] == f"/connexion/?next=%2Fc%2F{world.cell.slug}%2F"
    assert client.get(home).status_code == 302  # logged out for good


def test_the_queues_own_refresh_is_not_activity(world: World) -> None:
    client = world.client_for(world.colleague)
    queue = f"/c/{world.cell.slug}/demandes/"
    _age_session(client, seen=20 * 60, login=3600)
    refresh = {"HX-Request": "true", "X-Aiguillage-Refresh": "1"}
    assert client.get(queue, headers=refresh).status_code == 200
    assert int(time.time()) - client.session[SEEN_AT] >= 20 * 60
    _age_session(client, seen=31 * 60, login=3600)
    assert client.get(queue, headers=refresh)["HX-Redirect"] == "/connexion/"
    # A click is activity.
    other = world.client_for(world.owner)
    _age_session(other, seen=20 * 60, login=3600)
    other.get(queue)
    assert int(time.time()) - other.session[SEEN_AT] < 5


def test_twelve_hours_after_login_the_session_ends_even_when_active(world: World) -> None:
    client = world.client_for(world.colleague)
    _age_session(client, seen=10, login=12 * 3600 + 60)
    assert client.get(f"/c/{world.cell.slug}/").status_code == 302


def test_disabling_an_account_ends_all_its_sessions_at_once(world: World) -> None:
    TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    laptop, phone = Client(), Client()
    for client in (laptop, phone):
        _password_step(client)
    assert Session.objects.count() == 2
    world.colleague.is_active = False
    world.colleague.save()
    assert Session.objects.count() == 0
    assert laptop.get("/connexion/code/")["Location"].startswith("/connexion/")


def test_the_cell_administrator_resets_a_lost_second_factor(world: World) -> None:
    TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    phone = Client()
    _password_step(phone)
    membership = world.colleague.memberships.get(cell=world.cell)
    admin = world.client_for(world.owner)
    page = admin.get(f"/c/{world.cell.slug}/membres/{membership.pk}/")
    assert page.context["second_factor_enrolled"] is True
    assert (
        world.client_for(world.colleague)
        .post(f"/c/{world.cell.slug}/membres/{membership.pk}/double-authentification/")
        .status_code
        == 403
    )
    response = admin.post(f"/c/{world.cell.slug}/membres/{membership.pk}/double-authentification/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.colleague).exists()
    assert phone.get("/connexion/code/")["Location"].startswith("/connexion/")  # logged out everywhere
    again = Client()
    _password_step(again)
    assert again.get("/")["Location"] == "/compte/double-authentification/?next=%2F"  # enrols a new app


def test_a_secret_copied_from_another_session_is_never_the_one_confirmed(world: World) -> None:
    """Someone who knew the password (e.g. the administrator who chose it) opens the set-up page first and copies the
    key; when the member opens it, a new secret replaces it: the copied one confirms nothing."""
    intruder, member = Client(), Client()
    _password_step(intruder)
    intruder.get("/compte/double-authentification/")
    copied = TOTPDevice.objects.get(user=world.colleague, confirmed=False)
    _password_step(member)
    member.get("/compte/double-authentification/")
    assert not TOTPDevice.objects.filter(pk=copied.pk).exists()
    fresh = TOTPDevice.objects.get(user=world.colleague, confirmed=False)
    assert member.post("/compte/double-authentification/", {"token": code_for(fresh)}).status_code == 200
    code = f"{TOTP(copied.bin_key).token():06d}"  # the intruder's app still shows codes for the old key
    refused = intruder.post("/compte/double-authentification/", {"token": code})
    assert refused["Location"] == "/connexion/code/"  # the account has its app now: the intruder needs its code
    assert list(TOTPDevice.objects.filter(user=world.colleague).values_list("pk", "confirmed")) == [(fresh.pk, True)]


def test_lookalike_usernames_and_one_ipv6_network_share_one_count() -> None:
    now = timezone.now()
    for i, name in enumerate(["alice", "ALICE", "ａｌｉｃｅ", " alice "] * 3):
        throttle.failure_record(name, f"2001:db8::{i + 1}", now=now)
    assert throttle.paused("alice", "2001:db8::ffff", now=now) is not None
    assert throttle.paused("alice", "2001:db8:1::1", now=now) is None  # another network


def test_the_admins_own_login_page_leads_to_ours(world: World) -> None:
    response = Client().get("/plateforme/admin/login/?next=/plateforme/admin/")
    assert response["Location"] == "/connexion/?next=/plateforme/admin/"


def test_logins_failures_and_second_factor_changes_are_in_the_tamper_evident_log(world: World) -> None:
    from audit.models import AccessAction, AccessEvent

    _password_step(Client(), password="wrong")
    client = Client()
    _password_step(client)
    device = TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    client.post("/connexion/code/", {"token": code_for(device)})
    rows = list(AccessEvent.objects.order_by("id").values_list("actor", "action", "object_type", "detail"))
    assert rows == [
        ("bob", AccessAction.LOGIN_FAILED, "session", ""),
        ("bob", AccessAction.LOGIN, "session", "password"),
        ("bob", AccessAction.LOGIN, "second_factor", "app"),
    ]


def test_wrong_codes_never_pause_the_second_step_for_more_than_minutes(world: World) -> None:
    from accounts.two_factor import MAX_THROTTLE_FAILURES, WRONG_CODE, second_factor_check

    device = TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=40)  # 2**39 s: years, uncapped
    from common.errors import DomainError

    with pytest.raises(DomainError) as raised:
        second_factor_check(user=world.colleague, token="000000")
    assert raised.value.message == WRONG_CODE
    device.refresh_from_db()
    assert device.throttling_failure_count <= MAX_THROTTLE_FAILURES + 1


def test_pages_of_a_logged_in_user_are_never_cached(world: World) -> None:
    response = world.client_for(world.colleague).get(f"/c/{world.cell.slug}/demandes/")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_shared_account_is_reset_by_the_platform_administrator_only(world: World) -> None:
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.colleague, cell=world.other_cell, role="coordinator")
    TOTPDevice.objects.create(user=world.colleague, name="app", confirmed=True)
    membership = world.colleague.memberships.get(cell=world.cell)
    world.client_for(world.owner).post(f"/c/{world.cell.slug}/membres/{membership.pk}/double-authentification/")
    assert TOTPDevice.objects.filter(user=world.colleague, name="app").exists()
