"""The spreadsheets every app hands out: CSV as French spreadsheets open it, XLSX with typed cells, and no cell that a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from common.exports import (
    FORMULA_START,
    Month,
    Sheet,
    csv_text,
    sheet_titles,
    spreadsheet_response,
    spreadsheet_safe,
    xlsx_bytes,
    xlsx_workbook,
)


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


def test_csv_lines_end_as_excel_writes_them_and_dates_are_french() -> None:
    october = Month(date(2026, 10, 17), "octobre 2026")
    text = csv_text(
        [(october, date(2026, 10, 5), datetime(2026, 10, 5, 8, 30, tzinfo=UTC), 12.5, 1e-05, 'Dit "oui"\nensuite')],
        headers=["Mois", "Jour", "Reçue le", "Taux (%)", "Petit", "Note"],
    )
    assert text.count("\r\n") == 2 and "\n" not in text.replace("\r\n", "").replace('oui""\nensuite', "")
    assert read_csv(text)[1] == [
        "octobre 2026",  # a month stays as the table shows it
        "05/10/2026",
        "05/10/2026 10:30",  # the cell's wall clock (Paris, summer time), not UTC
        "12,5",
        "0,00001",  # never 1e-05, which a spreadsheet reads as text
        'Dit "oui"\nensuite',
    ]
    assert '"Dit ""oui""\nensuite"' in text  # quoted, the quote doubled, the line end kept inside the cell


def test_sheet_titles_are_made_valid_for_excel_and_unique() -> None:
    titles = sheet_titles(["Demandes [SAS] : 1/2 *?\\", "x" * 40, "X" * 40, "", "'Lieux'", "Lieux"])
    assert titles[0] == "Demandes SAS 1 2"
    assert titles[1] == "x" * 31 and titles[2] == "X" * 27 + " (2)"  # Excel compares titles without case
    assert titles[3] == "4"  # never empty
    assert titles[4] == "Lieux" and titles[5] == "Lieux (2)"  # no apostrophe at either end
    assert all(len(t) <= 31 for t in titles)


def test_a_workbook_has_one_typed_sheet_per_table() -> None:
    content = xlsx_workbook(
        [
            Sheet(
                "Places par mois",
                ["Mois", "Offertes", "Taux de remplissage (%)", "Premier jour", "Soins"],
                [
                    [Month(date(2026, 10, 1), "octobre 2026"), 12, 12.5, date(2026, 10, 2), "Kinésithérapie"],
                    [Month(date(2026, 11, 1), "novembre 2026"), "< 5", None, datetime(2026, 11, 3, 9, 0), "=1+1"],
                ],
            ),
            Sheet("Places par mois", ["Quoi"], [["SAS"]]),
        ]
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Places par mois", "Places par mois (2)"]
    sheet = book["Places par mois"]
    month, offered, rate, day, care = sheet[2]
    assert month.value == datetime(2026, 10, 1) and month.number_format == "mmmm yyyy"  # a date, shown as a month
    assert offered.value == 12 and offered.data_type == "n"
    assert rate.value == 12.5 and rate.data_type == "n" and rate.number_format == "0.0#"  # a rate keeps its decimals
    assert day.value == datetime(2026, 10, 2) and day.number_format == "dd/mm/yyyy"
    assert care.value == "Kinésithérapie" and care.data_type == "s"
    hidden, empty, moment, formula = (c for c in sheet[3][1:])
    assert hidden.value == "< 5" and hidden.data_type == "s"  # a hidden count stays text
    assert empty.value is None and moment.number_format == "dd/mm/yyyy hh:mm"
    assert formula.value == "'=1+1" and formula.data_type == "s"
    assert all(cell.font.bold for cell in sheet[1]) and not sheet["B2"].font.bold
    assert sheet.freeze_panes == "A2"  # the headings stay in view
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDE"}
    assert widths["C"] >= len("Taux de remplissage (%)") and widths["B"] < widths["C"]  # as wide as the contents
    assert all(6 <= width <= 60 for width in widths.values())


def test_a_workbook_with_nothing_to_show_still_opens() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_workbook([Sheet("Vide", ["Mois"], [])])))
    assert book.sheetnames == ["Vide"] and [[c.value for c in r] for r in book["Vide"].iter_rows()] == [["Mois"]]
    assert len(openpyxl.load_workbook(io.BytesIO(xlsx_workbook([]))).sheetnames) == 1
