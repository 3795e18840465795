"""The dashboard's exports as a cell administrator downloads them: CSV written for French spreadsheets, XLSX with typed
cells, each table with its total row, and for outside the cell the secondary suppression."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from conftest import World

from .test_figures import activity  # noqa: F401 (the hand-computed world, a fixture)

pytestmark = pytest.mark.django_db
OCT_NOV = {"first": "2026-10-01", "last": "2026-11-30"}


def download(world: World, table: str, fmt: str, **extra: str) -> bytes:
    address = reverse("indicators:export", kwargs={"cell": world.cell.slug, "table": table, "fmt": fmt})
    response = world.client_for(world.owner).get(address, {**OCT_NOV, **extra})
    assert response.status_code == 200, response.content
    return response.content


def test_the_csv_is_written_for_french_spreadsheets_with_its_total_row(activity: World) -> None:  # noqa: F811
    content = download(activity, "places", "csv")
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    text = content.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n") == 5  # CRLF line ends, as Excel writes them: headings, 3 rows, total
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Mois", "Soins", "Offertes", "Prises", "Non prises", "À venir", "Taux de remplissage (%)"]
    assert rows[1] == ["octobre 2026", "Consultation de médecine générale", "4", "2", "2", "0", "50,0"]
    assert rows[-1] == ["Total", "", "6", "3", "3", "0", "50,0"]  # the rate of the totals, not a sum of rates


def test_the_xlsx_of_one_table_has_typed_cells(activity: World) -> None:  # noqa: F811
    book = openpyxl.load_workbook(io.BytesIO(download(activity, "places", "xlsx")))
    sheet = book.active
    assert sheet.freeze_panes == "A2" and all(cell.font.bold for cell in sheet[1])
    october = sheet[2]
    assert [c.value for c in october[2:6]] == [4, 2, 2, 0] and all(c.data_type == "n" for c in october[2:7])
    assert october[6].value == 50.0 and october[6].number_format == "0.0#"  # a rate shown with its decimal
    assert [c.value for c in sheet[sheet.max_row]][:3] == ["Total", None, 6]


def test_outside_the_cell_the_csv_hides_small_counts_and_what_would_give_them_away(activity: World) -> None:  # noqa: F811
    content = download(activity, "elsewhere", "csv", outside="1")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    # two small counts of the six requests: each hidden, and the total of 6 leaves each of them 2, 3 or 4
    assert [row[1] for row in rows[1:]] == ["< 5", "< 5", "6"]
    assert rows[-1][0] == "Total"


def test_a_request_dimension_has_a_total_row_and_tags_have_none(activity: World) -> None:  # noqa: F811
    origin = list(csv.reader(io.StringIO(download(activity, "origin", "csv").decode("utf-8-sig")), delimiter=";"))
    assert origin[-1] == ["Total", "6"]  # the six requests of the period, each of one origin
    tags = list(csv.reader(io.StringIO(download(activity, "tags", "csv").decode("utf-8-sig")), delimiter=";"))
    assert all(row[0] != "Total" for row in tags)  # a request may have several tags: their counts add up to nothing
