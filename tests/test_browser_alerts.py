"""In a real browser: no slot fits, so the coordinator alerts the effectors; an effector opens the link from their SMS,
gives a time and accepts; the request is oriented and the alert panel shows who accepted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alerts.models import Alert

from .browser import screenshot
from .test_browser_agenda import open_from_the_queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_alerts_the_effectors_and_the_first_to_accept_books(
    live_server: object, page: Page, demo: None
) -> None:
    base = str(live_server)
    open_from_the_queue(page, base, "Chloé LEBRUN")
    page.locator("summary", has_text="Alerter les effecteurs").click()
    page.get_by_role("button", name="Alerter les effecteurs").click()
    expect(page.get_by_role("status").first).to_contain_text("effecteur(s) alerté(s)")
    panel = page.locator("details", has=page.locator("summary", has_text="Alerter les effecteurs"))
    expect(panel).to_contain_text("En attente de réponse")
    screenshot(page, "alerts-panel")

    alert = Alert.objects.filter(status="sent").select_related("professional").first()
    assert alert is not None
    when = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=0)  # tomorrow morning
    page.goto(f"{base}/r/{alert.token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Un patient à voir")
    expect(page.locator("main")).not_to_contain_text("LEBRUN")  # no name before accepting
    page.get_by_label("Jour").fill(f"{when:%Y-%m-%d}")  # no time yet: the form says so and keeps the day
    page.get_by_role("button", name="J'accepte").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_label("Jour")).to_have_value(f"{when:%Y-%m-%d}")
    page.get_by_label("Heure").fill(f"{when:%H:%M}")
    page.get_by_role("button", name="J'accepte").click()
    expect(page.get_by_role("status")).to_contain_text("Merci")
    screenshot(page, "alert-accepted")

    page.goto(f"{base}/c/{alert.cascade.cell.slug}/demandes/{alert.cascade.request_id}/")
    expect(page.locator(".status-line")).to_contain_text("Orientée")
    expect(page.locator("ol.timeline")).to_contain_text("a accepté l'alerte")
