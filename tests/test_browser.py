"""In a real browser: each demo account lands on its home; the cell administrator edits the directory by keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOMES = {
    "coordination": ("orne-est", "Coordination"),
    "superviseur": ("orne-est", "Supervision médicale"),
    "dr-martin": ("orne-est", "Mon espace effecteur"),
    "pharmacie-gace": ("orne-est", "Adresser un patient à la cellule"),
    "sas61": ("orne-est", "Adresser un patient à la cellule"),
    "medecin-gace": ("orne-est", "Adresser un patient à la cellule"),
    "admin-orne": ("orne-est", "Administration de la cellule"),
    "idel-cabourg": ("orne-est", "Mon espace effecteur"),
    "coordination-vignoble": ("sud-loire-vignoble", "Coordination"),
}


def test_each_demo_account_lands_on_its_role_home(live_server: object, page: Page, demo: None) -> None:
    base = str(live_server)
    for username, (slug, heading) in HOMES.items():
        log_in(page, base, username)
        expect(page).to_have_url(f"{base}/c/{slug}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        screenshot(page, f"home-{username}")
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page).to_have_url(re.compile(r"/connexion/"))


def test_the_cell_administrator_adds_a_site_with_the_commune_autocomplete(
    live_server: object, page: Page, demo: None
) -> None:
    base = str(live_server)
    log_in(page, base, "admin-orne")
    page.goto(f"{base}/c/orne-est/annuaire/sites/nouveau/")
    page.get_by_role("textbox", name="Nom", exact=True).fill("Cabinet des Essais")
    page.get_by_label("Type").select_option("practice")
    page.get_by_label("Téléphone").fill("02 33 12 34 5")
    commune = page.get_by_label("Commune")
    commune.fill("gac")
    expect(page.locator("#id_commune-suggestions option").first).to_have_attribute("value", re.compile("Gacé"))
    commune.fill(page.locator("#id_commune-suggestions option").first.get_attribute("value") or "")
    page.get_by_role("button", name="Enregistrer").click()
    # The phone is wrong: the form comes back with the error on the field and everything typed kept.
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_role("textbox", name="Nom", exact=True)).to_have_value("Cabinet des Essais")
    expect(page.get_by_label("Commune")).to_have_value(re.compile("Gacé"))
    screenshot(page, "site-form-error")
    page.get_by_label("Téléphone").fill("02 33 12 34 56")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cabinet des Essais")
    expect(page.get_by_text("02 33 12 34 56")).to_be_visible()


def test_the_directory_list_filters_as_you_type_without_reloading(live_server: object, page: Page, demo: None) -> None:
    base = str(live_server)
    log_in(page, base, "coordination")
    page.goto(f"{base}/c/orne-est/annuaire/professionnels/")
    page.evaluate("window.__sameDocument = true")
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Rechercher")).to_be_focused()
    page.keyboard.type("martin")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert page.evaluate("window.__sameDocument") is True  # htmx swapped the results, no full reload
    expect(page).to_have_url(re.compile(r"q=martin"))
    screenshot(page, "professionals-search")
