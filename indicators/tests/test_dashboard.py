"""The dashboard as its users open it: the period and filters, the empty states, the coordinators' reduced view, and
the exports (CSV, XLSX, and for outside the cell with small counts hidden)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import World

from .test_figures import activity  # noqa: F401 (the hand-computed world, a fixture)

pytestmark = pytest.mark.django_db
OCT_NOV = {"first": "2026-10-01", "last": "2026-11-30"}


def url(world: World) -> str:
    return reverse("indicators:dashboard", kwargs={"cell": world.cell.slug})


def test_the_cell_administrator_reads_the_two_months(activity: World) -> None:  # noqa: F811
    client = activity.client_for(activity.owner)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(activity), OCT_NOV)
    assert page.status_code == 200
    assert len(queries) < 60  # a fixed number of aggregations, whatever the activity
    text = page.content.decode()
    assert "Places offertes, prises et non prises par mois" in text and "octobre 2026" in text
    assert text.count("data:image/svg+xml;base64,") >= 5  # charts, each with its table
    assert "Passages aux urgences évités" in text and "Camille MOREL" in text
    cards = page.context["headline"]
    assert {c["label"]: c["value"] for c in cards}["Places offertes"] == 6


def test_bad_or_empty_choices_say_so(activity: World) -> None:  # noqa: F811
    client = activity.client_for(activity.owner)
    wrong = client.get(url(activity), {"first": "2026-11-30", "last": "2026-10-01"})
    assert wrong.status_code == 200 and "Le premier jour ne peut pas être après le dernier." in wrong.content.decode()
    assert 'value="2026-11-30"' in wrong.content.decode()  # kept as typed
    empty = client.get(url(activity), {"first": "2025-01-01", "last": "2025-01-31"}).content.decode()
    assert "Rien sur cette période pour ces filtres" in empty
    future = client.get(url(activity), {"first": "2030-01-01", "last": "2030-01-31"}).content.decode()
    assert "Cette période n'a pas commencé" in future
    nothing = client.get(url(activity), {**OCT_NOV, "care_channel": "biology"}).content.decode()
    assert "Rien sur cette période pour ces filtres" in nothing


def test_coordinators_see_the_activity_not_each_professional(activity: World) -> None:  # noqa: F811
    page = activity.client_for(activity.colleague).get(url(activity), OCT_NOV)
    text = page.content.decode()
    assert page.status_code == 200 and "Camille MOREL" not in text and "Exporter" not in text
    assert "professional" not in page.context["form"].fields
    export = reverse("indicators:export", kwargs={"cell": activity.cell.slug, "table": "places", "fmt": "csv"})
    assert activity.client_for(activity.colleague).get(export, OCT_NOV).status_code == 403


def export(world: World, table: str, fmt: str, **extra: str) -> bytes:
    address = reverse("indicators:export", kwargs={"cell": world.cell.slug, "table": table, "fmt": fmt})
    response = world.client_for(world.owner).get(address, {**OCT_NOV, **extra})
    assert response.status_code == 200, response.content
    assert "attachment" in response["Content-Disposition"]
    return response.content


def test_each_table_exports_as_csv_and_xlsx(activity: World) -> None:  # noqa: F811
    content = export(activity, "places", "csv")
    assert content.startswith("\ufeff".encode())  # the accents open right in a spreadsheet
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))  # as French spreadsheets read
    assert rows[0][:4] == ["Mois", "Soins", "Offertes", "Prises"]
    assert rows[1] == ["octobre 2026", "Consultation de médecine générale", "4", "2", "2", "0", "50,0"]  # 50.0 %
    book = openpyxl.load_workbook(io.BytesIO(export(activity, "requests", "xlsx")))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["Mois", "Reçues", "Orientées", "Réorientées", "Clôturées"]
    assert [c.value for c in sheet[2]] == ["octobre 2026", 3, 2, 1, 0]


def test_outside_the_cell_small_counts_are_hidden(activity: World) -> None:  # noqa: F811
    book = openpyxl.load_workbook(io.BytesIO(export(activity, "requests", "xlsx", outside="1")))
    assert [c.value for c in book.active[2]] == ["octobre 2026", "< 5", "< 5", "< 5", 0]


def test_a_bad_export_is_refused_plainly(activity: World) -> None:  # noqa: F811
    client = activity.client_for(activity.owner)
    address = reverse("indicators:export", kwargs={"cell": activity.cell.slug, "table": "places", "fmt": "csv"})
    response = client.get(address, {"first": "nope", "last": "2026-11-30"})
    assert response.status_code == 400 and "first" in response.content.decode()
    unknown = reverse("indicators:export", kwargs={"cell": activity.cell.slug, "table": "nothing", "fmt": "csv"})
    assert client.get(unknown, OCT_NOV).status_code == 404


def test_the_monthly_report_renders_a_page_that_is_not_blank(activity: World) -> None:  # noqa: F811
    import pypdfium2

    address = reverse("indicators:report", kwargs={"cell": activity.cell.slug})
    response = activity.client_for(activity.owner).get(address, {"mois": "2026-11"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    page = document[0]
    text = page.get_textpage().get_text_range()
    assert "Rapport mensuel" in text and "novembre 2026" in text
    assert "< 5" in text  # small counts hidden: the report leaves the cell
    bitmap = page.render(scale=1)
    pixels = bytes(bitmap.buffer)[:: bitmap.n_channels]
    inked = sum(1 for value in pixels if value < 200)
    assert inked > 0.005 * bitmap.width * bitmap.height  # text, tables and lines, not a blank page
    bad = activity.client_for(activity.owner).get(address, {"mois": "novembre"})
    assert bad.status_code == 400 and "AAAA-MM" in bad.content.decode()
    assert activity.client_for(activity.colleague).get(address).status_code == 403


def test_what_leaves_the_cell_hides_names_rates_of_small_counts_and_formulas(activity: World) -> None:  # noqa: F811
    from common.exports import spreadsheet_safe

    address = reverse("indicators:export", kwargs={"cell": activity.cell.slug, "table": "effectors", "fmt": "xlsx"})
    client = activity.client_for(activity.owner)
    assert client.get(address, {**OCT_NOV, "outside": "1"}).status_code == 404  # names stay in the cell
    book = openpyxl.load_workbook(io.BytesIO(export(activity, "places", "xlsx", outside="1")))
    october = [c.value for c in book.active[2]]
    assert october[2:] == ["< 5", "< 5", "< 5", 0, "—"]  # and the fill rate built on them
    assert spreadsheet_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")' and spreadsheet_safe(3) == 3


def test_the_report_covers_twelve_months_and_bad_months_are_refused(activity: World) -> None:  # noqa: F811
    from datetime import date

    from django.utils import timezone

    from indicators import report

    context = report.context(activity.cell, date(2027, 3, 1), timezone.now())
    assert context["month_label"] == "mars 2027"
    address = reverse("indicators:report", kwargs={"cell": activity.cell.slug})
    assert activity.client_for(activity.owner).get(address, {"mois": "0001-01"}).status_code == 400
    dashboard = activity.client_for(activity.owner).get(url(activity), {"first": "0001-01-01", "last": "2026-01-01"})
    assert dashboard.status_code == 200 and "entre 2000 et 2099" in dashboard.content.decode()
