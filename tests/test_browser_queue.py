"""In a real browser: a request that arrives while the queue is open is announced when the table refreshes itself —
its row highlighted, the count in the tab's title until the coordinator is back, a polite live announcement."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from .browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def refresh_the_queue(page: Page) -> None:
    """What the table's own timer does every 30 s, now: the same request, from the table."""
    with page.expect_response(re.compile(r"/demandes/")):
        page.evaluate(
            "htmx.ajax('GET', window.location.pathname, {source: '#queue-rows', target: '#queue-rows', "
            "swap: 'outerHTML'})"
        )


def test_a_request_arriving_during_a_refresh_is_highlighted_counted_in_the_title_and_announced(
    live_server: object, page: Page, demo: None
) -> None:
    from referrals.tests.factories import make_request
    from territory.models import Cell

    base = str(live_server)
    log_in(page, base, "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    expect(page.locator("#queue-rows tr[data-request]").first).to_be_visible()
    title = page.title()
    refresh_the_queue(page)  # nothing new: nothing said
    expect(page.locator("#queue-rows tr.row-new")).to_have_count(0)
    assert page.title() == title

    arrived = make_request(Cell.objects.get(slug="orne-est"), last_name="Vasseur", first_name="Ninon")
    refresh_the_queue(page)
    row = page.locator(f'#queue-rows tr[data-request="{arrived.pk}"]')
    expect(row).to_have_class(re.compile(r"\brow-new\b"))
    expect(page.locator("#queue-rows tr.row-new")).to_have_count(1)
    expect(page).to_have_title(f"(1) {title}")
    with translation.override("fr"):  # French once the catalogue has it, English until then
        expect(page.locator("#live-status")).to_have_text(gettext("1 new request"))
    screenshot(page, "queue-new-request")

    page.keyboard.press("Shift")  # the coordinator is at the page again: the title loses its count
    expect(page).to_have_title(title)
