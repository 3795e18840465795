"""In Chromium, with BAN geocoding on (a fake BAN on loopback): the cell administrator types a site's address, moves
through the suggestions with the keyboard and chooses one; the street, the commune and the point are filled and saved.
The browser only ever talks to our server (the page's policy keeps connect-src to 'self')."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from directory.models import Site

from .browser import log_in, screenshot
from .fake_ban import FakeBan, running_fake_ban
from .test_browser_csp import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ban_on(settings: Any) -> Iterator[FakeBan]:
    with running_fake_ban() as fake:
        settings.AIGUILLAGE_BAN_URL = fake.url
        settings.AIGUILLAGE_BAN_TIMEOUT = 1.0
        cache.clear()
        yield fake


def test_a_site_address_is_chosen_from_the_suggestions_with_the_keyboard(
    live_server: object, page: Page, demo: None, ban_on: FakeBan
) -> None:
    base = str(live_server)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    log_in(page, base, "admin-orne")
    page.goto(f"{base}/c/orne-est/annuaire/sites/nouveau/")
    page.get_by_role("textbox", name="Nom", exact=True).fill("Cabinet de la Gare")
    page.get_by_label("Type").select_option("practice")
    street = page.get_by_role("combobox", name="Adresse")
    expect(street).to_have_attribute("aria-expanded", "false")
    street.press_sequentially("rue de la gare", delay=30)
    with translation.override("fr"):  # French once the catalogue has it, English until then: the page's own words
        listbox = page.get_by_role("listbox", name=gettext("Suggested addresses"))
    expect(listbox.get_by_role("option")).to_have_count(3)  # two in Gacé, one in Argentan
    expect(street).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".address-combobox [role=status]")).to_contain_text("3")
    street.press("ArrowDown")
    street.press("ArrowDown")
    second = listbox.get_by_role("option").nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(street).to_have_attribute("aria-activedescendant", second.get_attribute("id") or "")
    expect(second).to_have_text("14 Rue de la Gare 61230 Gacé")
    screenshot(page, "site-address-suggestions")
    # An answer arriving while the user arrows through the list (here asked again by a space typed and erased, on a
    # busy machine the answer of a last keystroke) keeps their option: Enter must still choose it, not send the form.
    shown = second.element_handle()
    with page.expect_response(lambda answer: "q=rue+de+la+gare" in answer.url and answer.ok):
        street.press("Space")
        street.press("Backspace")
    shown.wait_for_element_state("hidden")  # the list drawn again from the answer (new options)
    expect(listbox.get_by_role("option")).to_have_count(3)
    expect(second).to_have_attribute("aria-selected", "true")
    street.press("Enter")  # chooses; does not send the form
    expect(listbox).to_be_hidden()
    expect(street).to_have_attribute("aria-expanded", "false")
    expect(street).to_have_value("14 Rue de la Gare")
    expect(page.get_by_label("Commune")).to_have_value(re.compile(r"Gacé \(61230\) · 61181"))
    expect(page.get_by_label("Latitude")).to_have_value("48.793300")
    expect(page.get_by_label("Longitude")).to_have_value("0.299100")
    expect(page.locator(".address-combobox [role=status]")).to_contain_text("14 Rue de la Gare 61230 Gacé")
    assert "/nouveau/" in page.url  # Enter chose the address, it did not submit
    # Escape closes the list without choosing.
    street.fill("3 place du")
    street.press_sequentially(" c", delay=30)
    expect(listbox.get_by_role("option")).to_have_count(1)
    street.press("Escape")
    expect(listbox).to_be_hidden()
    expect(page.get_by_label("Latitude")).to_have_value("")  # typed over the choice: its point no longer holds
    street.fill("")
    street.press_sequentially("14 rue de la g", delay=30)
    expect(listbox.get_by_role("option")).to_have_count(1)  # within the commune now chosen: Gacé
    street.press("ArrowDown")
    street.press("Enter")
    problems += page.evaluate("window.__cspViolations || []")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cabinet de la Gare")
    site = Site.objects.get(name="Cabinet de la Gare")
    assert (site.address, site.commune.insee_code, site.latitude, site.longitude) == (
        "14 Rue de la Gare",
        "61181",
        48.7933,
        0.2991,
    )
    assert any(call.get("citycode") == "61181" for call in ban_on.calls)
    assert outside == []
    assert problems == []


def test_a_requester_chooses_the_patients_address_within_the_commune(
    live_server: object, page: Page, demo: None, ban_on: FakeBan
) -> None:
    base = str(live_server)
    log_in(page, base, "pharmacie-gace")
    page.goto(f"{base}/c/orne-est/demandes/nouvelle/")
    page.get_by_label("Commune où se trouve le patient").fill("Gacé (61230) · 61181")
    street = page.locator("input[role=combobox][name=patient_street]")
    street.press_sequentially("rue de la gare", delay=30)
    options = page.locator("[role=listbox] [role=option]")
    expect(options).to_have_count(2)  # Gacé's only: the commune already chosen narrows the search
    street.press("ArrowUp")  # from the field, ↑ goes to the last suggestion
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    street.press("Enter")
    expect(street).to_have_value("14 Rue de la Gare")
    expect(page.get_by_label("Commune où se trouve le patient")).to_have_value("Gacé (61230) · 61181")
    assert [c.get("citycode") for c in ban_on.calls] == ["61181"] * len(ban_on.calls)


def test_with_geocoding_off_the_site_form_has_a_plain_street_field(live_server: object, page: Page, demo: None) -> None:
    base = str(live_server)
    log_in(page, base, "admin-orne")
    page.goto(f"{base}/c/orne-est/annuaire/sites/nouveau/")
    expect(page.get_by_role("textbox", name="Adresse")).to_be_visible()
    expect(page.locator("input[role=combobox]")).to_have_count(0)
    expect(page.locator("script[src*='address']")).to_have_count(0)
