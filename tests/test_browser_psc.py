"""In a real browser: the "Pro Santé Connect" button of the login page, the round trip through a fake PSC on
loopback (accounts/tests/fake_psc.py) and back, logged in without a TOTP code; the logout offers PSC's too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts import psc
from accounts.models import Role
from accounts.tests.fake_psc import FakePsc
from tests.factories import CellFactory, MembershipFactory, ProfessionalFactory, TerritoryFactory, UserFactory

from .browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake(settings: Any, live_server: Any) -> Iterator[FakePsc]:
    from territory.communes import load_communes
    from territory.models import Commune

    if not Commune.objects.exists():  # transactional tests empty every table after each test
        load_communes(Commune)
    provider = FakePsc().start()
    settings.AIGUILLAGE_BASE_URL = str(live_server)
    settings.AIGUILLAGE_PSC_CLIENT_ID = provider.client_id
    settings.AIGUILLAGE_PSC_CLIENT_SECRET = provider.client_secret
    settings.AIGUILLAGE_PSC_DISCOVERY_URL = provider.discovery_url
    psc.forget_metadata()
    yield provider
    psc.forget_metadata()
    provider.stop()


def test_a_professional_logs_in_with_pro_sante_connect_and_out_of_both(
    live_server: Any, page: Page, fake: FakePsc
) -> None:
    cell = CellFactory(name="CSNP Essai PSC", slug="essai-psc")
    TerritoryFactory(cell=cell, communes=["61006"])
    professional = ProfessionalFactory(cell=cell, rpps=fake.professional.rpps, profession="gp")
    MembershipFactory(
        user=UserFactory(username="dr-psc"),
        cell=cell,
        role=Role.REQUESTER,
        requester_type="gp",
        professional=professional,
    )
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    base = str(live_server)
    page.goto(f"{base}/connexion/")
    button = page.locator("a.psc-button")
    expect(button).to_be_visible()
    screenshot(page, "psc-login")
    button.click()
    expect(page).to_have_url(f"{base}/c/essai-psc/")  # PSC answered, no second-factor page on the way
    assert [path for path in fake.paths if path == "/auth"] == ["/auth"]
    page.locator("form[action='/deconnexion/'] button").click()
    expect(page.locator("#psc-logout")).to_be_visible()
    screenshot(page, "psc-logged-out")
    page.locator("#psc-logout").click()
    logout_at_psc = re.escape(fake.base) + r"/auth/realms/esante-wallet/protocol/openid-connect/logout\?"
    expect(page).to_have_url(re.compile(logout_at_psc))
    assert violations == []
