"""Day sheets' pages: the page and the PDF (read back) for those entitled, 403 / 404 for the others, a day that is
not a date refused in French, every sheet shown written in the access log, and the agenda's pages leading there."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.models import Role
from agenda.models import Slot
from agenda.services import StopData, spot_save, tour_save
from agenda.tests.factories import make_slot
from audit.models import AccessEvent
from conftest import World
from desk.views.daysheets import CHOOSE_WHOSE_SHEET, DAY_NOT_A_DATE
from directory.models import Professional, Site
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory

from .test_daysheet_selectors import DAY, booked, member, paris, stop_slot, tour_of

pytestmark = pytest.mark.django_db


def sheet_address(world: World, name: str, pk: int, day: date | None = DAY, cell: Any = None) -> str:
    url = reverse(f"desk:{name}", kwargs={"cell": (cell or world.cell).slug, "pk": pk})
    return f"{url}?jour={day:%Y-%m-%d}" if day else url


def pdf_text(content: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    return "\n".join(document[index].get_textpage().get_text_range() for index in range(len(document)))


def test_a_coordinator_prints_a_medicobus_stop_and_the_reading_is_logged(world: World) -> None:
    doctor, _user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor)
    booking = booked(world, stop_slot(tour, 9, 20), last_name="Lemaître", first_name="Odile", phone="+33611223344")

    page = world.client_for(world.colleague).get(sheet_address(world, "daysheet_tour", tour.pk))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Odile LEMAÎTRE" in html and "06 11 22 33 44" in html and "09:20" in html
    assert sheet_address(world, "daysheet_tour_pdf", tour.pk) in html.replace("&amp;", "&")
    event = AccessEvent.objects.get(object_type="day_sheet")
    assert event.subjects == f",{booking.request_id}," and event.user == world.colleague


def test_the_pdf_reads_back_with_the_patients_and_their_times(world: World) -> None:
    doctor, _user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor)
    booked(world, stop_slot(tour, 9, 20), last_name="Lemaître", first_name="Odile", reason="Toux depuis cinq jours")
    booked(world, stop_slot(tour, 14, 40), last_name="Renard", first_name="Paul")

    response = world.client_for(world.colleague).get(sheet_address(world, "daysheet_tour_pdf", tour.pk))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    for expected in ("Odile LEMAÎTRE", "09:20", "Paul RENARD", "14:40", "Toux depuis cinq jours", world.cell.name):
        assert expected in text
    assert AccessEvent.objects.filter(object_type="day_sheet_pdf").count() == 1


def test_an_empty_day_says_nobody_is_booked_and_logs_nothing(world: World) -> None:
    doctor, _user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor)

    page = world.client_for(world.colleague).get(sheet_address(world, "daysheet_tour", tour.pk))
    pdf = world.client_for(world.colleague).get(sheet_address(world, "daysheet_tour_pdf", tour.pk))

    nobody = gettext("Nobody is booked this day.")
    assert nobody in page.content.decode()  # the template's own text: {% translate %} does not escape
    assert " ".join(nobody.split()) in " ".join(pdf_text(pdf.content).split())
    assert not AccessEvent.objects.filter(object_type__startswith="day_sheet").exists()


def test_without_a_day_the_sheet_is_todays(world: World) -> None:
    gp, user = member(world, Role.EFFECTOR)
    booked(world, make_slot(world.cell, professional=gp, starts_at=timezone.now() + timedelta(minutes=5)))

    page = world.client_for(user).get(sheet_address(world, "daysheet_professional", gp.pk, day=None))

    assert page.status_code == 200
    assert page.context["sheet"].day == timezone.localdate()


def test_a_day_that_is_not_a_date_gets_a_clear_message_and_no_sheet(world: World) -> None:
    gp, user = member(world, Role.EFFECTOR)
    booked(world, make_slot(world.cell, professional=gp, starts_at=timezone.now() + timedelta(minutes=5)))
    url = reverse("desk:daysheet_professional", kwargs={"cell": world.cell.slug, "pk": gp.pk})

    page = world.client_for(user).get(url, {"jour": "31/02/2027"})
    pdf = world.client_for(user).get(url + "pdf/", {"jour": "demain"})

    assert page.status_code == 400 and pdf.status_code == 400
    assert escape(str(DAY_NOT_A_DATE)) in page.content.decode()
    assert "sheet" not in page.context or page.context["sheet"] is None
    assert not AccessEvent.objects.filter(object_type__startswith="day_sheet").exists()


def test_an_effector_prints_their_own_day_and_not_a_colleagues(world: World) -> None:
    gp, user = member(world, Role.EFFECTOR)
    colleague, _colleague_user = member(world, Role.EFFECTOR)
    booked(world, make_slot(world.cell, professional=gp, starts_at=paris(DAY, 9)), last_name="Mien")
    booked(world, make_slot(world.cell, professional=colleague, starts_at=paris(DAY, 9)), last_name="Sien")
    client = world.client_for(user)

    assert "MIEN" in client.get(sheet_address(world, "daysheet_professional", gp.pk)).content.decode()
    assert client.get(sheet_address(world, "daysheet_professional", colleague.pk)).status_code == 404
    assert client.get(sheet_address(world, "daysheet_professional_pdf", colleague.pk)).status_code == 404
    site = SiteFactory(cell=world.cell)
    assert client.get(sheet_address(world, "daysheet_site", site.pk)).status_code == 404


def test_the_tours_doctor_and_assistant_print_its_stops_and_another_effector_does_not(world: World) -> None:
    doctor, doctor_user = member(world, Role.EFFECTOR)
    assistant, assistant_user = member(world, Role.EFFECTOR, profession="other")
    _stranger, stranger_user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor, assistant)
    booked(world, stop_slot(tour, 9, 20), last_name="Passager")
    url = sheet_address(world, "daysheet_tour", tour.pk)

    assert world.client_for(doctor_user).get(url).status_code == 200
    assert world.client_for(assistant_user).get(url).status_code == 200
    assert world.client_for(stranger_user).get(url).status_code == 404


def test_a_spots_idel_prints_its_session_and_another_idel_does_not(world: World) -> None:
    nurse, nurse_user = member(world, Role.EFFECTOR, profession="nurse")
    _other, other_user = member(world, Role.EFFECTOR, profession="nurse")
    site: Site = SiteFactory(cell=world.cell, kind="telemedicine_spot")
    spot, _plan = spot_save(
        cell=world.cell,
        site=site,
        nurses=[nurse],
        weekdays=[2],
        start_time=time(14, 0),
        end_time=time(15, 0),
        first_day=DAY,
        last_day=DAY + timedelta(days=6),
        now=paris(DAY, 0) - timedelta(days=2),
    )
    url = sheet_address(world, "daysheet_spot", spot.pk)

    assert world.client_for(nurse_user).get(url).status_code == 200
    assert world.client_for(other_user).get(url).status_code == 404


def test_the_cell_administrator_and_a_requester_are_refused(world: World) -> None:
    doctor, _user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor)
    booked(world, stop_slot(tour, 9, 20), last_name="Secret")
    pharmacist = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    requester_user = MembershipFactory(
        cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pharmacist
    ).user

    for user in (world.owner, requester_user):
        for name in ("daysheet_tour", "daysheet_tour_pdf"):
            assert world.client_for(user).get(sheet_address(world, name, tour.pk)).status_code == 403
    assert not AccessEvent.objects.filter(object_type__startswith="day_sheet").exists()


def test_another_cells_tour_is_not_found(world: World) -> None:
    other_doctor: Professional = ProfessionalFactory(cell=world.other_cell)
    other_tour = tour_save(
        cell=world.other_cell,
        name="Médicobus du Vignoble",
        doctor=other_doctor,
        first_day=DAY,
        last_day=DAY + timedelta(days=6),
        stops=[StopData(2, world.other_territory.communes.first(), "Place", time(9, 0), time(10, 0))],
        now=paris(DAY, 0) - timedelta(days=2),
    ).tour

    response = world.client_for(world.colleague).get(sheet_address(world, "daysheet_tour", other_tour.pk))

    assert response.status_code == 404


def test_the_day_sheets_page_leads_to_the_chosen_sheet(world: World) -> None:
    site: Site = SiteFactory(cell=world.cell)
    url = reverse("desk:daysheet_choose", kwargs={"cell": world.cell.slug})
    client = world.client_for(world.colleague)

    chosen = client.get(url, {"pour": f"lieu-{site.pk}", "jour": "2027-01-13"})
    nonsense = client.get(url, {"pour": "rien", "jour": "2027-01-13"})
    not_a_day = client.get(url, {"pour": f"lieu-{site.pk}", "jour": "13 janvier"})

    assert chosen.status_code == 302
    assert chosen["Location"] == sheet_address(world, "daysheet_site", site.pk)
    assert nonsense.status_code == 400 and escape(str(CHOOSE_WHOSE_SHEET)) in nonsense.content.decode()
    assert not_a_day.status_code == 400 and escape(str(DAY_NOT_A_DATE)) in not_a_day.content.decode()


def test_the_day_sheets_page_offers_an_effector_only_their_own_sheets(world: World) -> None:
    doctor, doctor_user = member(world, Role.EFFECTOR, last_name="Conducteur")
    tour = tour_of(world, doctor)
    other, _other_user = member(world, Role.EFFECTOR, last_name="Voisine")
    make_slot(world.cell, professional=other, starts_at=paris(DAY, 9))
    url = reverse("desk:daysheet_choose", kwargs={"cell": world.cell.slug})

    mine = world.client_for(doctor_user).get(url)
    everyone = world.client_for(world.colleague).get(url)

    assert [value for _label, options in mine.context["choices"] for value, _name in options] == [
        f"medicobus-{tour.pk}",
        f"professionnel-{doctor.pk}",
    ]
    assert f"professionnel-{other.pk}" in everyone.content.decode()
    assert world.client_for(world.owner).get(url).status_code == 403


def test_the_page_reads_as_many_queries_for_one_patient_as_for_ten(
    world: World, django_assert_max_num_queries: Any
) -> None:
    gp, user = member(world, Role.EFFECTOR)
    slot = make_slot(
        world.cell, professional=gp, site=SiteFactory(cell=world.cell), starts_at=paris(DAY, 9), capacity=10
    )
    booked(world, slot, last_name="Premier")
    url = sheet_address(world, "daysheet_professional", gp.pk)
    with CaptureQueriesContext(connection) as one:  # a first reading, written in the access log
        assert world.client_for(user).get(url).status_code == 200
    for number in range(9):
        booked(world, Slot.objects.get(pk=slot.pk), last_name=f"Suivant{number}", phone=f"+3361111110{number}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = world.client_for(user).get(url)
    assert len(page.context["sheet"].lines) == 10


def test_the_agenda_pages_lead_to_the_day_sheets(world: World) -> None:
    doctor, doctor_user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor)
    coordinator = world.client_for(world.colleague)

    tours_page = coordinator.get(reverse("agenda:tours", kwargs={"cell": world.cell.slug})).content.decode()
    calendar = coordinator.get(reverse("agenda:calendar", kwargs={"cell": world.cell.slug})).content.decode()
    mine = world.client_for(doctor_user).get(
        reverse("agenda:appointments", kwargs={"cell": world.cell.slug}), {"jour": "2027-01-13"}
    )

    assert sheet_address(world, "daysheet_tour", tour.pk, day=None) in tours_page
    assert sheet_address(world, "daysheet_tour_pdf", tour.pk, day=None) in tours_page
    assert reverse("desk:daysheet_choose", kwargs={"cell": world.cell.slug}) in calendar
    assert sheet_address(world, "daysheet_professional", doctor.pk) in mine.content.decode().replace("&amp;", "&")
