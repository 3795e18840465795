"""In a real browser: a coordinator of two cells (the demo's `coordination-regionale`) lands on what waits for them in
each, opens the requests past their deadline in one cell (as many as counted), then that cell's queue, and switches
to the other cell with the keyboard alone, landing in its queue."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from .browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_of_two_cells_sees_what_waits_and_switches_cell_by_keyboard(
    live_server: object, page: Page, demo: None
) -> None:
    base = str(live_server)
    log_in(page, base, "coordination-regionale")
    expect(page).to_have_url(f"{base}/ce-qui-vous-attend/")
    with translation.override("fr"):  # French once the catalogue has it, English until then
        expect(page.get_by_role("heading", level=1)).to_have_text(gettext("What awaits you"))
    expect(page.locator("table.waiting tbody tr")).to_have_count(2)
    orne = page.locator('tr[data-cell="orne-est"]')
    expect(orne.get_by_role("rowheader")).to_contain_text("CSNP Orne-Est")
    expect(page.locator('tr[data-cell="sud-loire-vignoble"]')).to_be_visible()
    screenshot(page, "waiting-two-cells")

    # A figure opens its list filtered to what it counts: as many rows, the filter shown as chosen.
    overdue = orne.locator('a[data-kind="queue.overdue"]')
    found = re.match(r"\d+", overdue.inner_text().strip())
    assert found is not None
    counted = int(found.group(0))
    assert counted >= 1  # the demo's request past its deadline
    overdue.click()
    expect(page).to_have_url(f"{base}/c/orne-est/demandes/?deadline=overdue")
    expect(page.get_by_label("Échéance")).to_have_value("overdue")
    expect(page.locator("#queue-rows tr")).to_have_count(counted)
    expect(page.locator("#queue-rows .clock").first).to_contain_text("dépassé")
    page.go_back()

    orne.locator('a[data-kind="queue.in_queue"]').click()  # every request in the queue
    expect(page).to_have_url(f"{base}/c/orne-est/demandes/")

    switcher = page.locator(".cell-switcher summary")
    expect(switcher).to_contain_text("CSNP Orne-Est")
    switcher.focus()
    page.keyboard.press("Enter")
    other = page.locator('.cell-switcher a[data-cell="sud-loire-vignoble"]')
    expect(other).to_be_visible()
    screenshot(page, "cell-switcher-open")
    page.keyboard.press("Escape")  # closes it, the focus back on its button
    expect(other).to_be_hidden()
    expect(switcher).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(2):  # every cell's page, then the cells by name: CPTS Sud Loire Vignoble, CSNP Orne-Est
        page.keyboard.press("Tab")
    expect(other).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{base}/c/sud-loire-vignoble/demandes/")  # the same page, in the other cell
    expect(page.locator(".cell-switcher summary")).to_contain_text("CPTS Sud Loire Vignoble")
    expect(page.get_by_role("heading", level=1)).to_have_text("File d’attente")
    screenshot(page, "cell-switched-queue")
