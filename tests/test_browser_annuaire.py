"""In Chromium, under the real Content-Security-Policy: the cell administrator uploads an Annuaire Santé extract, the
worker imports it while the page polls its progress with htmx, and the page shows the summary and the report."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from directory.models import AnnuaireImport, ImportStatus, Professional
from directory.tests import extracts
from directory.tests.extracts import fake_rpps, line

from .browser import log_in, screenshot
from .test_browser_csp import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CELL = "/c/orne-est/"


def test_the_administrator_imports_the_annuaire_and_watches_it_finish(
    live_server: object, page: Page, demo: None, tmp_path: Path
) -> None:
    base = str(live_server)
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    path = extracts.write_txt(
        tmp_path,
        [
            line(fake_rpps(901), "NAVIGATEUR", "ALICE", commune="61006", site="MAISON DE SANTE DU NAVIGATEUR"),
            line(fake_rpps(902), "NAVIGATEUR", "BRUNO", commune="61181", profession="60", skill=""),
            line("42", "MAL", "NUMEROTE", commune="61006"),
        ],
    )
    log_in(page, base, "admin-orne")
    # New texts: their French arrives with the catalogue, so they are named through it.
    page.get_by_role("link", name=gettext("Import from the Annuaire Santé")).first.click()
    page.get_by_label(gettext("Extract file")).set_input_files(str(path))
    page.get_by_role("button", name=gettext("Send and import")).click()

    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    screenshot(page, "annuaire-queued")
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert AnnuaireImport.objects.get().status == ImportStatus.DONE

    # The page learns it by itself, through its htmx polling: no reload.
    page.evaluate("window.__sameDocument = true")
    expect(progress).to_have_attribute("data-status", "done", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(progress.locator("table")).to_contain_text("42")
    expect(progress.get_by_role("link", name=gettext("Download the report (CSV)"))).to_be_visible()
    screenshot(page, "annuaire-done")
    assert Professional.objects.filter(rpps__in=[fake_rpps(901), fake_rpps(902)]).count() == 2
    assert not errors
    assert page.evaluate("window.__cspViolations") == []
