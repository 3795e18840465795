"""Helpers for the browser tests (the fixtures are in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from demo.data import DEMO_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    """Saved for people to look at (var/screenshots/), not compared."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, base: str, username: str) -> None:
    """Password, then the code of the account's authenticator app, computed here from its secret as the app would."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.tests.totp import code_for

    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="app", confirmed=True
    )
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("textbox", name="Code", exact=True).fill(code_for(device))
    page.get_by_role("button", name="Confirmer").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
