"""Playwright driving Debian's Chromium (headless) against the live test server. No browser download: a missing
/usr/bin/chromium fails the test with the command that installs it, it never skips."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path(os.environ.get("AIGUILLAGE_CHROMIUM", "/usr/bin/chromium"))
# Without these, Chromium tries to reach Google's services, which a closed health-data network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system-deps` (apt-get install chromium).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def communes() -> None:
    """The communes in the live server's database (transactional tests empty it after each test)."""
    from territory.communes import load_communes
    from territory.models import Commune

    if not Commune.objects.exists():
        load_communes(Commune)


@pytest.fixture
def demo() -> None:
    """The demo data in the live server's database. Transactional tests empty the database after each test,
    communes included: reload what the demo needs."""
    from demo.loader import load_demo
    from territory.communes import load_communes
    from territory.models import Commune

    if not Commune.objects.exists():
        load_communes(Commune)
    load_demo(history=False)  # two years of invented past activity take seconds; no browser test reads them
