"""Tables the cells take away to a spreadsheet, the same way in every app.

CSV is written for French spreadsheets (LibreOffice and Excel in a French locale): `;` between cells, a decimal comma
in numbers, and a UTF-8 byte order mark so that the accents open right. XLSX keeps typed cells (a count stays a
number). In both, text that a spreadsheet would run as a formula is neutralised: names and free texts come from
outside (a file from the Annuaire, a professional's answer, a patient's request).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

import tablib
from django.http import HttpResponse

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}

# What a spreadsheet may read as the start of a formula: "=", "+", "-", "@", and a tab or carriage return before
# one of them (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[object]


def spreadsheet_safe(value: object) -> object:
    """The value for a cell a spreadsheet will not run as a formula: text starting like one gets a leading
    apostrophe; numbers and dates stay as they are; None becomes an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value: object) -> object:
    value = spreadsheet_safe(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    return value


def csv_text(rows: Iterable[Row], *, headers: Sequence[str] | None = None) -> str:
    """The rows as CSV for a French spreadsheet: byte order mark, `;`, decimal comma, formulas neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    if headers is not None:
        writer.writerow([_csv_cell(str(heading)) for heading in headers])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return out.getvalue()


def xlsx_bytes(rows: Iterable[Row], *, headers: Sequence[str] | None = None, title: str = "") -> bytes:
    """The rows as an XLSX workbook of one sheet: typed cells, headings in bold, formulas neutralised."""
    dataset = tablib.Dataset(*[tuple(spreadsheet_safe(value) for value in row) for row in rows])
    if headers is not None:
        dataset.headers = [str(spreadsheet_safe(str(heading))) for heading in headers]
    dataset.title = title[:31]
    content: bytes = dataset.export("xlsx")
    return content


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
