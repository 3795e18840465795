"""The dashboard's CSV opened as a French spreadsheet opens it: LibreOffice Calc (Debian's, headless) converts a real
export to XLSX, which is read back: the columns are split and the counts and rates are numbers.

Why the filter options are given: LibreOffice does not sniff a CSV's separator when it converts headless; a French
desktop gets `;` from its locale (Excel takes Windows' list separator, ";" in French; LibreOffice's import dialog
offers it for a French locale). So the options below are those of a French user, not of our file: separator `;` (59),
text in double quotes (34), UTF-8 (76, which the byte order mark announces anyway), from line 1, no column typed in
advance (empty: Calc recognises the numbers itself), language French (1036: decimal comma, dd/mm/yyyy), quoted fields
not forced to text, special numbers (dates) detected as Excel does. Without them Calc splits on commas and reads
"12,5" as two cells: the bug of issue 22.

Runs once, on PostgreSQL (make test-postgres), as the browser journeys do: it tests a file, which both databases write
alike. A missing LibreOffice fails the test with the command that installs it, it never skips."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from agenda.models import Slot
from agenda.tests.factories import make_slot
from conftest import World
from tests.factories import ProfessionalFactory

from .test_figures import activity  # noqa: F401 (the hand-computed world, a fixture)

SOFFICE = Path(os.environ.get("AIGUILLAGE_SOFFICE", shutil.which("soffice") or "/usr/bin/soffice"))
FRENCH_CSV = "CSV:59,34,76,1,,1036,false,true"
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="runs once, on PostgreSQL (make test-postgres)"),
]


def open_in_libreoffice(csv: bytes, folder: Path) -> list[list[object]]:
    """The CSV converted by LibreOffice Calc as a French user opens it, read back cell by cell."""
    if not SOFFICE.exists():
        pytest.fail(
            f"LibreOffice not found at {SOFFICE}: run `make system-deps` (apt-get install libreoffice-calc-nogui)."
        )
    source = folder / "export.csv"
    source.write_bytes(csv)
    # A profile and a HOME of its own: two runs at once never share LibreOffice's lock or settings.
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            f"--infilter={FRENCH_CSV}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(folder),
            str(source),
        ],
        env={**os.environ, "HOME": str(folder)},
        check=True,
        capture_output=True,
        timeout=60,
    )
    sheet = openpyxl.load_workbook(folder / "export.xlsx").active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_csv_export_opens_in_libreoffice_with_columns_split_and_numbers_as_numbers(
    activity: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    # September: one slot of 8 places, one taken: a fill rate of 12.5 %, written "12,5".
    september = datetime(2026, 9, 14, 10, tzinfo=ZoneInfo("Europe/Paris"))
    slot = make_slot(
        activity.cell, professional=ProfessionalFactory(cell=activity.cell), starts_at=september, capacity=8
    )
    Slot.objects.filter(pk=slot.pk).update(booked=1)
    address = reverse("indicators:export", kwargs={"cell": activity.cell.slug, "table": "places", "fmt": "csv"})
    response = activity.client_for(activity.owner).get(address, {"first": "2026-09-01", "last": "2026-11-30"})
    assert response.status_code == 200
    assert b"12,5" in response.content  # the decimal comma, as written

    rows = open_in_libreoffice(response.content, tmp_path)

    headings = rows[0]
    assert headings[:4] == ["Mois", "Soins", "Offertes", "Prises"] and len(headings) == 7  # split on `;`
    first = rows[1]
    assert first[0] == datetime(2026, 9, 1)  # "septembre 2026", read by Calc as the month it is
    assert first[1] == "Consultation de médecine générale"  # accents intact: the byte order mark says UTF-8
    assert first[2:6] == [8, 1, 7, 0] and all(isinstance(v, int) for v in first[2:6])  # counts are numbers
    assert first[6] == 12.5 and isinstance(first[6], float)  # "12,5" read as twelve and a half
    november = [row for row in rows[1:] if row[0] == datetime(2026, 11, 1)]
    assert [row[2] for row in november] == [1, 1]  # the GP place and the physiotherapy one, numbers too
