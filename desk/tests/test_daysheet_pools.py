"""A shared professional's day sheet in their home cell (decision 0021): another cell's bookings of their times are
printed as taken by that cell, without the patient; the cell's own patients as before; the access log names only
the cell's own."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from agenda import services
from agenda.tests.factories import make_slot, share
from conftest import World
from desk.daysheets import SheetKind, day_sheet, sheet_subject
from directory.models import Professional
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db

DAY = date(2027, 1, 13)


def paris(hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(DAY, time(hour)))


def shared(world: World) -> Professional:
    doctor: Professional = ProfessionalFactory(cell=world.cell, last_name="Partagé", teleconsultant_tier="local")
    share(doctor, world.other_cell, starts_on=DAY - timedelta(days=30))
    ProfessionalFactory(cell=world.cell)
    ProfessionalFactory(cell=world.other_cell)
    return doctor


def book(world: World, slot: Any, cell: Any, user: Any, name: str) -> Any:
    before = slot.starts_at - timedelta(days=1)
    request = make_request(cell, now=before, last_name=name)
    return services.slot_book(slot=slot, request=request, user=user, now=before)


def test_another_cells_bookings_are_printed_as_taken_by_that_cell_without_the_patient(world: World) -> None:
    doctor = shared(world)
    book(world, make_slot(world.cell, professional=doctor, starts_at=paris(9)), world.cell, world.colleague, "Ornais")
    theirs = make_slot(world.cell, professional=doctor, starts_at=paris(10), modality="teleconsultation")
    book(world, theirs, world.other_cell, world.outsider, "Vigneron")
    # A teleconsultation at the other cell's spot, paired with the doctor's time.
    make_slot(world.cell, professional=doctor, starts_at=paris(14), modality="assisted_teleconsultation")
    cabin = SiteFactory(cell=world.other_cell, kind="telemedicine_spot")
    spot = make_slot(world.other_cell, site=cabin, starts_at=paris(14), modality="assisted_teleconsultation")
    book(world, spot, world.other_cell, world.outsider, "Cabine")

    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.PROFESSIONAL, doctor.pk), DAY)

    assert [line.booked_by_other_cell for line in sheet.lines] == ["", world.other_cell.name, world.other_cell.name]
    assert sheet.request_ids == [sheet.lines[0].booking.request_id]
    # The other cell's own sheets are untouched: its spot's sheet has its patient, named.
    theirs_sheet = day_sheet(world.other_cell, sheet_subject(world.other_cell, SheetKind.SITE, cabin.pk), DAY)
    assert [(line.booked_by_other_cell, line.request.patient_last_name) for line in theirs_sheet.lines] == [
        ("", "Cabine")
    ]


def test_the_home_cells_site_sheet_shows_the_time_another_cell_booked_there_without_its_patient(world: World) -> None:
    """The practice's front desk expects someone at that time: the sheet of its site says which cell booked it."""
    doctor = shared(world)
    practice = SiteFactory(cell=world.cell, name="Maison de santé du Bourg")
    ours = make_slot(world.cell, professional=doctor, site=practice, starts_at=paris(9))
    book(world, ours, world.cell, world.colleague, "Ornais")
    theirs = make_slot(world.cell, professional=doctor, site=practice, starts_at=paris(10))
    book(world, theirs, world.other_cell, world.outsider, "Vigneron")
    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.SITE, practice.pk), DAY)
    assert [line.booked_by_other_cell for line in sheet.lines] == ["", world.other_cell.name]
    assert sheet.request_ids == [sheet.lines[0].booking.request_id]  # the access log: the cell's own patient only
    url = reverse("desk:daysheet_site", kwargs={"cell": world.cell.slug, "pk": practice.pk})
    page = world.client_for(world.colleague).get(url, {"jour": str(DAY)}).content.decode()
    assert "ORNAIS" in page.upper() and world.other_cell.name in page and "VIGNERON" not in page.upper()


def test_the_printed_sheet_names_the_other_cell_and_not_its_patient(world: World) -> None:
    doctor = shared(world)
    theirs = make_slot(world.cell, professional=doctor, starts_at=paris(10), modality="teleconsultation")
    book(world, theirs, world.other_cell, world.outsider, "Vigneron")
    url = reverse("desk:daysheet_professional", kwargs={"cell": world.cell.slug, "pk": doctor.pk})
    response = world.client_for(world.colleague).get(url, {"jour": str(DAY)})
    page = response.content.decode()
    assert response.status_code == 200, page[:500]
    assert world.other_cell.name in page and "VIGNERON" not in page.upper()
