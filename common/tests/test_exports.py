"""The spreadsheets every app hands out: CSV as French spreadsheets open it, XLSX with typed cells, and no cell that a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from common.exports import FORMULA_START, csv_text, spreadsheet_response, spreadsheet_safe, xlsx_bytes


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://x.test")', "+33 6 12 34 56 78", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return"],
)
def test_text_starting_like_a_formula_gets_a_leading_apostrophe(typed: str) -> None:
    assert typed[0] in FORMULA_START
    assert spreadsheet_safe(typed) == "'" + typed


def test_other_values_are_left_as_they_are_and_none_is_an_empty_cell() -> None:
    assert spreadsheet_safe("Dr Martin = médecin traitant") == "Dr Martin = médecin traitant"
    assert spreadsheet_safe(" =1") == " =1"  # only the first character is looked at
    assert (spreadsheet_safe(-3), spreadsheet_safe(-1.5), spreadsheet_safe(date(2026, 10, 1))) == (
        -3,
        -1.5,
        date(2026, 10, 1),
    )
    assert spreadsheet_safe(None) == ""


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_csv_is_written_for_french_spreadsheets() -> None:
    text = csv_text(
        [("Consultation; urgente", 12, 50.0, Decimal("3.25"), -1.5), ("Kinésithérapie", 0, None, "", "")],
        headers=["Soins", "Prises", "Taux (%)", "Délai (h)", "Écart"],
    )
    assert text.startswith("\ufeffSoins;Prises;")  # the byte order mark: the accents open right
    assert read_csv(text) == [
        ["Soins", "Prises", "Taux (%)", "Délai (h)", "Écart"],
        ["Consultation; urgente", "12", "50,0", "3,25", "-1,5"],  # `;` in a text is quoted; decimal comma
        ["Kinésithérapie", "0", "", "", ""],
    ]


def test_csv_cells_and_headings_that_look_like_formulas_are_neutralised() -> None:
    text = csv_text([("=1+1", "\t=2", "\r=3", "@A1")], headers=["-nom"])
    assert read_csv(text) == [["'-nom"], ["'=1+1", "'\t=2", "'\r=3", "'@A1"]]


def test_xlsx_keeps_typed_cells_and_neutralises_formulas() -> None:
    content = xlsx_bytes(
        [("octobre 2026", 3, 50.0, '=HYPERLINK("x")'), ("novembre 2026", 0, None, "\t@A1")],
        headers=["Mois", "Reçues", "Taux (%)", "Motif"],
        title="Demandes par mois, du 1er octobre au 30 novembre",
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert sheet.title == "Demandes par mois, du 1er octob"  # a sheet's name has 31 characters at most
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["Mois", "Reçues", "Taux (%)", "Motif"],
        ["octobre 2026", 3, 50.0, '\'=HYPERLINK("x")'],
        ["novembre 2026", 0, None, "'\t@A1"],
    ]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("csv", "text/csv; charset=utf-8"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")],
)
def test_a_download_names_its_file_with_the_format(fmt: str, content_type: str) -> None:
    response = spreadsheet_response(fmt, [(1, 2)], headers=["a", "b"], filename="aiguillage-orne-lieux-20261001")
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="aiguillage-orne-lieux-20261001.{fmt}"'


def test_an_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="ods"):
        spreadsheet_response("ods", [], headers=None, filename="x")
