"""Tables the cells take away to a spreadsheet, the same way in every app.

CSV is written for French spreadsheets (LibreOffice and Excel in a French locale): `;` between cells, a decimal comma
in numbers, dates as dd/mm/yyyy, CRLF line ends as Excel writes them, a text quoted only when it holds a `;`, a quote or
a line end, and a UTF-8 byte order mark so that the accents open right. XLSX keeps typed cells: a count is a number, a
rate a number shown with its decimals, a date a date (a month shown as "octobre 2026"), a text stays text (a hidden
"< 5" too); the headings are bold and stay in view, the columns are as wide as their contents. In both, text that a
spreadsheet would run as a formula is neutralised: names and free texts come from outside (a file from the Annuaire, a
professional's answer, a patient's request).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from django.http import HttpResponse
from django.utils import timezone

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}

# What a spreadsheet may read as the start of a formula: "=", "+", "-", "@", and a tab or carriage return before
# one of them (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "dd/mm/yyyy"  # as a French reader writes a day
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MONTH_FORMAT = "mmmm yyyy"  # "octobre 2026" in a French spreadsheet
DECIMAL_FORMAT = "0.0#"  # a rate keeps its decimal even when round: 50.0 shows as "50,0" in French
SHEET_TITLE_LENGTH = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 6, 60  # column widths, in characters
ILLEGAL_CHARACTERS_RE = openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE  # control characters a workbook cannot hold

Row = Sequence[object]


class Month(str):
    """A month as a table shows it ("octobre 2026"), knowing its first day: the page and the charts read the label, a
    spreadsheet gets a date shown as a month. A `str` so that a table's month column compares and prints as text."""

    first: date

    def __new__(cls, first: date, label: str) -> Month:
        month = super().__new__(cls, label)
        month.first = first.replace(day=1)
        return month

    def __reduce__(self) -> tuple[type[Month], tuple[date, str]]:  # kept in a cache, it comes back a Month
        return (Month, (self.first, str(self)))


@dataclass(frozen=True)
class Sheet:
    """One worksheet of a workbook: its title (made valid for Excel when written), headings and rows of plain values."""

    title: str
    headings: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)


def spreadsheet_safe(value: object) -> object:
    """The value for a cell a spreadsheet will not run as a formula: text starting like one gets a leading
    apostrophe; numbers and dates stay as they are; None becomes an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Month) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _local(moment: datetime) -> datetime:
    """A moment as the cell reads it on the wall clock, without a time zone (spreadsheets have none)."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.replace(tzinfo=None)


def _decimal_text(value: float | Decimal) -> str:
    text = str(value)
    if "e" in text.lower():  # 1e-05, 1E+2: a spreadsheet reads plain digits only
        text = format(Decimal(text), "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(".", ",")


def _csv_cell(value: object) -> object:
    value = spreadsheet_safe(value)
    if isinstance(value, bool | int | Month):
        return value
    if isinstance(value, float | Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        return f"{_local(value):%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return value


def csv_text(rows: Iterable[Row], *, headers: Sequence[str] | None = None) -> str:
    """The rows as CSV for a French spreadsheet: byte order mark, `;`, decimal comma, dd/mm/yyyy dates, CRLF line
    ends, formulas neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    if headers is not None:
        writer.writerow([_csv_cell(str(heading)) for heading in headers])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return out.getvalue()


def sheet_titles(titles: Sequence[str]) -> list[str]:
    """Titles Excel accepts, in order: no []:*?/\\, no apostrophe at either end, 31 characters at most, never empty,
    and no two alike (Excel compares them without case): a repeated title gets " (2)", " (3)"…"""
    taken: set[str] = set()
    valid = []
    for number, title in enumerate(titles, start=1):
        clean = SHEET_TITLE_FORBIDDEN.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", str(title)))
        clean = " ".join(clean.split()).strip("'").strip()[:SHEET_TITLE_LENGTH].rstrip("' ") or str(number)
        candidate, copy = clean, 1
        while candidate.casefold() in taken:
            copy += 1
            suffix = f" ({copy})"
            candidate = clean[: SHEET_TITLE_LENGTH - len(suffix)].rstrip("' ") + suffix
        taken.add(candidate.casefold())
        valid.append(candidate)
    return valid


def _xlsx_cell(value: object) -> tuple[object, str | None, str]:
    """What a cell holds, its number format (None: the default) and the text it shows, to size the column."""
    value = spreadsheet_safe(value)
    if value == "":
        return None, None, ""
    if isinstance(value, bool):
        return value, None, "FALSE"
    if isinstance(value, int):
        return value, None, str(value)
    if isinstance(value, float | Decimal):
        return float(value), DECIMAL_FORMAT, f"{float(value):.2f}"
    if isinstance(value, Month):
        return value.first, MONTH_FORMAT, str(value)
    if isinstance(value, datetime):
        return _local(value), DATETIME_FORMAT, "00/00/0000 00:00"
    if isinstance(value, date):
        return value, DATE_FORMAT, "00/00/0000"
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # control characters a workbook cannot hold
    return text, None, max(text.splitlines() or [""], key=len)


def xlsx_workbook(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of one worksheet per sheet, typed cells (numbers, rates with their decimals, dates, months, text),
    the headings bold and frozen, the columns as wide as what they show, formulas neutralised."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    bold = openpyxl.styles.Font(bold=True)
    for sheet, title in zip(sheets, sheet_titles([s.title for s in sheets]), strict=True):
        worksheet = book.create_sheet(title)
        widths: dict[int, int] = {}
        lines = ([sheet.headings] if sheet.headings else []) + list(sheet.rows)
        for row_number, row in enumerate(lines, start=1):
            heading = bool(sheet.headings) and row_number == 1
            for column, raw in enumerate(row, start=1):
                value, number_format, shown = _xlsx_cell(str(raw) if heading else raw)
                cell = worksheet.cell(row=row_number, column=column, value=value)
                if number_format:
                    cell.number_format = number_format
                if heading:
                    cell.font = bold
                widths[column] = max(widths.get(column, 0), len(shown) + (2 if heading else 1))
        for column, width in widths.items():
            worksheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = min(
                max(width, MIN_WIDTH), MAX_WIDTH
            )
        if sheet.headings:
            worksheet.freeze_panes = "A2"
    if not sheets:
        book.create_sheet("1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_bytes(rows: Iterable[Row], *, headers: Sequence[str] | None = None, title: str = "") -> bytes:
    """The rows as an XLSX workbook of one sheet, typed as `xlsx_workbook` types them."""
    return xlsx_workbook([Sheet(title, [str(h) for h in headers or []], [list(row) for row in rows])])


def spreadsheet_response(
    fmt: str, rows: Iterable[Row], *, headers: Sequence[str] | None, filename: str, title: str = ""
) -> HttpResponse:
    """A download of the rows as `fmt` ("csv" or "xlsx"); `filename` is given without its extension."""
    if fmt == "csv":
        content: str | bytes = csv_text(rows, headers=headers)
    elif fmt == "xlsx":
        content = xlsx_bytes(rows, headers=headers, title=title)
    else:
        raise ValueError(f"unknown spreadsheet format {fmt!r}")
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
