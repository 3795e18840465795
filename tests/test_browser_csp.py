"""In Chromium, under the real Content-Security-Policy: each role opens its pages and none is refused a script, a style
or a font; the pages still work (the calendar draws its grid with FullCalendar's styles, htmx filters the queue)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .browser import log_in, log_out, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every document before the page's own scripts (Playwright's init scripts are exempt from the policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} refused ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || document.location.pathname}:${event.lineNumber})`);
});
document.addEventListener("htmx:evalDisallowedError", () => window.__cspViolations.push("htmx wanted eval"));
"""

# A demo account of each role: coordinator, supervising doctor, effector, requester, cell administrator.
ACCOUNTS = ("coordination", "superviseur", "dr-martin", "medecin-gace", "admin-orne")
CELL = "/c/orne-est/"


@dataclass
class Watch:
    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = [*self.console, *self.errors, *(self.page.evaluate("window.__cspViolations || []"))]
        self.console.clear()
        self.errors.clear()
        return found

    def check(self, what: str) -> None:
        self.page.wait_for_load_state("load")
        problems = self.problems()
        assert not problems, f"{what} ({self.page.url}): " + "; ".join(problems)


@pytest.fixture
def watch(page: Page) -> Iterator[Watch]:
    watched = Watch(page)
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            watched.console.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"script error: {error}"))
    yield watched


def menu_paths(page: Page) -> list[str]:
    links = page.locator(".cell-nav a").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    return [str(href) for href in links]


def open_each(watch: Watch, base: str, paths: list[str], who: str) -> None:
    for path in paths:
        watch.page.goto(f"{base}{path}")
        watch.check(f"{who} on {path}")


def test_each_role_opens_its_pages_without_a_policy_violation(live_server: object, watch: Watch, demo: None) -> None:
    base, page = str(live_server), watch.page
    page.goto(f"{base}/connexion/")
    watch.check("the login page")
    for username in ACCOUNTS:
        log_in(page, base, username)
        expect(page).to_have_url(f"{base}{CELL}")
        watch.check(f"{username}'s home")
        paths = menu_paths(page)  # every page of the role's menu
        assert len(paths) >= 2, f"{username} has no menu"
        open_each(watch, base, paths, username)
        page.goto(f"{base}{CELL}")
        log_out(page)
        watch.check(f"{username} logging out")


def test_the_pages_still_work_under_the_policy(live_server: object, watch: Watch, demo: None) -> None:
    base, page = str(live_server), watch.page
    log_in(page, base, "coordination")

    # The queue filters in place with htmx (no eval, no injected style).
    page.goto(f"{base}{CELL}demandes/")
    rows = page.locator("#queue-rows tr")
    expect(rows.first).to_be_visible()
    everyone = rows.count()
    page.evaluate("window.__sameDocument = true")
    first_name = page.locator("#queue-rows tr a").first.inner_text().split()[-1]
    page.get_by_label("Rechercher (nom, référence, téléphone)").fill(first_name)
    expect(page).to_have_url(re.compile(r"q="))
    expect(rows).not_to_have_count(everyone)
    assert page.evaluate("window.__sameDocument") is True
    watch.check("the queue filtered by htmx")
    screenshot(page, "csp-queue")

    # A request's page.
    page.locator("#queue-rows tr a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_name)
    watch.check("a request's page")
    screenshot(page, "csp-request")

    # The calendar: FullCalendar's run-time stylesheet is allowed by the page's nonce, so its grid is laid out.
    page.goto(f"{base}{CELL}agenda/vue/")
    expect(page.locator(".fc-timegrid-event").first).to_be_visible()
    assert page.locator("style[data-fullcalendar]").evaluate("style => style.sheet.cssRules.length") > 100
    assert page.locator(".fc-toolbar").first.evaluate("el => getComputedStyle(el).display") == "flex"
    page.get_by_label("Soins", exact=True).select_option("physiotherapy")
    page.locator("#calendar-filters select").first.press("Enter")  # the filters apply as they change, Enter stays
    expect(page.locator(".fc-timegrid-event").first).to_be_visible()
    watch.check("the calendar")
    screenshot(page, "csp-calendar")
    log_out(page)

    # The dashboard's charts are SVGs in data: images.
    log_in(page, base, "admin-orne")
    page.goto(f"{base}{CELL}indicateurs/")
    charts = page.locator("img[src^='data:']")
    expect(charts.first).to_be_visible()
    assert charts.first.evaluate("img => img.complete && img.naturalWidth > 0")
    watch.check("the dashboard")
    screenshot(page, "csp-dashboard")
