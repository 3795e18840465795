"""In a real browser: a first login enrols an authenticator app (the test plays the app: it reads the key shown on the
page and computes the code), then the next login asks for the app's code."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from demo.data import DEMO_PASSWORD

from .browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _app_code(key_shown: str, *, step_offset: int = 0) -> str:
    totp = TOTP(b32decode(key_shown.replace(" ", "")))
    totp.time = time.time() + 30 * step_offset
    return f"{totp.token():06d}"


def _password(page: Page, base: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill("coordination")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_first_login_enrols_the_app_and_the_next_one_asks_for_its_code(
    live_server: object, page: Page, demo: None
) -> None:
    base = str(live_server)
    _password(page, base)
    expect(page).to_have_url(re.compile(r"/compte/double-authentification/"))
    expect(page.get_by_role("img", name="QR code à scanner avec l’application d’authentification")).to_be_visible()
    key = page.locator(".otp-key").inner_text()
    screenshot(page, "otp-setup")
    page.get_by_role("textbox", name="Code affiché par l’application").fill("000000")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n’est pas le bon")
    time.sleep(1.1)  # django-otp's pause after a wrong code
    page.get_by_role("textbox", name="Code affiché par l’application").fill(_app_code(key))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, "otp-recovery-codes")
    page.get_by_role("link", name="Je les ai conservés : continuer").click()
    expect(page).to_have_url(f"{base}/c/orne-est/")
    page.get_by_role("button", name="Se déconnecter").click()

    _password(page, base)
    expect(page).to_have_url(re.compile(r"/connexion/code/"))
    page.get_by_role("textbox", name="Code", exact=True).fill(
        _app_code(key, step_offset=1)
    )  # the enrolment used this step's code
    page.get_by_role("button", name="Confirmer").click()
    expect(page).to_have_url(f"{base}/c/orne-est/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Coordination")
