"""In a real browser: the queue's clocks tick by themselves (static/js/clock.js) while the table's refresh answers
"nothing changed" (204) and leaves the rows as they were drawn: ten minutes later, each clock says ten minutes less."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from .browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEFT = re.compile(r"^(?:(\d+) h (\d{2})|(\d+) min)$")


def minutes_in(text: str) -> int | None:
    found = LEFT.match(text.strip())
    if found is None:
        return None  # passed, or not a clock
    hours, minutes, alone = found.groups()
    return int(hours) * 60 + int(minutes) if hours else int(alone)


def as_clock(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def test_the_queues_clocks_tick_in_the_browser_while_the_refresh_draws_nothing(
    live_server: object, page: Page, demo: None
) -> None:
    # Always open here: while a cell is closed (at night), each row's "including N h closed" label counts from the
    # server's real time, and rounding it to the hour changes it at some second of the hour for each row; the queue
    # then rightly draws its rows again, with clocks read from the server's time. What is tested here is the clocks.
    from territory.models import Cell

    cell = Cell.objects.get(slug="orne-est")
    cell.opening_ranges.all().delete()
    cell.closures.all().delete()
    Cell.objects.filter(pk=cell.pk).update(open_on_public_holidays=True)
    page.clock.install(time=datetime.now())
    log_in(page, str(live_server), "coordination")
    page.get_by_role("link", name="File d’attente", exact=True).click()
    clocks = page.locator("#queue-rows .clock[data-deadline]")
    expect(clocks.first).to_be_visible()
    texts = clocks.all_inner_texts()
    index = next(i for i, text in enumerate(texts) if (minutes_in(text) or 0) > 30)
    clock = page.locator(
        f'#queue-rows .clock[data-deadline="{clocks.nth(index).get_attribute("data-deadline")}"]'
    ).first
    before = minutes_in(clock.inner_text())
    assert before is not None
    refreshed: list[int] = []
    page.on(
        "response",
        lambda response: (
            refreshed.append(response.status) if response.request.headers.get("x-aiguillage-refresh") == "1" else None
        ),
    )
    page.clock.run_for("10:00")  # ten minutes of the page's timers: 20 refreshes, the clocks' ticks
    expected = f"^({re.escape(as_clock(before - 10))}|{re.escape(as_clock(before - 11))})$"
    expect(clock).to_have_text(re.compile(expected))
    for _ in range(100):  # the refreshes' answers arrive in real time
        if len(refreshed) >= 20:
            break
        page.wait_for_timeout(100)
    assert refreshed and set(refreshed) == {204}, refreshed  # nothing changed: the rows were not drawn again
