"""In Chromium on the live server, under the real Content-Security-Policy: the cell administrator asks for last year's
ACI report, watches the page follow the worker through its htmx polling, downloads the PDF and reads its first page."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from django.utils import timezone
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from accounts.models import Role
from demo.data import DEMO_PASSWORD
from indicators.models import ReportJob
from referrals.tests.factories import make_request
from surveys.models import SurveyPolicy
from territory.models import Cell

from .browser import log_in, screenshot
from .factories import CellFactory, MembershipFactory, ProfessionalFactory, TerritoryFactory
from .test_browser_csp import RECORD_VIOLATIONS
from .worker import work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
ARGENTAN, GACE = "61006", "61181"
REQUESTS_LAST_YEAR = 7


def _cell_with_last_year(year: int) -> Cell:
    cell: Cell = CellFactory(name="Cellule SNP du Pays de Gacé", slug="pays-gace")
    TerritoryFactory(cell=cell, name="CPTS du Pays de Gacé", communes=[ARGENTAN, GACE])
    SurveyPolicy.objects.create(cell=cell, is_active=False)
    ProfessionalFactory(cell=cell, first_name="Odile", last_name="Fauvel", profession="pharmacist")
    for day in range(REQUESTS_LAST_YEAR):
        make_request(cell, now=datetime(year, 3, 2 + day, 10, tzinfo=PARIS), last_name=f"Patient{day}")
    make_request(cell, now=datetime(year + 1, 1, 5, 10, tzinfo=PARIS), last_name="Plustard")  # not that year
    admin = MembershipFactory(user__username="admin-gace", cell=cell, role=Role.CELL_ADMIN).user
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    return cell


def test_the_administrator_downloads_last_years_aci_report_and_reads_its_first_page(
    live_server: object, page: Page, communes: None
) -> None:
    base = str(live_server)
    year = timezone.localdate().year - 1  # the page's default: the last complete ACI year
    cell = _cell_with_last_year(year)
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "admin-gace")
    page.goto(f"{base}/c/{cell.slug}/indicateurs/rapports/")
    # New texts: their French arrives with the catalogue, so they are named through it.
    expect(page.get_by_label(gettext("Yearly ACI report (PDF)"))).to_be_checked()
    expect(page.get_by_label(gettext("Year (yearly reports)"))).to_have_value(str(year))
    page.get_by_role("button", name=gettext("Build the report")).click()

    progress = page.locator("#report-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    expect(page.get_by_role("progressbar", name=gettext("Progress of the report"))).to_be_visible()
    screenshot(page, "report-queued")
    page.evaluate("window.__sameDocument = true")
    work()  # the real `manage.py db_worker`
    assert ReportJob.objects.get().status == "ready"

    expect(progress).to_have_attribute("data-status", "ready")  # learnt by the polling, without a reload
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "report-ready")
    with page.expect_download() as downloading:
        progress.get_by_role("link", name=gettext("Download")).click()
    download = downloading.value
    assert download.suggested_filename == f"aiguillage-pays-gace-rapport-aci-{year}.pdf"
    document = pdfium.PdfDocument(download.path())
    text = " ".join(document[0].get_textpage().get_text_range().replace("\ufffe", "-").split())
    assert cell.name in text and str(year) in text, text
    assert re.search(rf"{re.escape(gettext('Requests received'))} {REQUESTS_LAST_YEAR}\b", text), text
    assert not errors
    assert page.evaluate("window.__cspViolations") == []
