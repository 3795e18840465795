"""Day sheets' reads: the right patients for a Médicobus stop, a spot session, a site's hours and an effector's day
(cancelled ones left out, Paris days across the clock changes), in a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Role, User
from agenda import services
from agenda.models import Booking, Slot
from agenda.services import StopData, spot_save, tour_save
from agenda.tests.factories import make_slot
from conftest import World
from desk.daysheets import SheetKind, day_sheet, sheet_subject
from directory.models import Professional, Site
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db

DAY = date(2027, 1, 13)  # a Wednesday (weekday 2)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def member(world: World, role: str, **fields: Any) -> tuple[Professional, User]:
    professional: Professional = ProfessionalFactory(cell=world.cell, **fields)
    user: User = MembershipFactory(cell=world.cell, role=role, professional=professional).user
    return professional, user


def booked(world: World, slot: Slot, **request_fields: Any) -> Booking:
    """The slot booked by the cell's coordinator a day before it starts."""
    before = slot.starts_at - timedelta(days=1)
    request = make_request(world.cell, now=before, **request_fields)
    return services.slot_book(slot=slot, request=request, user=world.colleague, now=before)


def tour_of(world: World, doctor: Professional, assistant: Professional | None = None) -> Any:
    site = SiteFactory(cell=world.cell)
    commune = world.territory.communes.first()
    return tour_save(
        cell=world.cell,
        name="Médicobus du Pays d'Argentan",
        doctor=doctor,
        assistant=assistant,
        first_day=DAY,
        last_day=DAY + timedelta(days=6),
        stops=[
            StopData(2, commune, "Place du marché", time(9, 0), time(10, 0)),
            StopData(2, commune, "Parking de la salle des fêtes", time(14, 0), time(15, 0)),
        ],
        minutes=20,
        site=site,
        now=paris(DAY, 0) - timedelta(days=2),
    ).tour


def stop_slot(tour: Any, hour: int, minute: int = 0) -> Slot:
    return Slot.objects.get(plan__tour=tour, starts_at=paris(DAY, hour, minute))


# --- selectors ---------------------------------------------------------------------------------------------------


def test_a_medicobus_sheet_lists_each_stop_with_its_patients_and_leaves_cancelled_ones_out(world: World) -> None:
    doctor, _user = member(world, Role.EFFECTOR, last_name="Bus")
    tour = tour_of(world, doctor)
    morning = booked(world, stop_slot(tour, 9, 20), last_name="Matin", phone="+33611111111")
    Booking.objects.filter(pk=morning.pk).update(effector_note="Fauteuil roulant")
    afternoon = booked(world, stop_slot(tour, 14), last_name="Aprem")
    cancelled = booked(world, stop_slot(tour, 9, 0), last_name="Annule")
    services.booking_cancel(booking=cancelled, user=world.colleague, reason="Patient guéri", now=paris(DAY, 7))
    booked(world, make_slot(world.cell, professional=doctor, starts_at=paris(DAY, 11)), last_name="Cabinet")

    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.TOUR, tour.pk), DAY)

    assert [section.heading.split(",")[0] for section in sheet.sections] == [
        "Place du marché",
        "Parking de la salle des fêtes",
    ]
    assert sheet.sections[0].heading.endswith("09:00–10:00")
    assert [[line.request.patient_last_name for line in s.lines] for s in sheet.sections] == [["Matin"], ["Aprem"]]
    assert sheet.lines[0].booking.effector_note == "Fauteuil roulant"
    assert sheet.request_ids == [morning.request_id, afternoon.request_id]


def test_a_medicobus_stop_where_nobody_is_booked_is_still_on_the_sheet(world: World) -> None:
    doctor, _user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor)
    booked(world, stop_slot(tour, 14), last_name="Aprem")

    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.TOUR, tour.pk), DAY)

    assert [len(section.lines) for section in sheet.sections] == [0, 1]


def test_a_spot_sheet_lists_the_spot_times_with_the_paired_teleconsultant(world: World) -> None:
    nurse, _user = member(world, Role.EFFECTOR, profession="nurse")
    site: Site = SiteFactory(cell=world.cell, kind="telemedicine_spot", name="Point de télémédecine de Cabourg")
    spot, _plan = spot_save(
        cell=world.cell,
        site=site,
        nurses=[nurse],
        weekdays=[2],
        start_time=time(14, 0),
        end_time=time(16, 0),
        first_day=DAY,
        last_day=DAY + timedelta(days=6),
        now=paris(DAY, 0) - timedelta(days=2),
    )
    doctor, _doctor_user = member(world, Role.EFFECTOR, teleconsultant_tier="local", last_name="Distant")
    make_slot(
        world.cell, professional=doctor, modality="assisted_teleconsultation", starts_at=paris(DAY, 14), minutes=120
    )
    spot_time = Slot.objects.get(site=site, starts_at=paris(DAY, 14, 20))
    booked(world, spot_time, last_name="Cabine")
    booked(world, make_slot(world.cell, site=site, starts_at=paris(DAY, 17)), last_name="Autrechose")

    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.SPOT, spot.pk), DAY)

    assert [line.request.patient_last_name for line in sheet.lines] == ["Cabine"]
    assert sheet.lines[0].teleconsultant == doctor


def test_a_site_sheet_lists_every_professional_booked_there_that_day(world: World) -> None:
    site: Site = SiteFactory(cell=world.cell, name="Maison de santé d'Argentan")
    first, _u1 = member(world, Role.EFFECTOR)
    second, _u2 = member(world, Role.EFFECTOR)
    booked(world, make_slot(world.cell, site=site, professional=second, starts_at=paris(DAY, 18)), last_name="Soir")
    booked(world, make_slot(world.cell, site=site, professional=first, starts_at=paris(DAY, 17)), last_name="Fin")
    booked(world, make_slot(world.cell, professional=first, starts_at=paris(DAY, 16)), last_name="Ailleurs")
    booked(world, make_slot(world.cell, site=site, starts_at=paris(DAY + timedelta(days=1), 17)), last_name="Lendemain")

    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.SITE, site.pk), DAY)

    assert [line.request.patient_last_name for line in sheet.lines] == ["Fin", "Soir"]


def test_an_effectors_day_takes_their_slots_across_sites_and_their_teleconsultations(world: World) -> None:
    gp, _user = member(world, Role.EFFECTOR)
    other, _other_user = member(world, Role.EFFECTOR)
    booked(world, make_slot(world.cell, professional=gp, site=SiteFactory(cell=world.cell), starts_at=paris(DAY, 9)))
    booked(world, make_slot(world.cell, professional=gp, modality="home_visit", starts_at=paris(DAY, 12)))
    booked(world, make_slot(world.cell, professional=other, starts_at=paris(DAY, 10)), last_name="PasLeSien")

    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.PROFESSIONAL, gp.pk), DAY)

    assert [timezone.localtime(line.slot.starts_at).hour for line in sheet.lines] == [9, 12]
    assert sheet.lines[1].is_home_visit


@pytest.mark.parametrize(
    "day",
    [date(2027, 3, 28), date(2027, 10, 31)],  # the spring and the autumn clock changes (23 and 25 hours)
    ids=["spring", "autumn"],
)
def test_a_day_is_a_paris_day_across_the_clock_changes(world: World, day: date) -> None:
    gp, _user = member(world, Role.EFFECTOR)
    for when, name in (
        (paris(day - timedelta(days=1), 23, 50), "Veille"),
        (paris(day, 0, 10), "Minuit"),
        (paris(day, 23, 40), "Tard"),
        (paris(day + timedelta(days=1), 0, 5), "Lendemain"),
    ):
        booked(world, make_slot(world.cell, professional=gp, starts_at=when, minutes=10), last_name=name)

    sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.PROFESSIONAL, gp.pk), day)

    assert [line.request.patient_last_name for line in sheet.lines] == ["Minuit", "Tard"]
    assert [f"{timezone.localtime(line.slot.starts_at):%H:%M}" for line in sheet.lines] == ["00:10", "23:40"]


def test_the_sheet_reads_the_same_number_of_queries_for_one_patient_or_ten(
    world: World, django_assert_num_queries: Any
) -> None:
    doctor, _user = member(world, Role.EFFECTOR)
    tour = tour_of(world, doctor)
    make_slot(world.cell, professional=doctor, starts_at=paris(DAY, 17), capacity=12)

    def read() -> int:
        """The sheet, with what the template prints of each line read too."""
        sheet = day_sheet(world.cell, sheet_subject(world.cell, SheetKind.TOUR, tour.pk), DAY)
        for line in sheet.lines:
            str(line.request.requester_professional or line.request.requester_site)
            str(line.slot.commune or line.slot.site), str(line.teleconsultant), str(line.request.patient_commune)
        return len(sheet.lines)

    slot = stop_slot(tour, 9, 0)
    Slot.objects.filter(pk=slot.pk).update(capacity=12)
    booked(world, Slot.objects.get(pk=slot.pk), last_name="Seul")
    with django_assert_num_queries(3):  # the tour, its stops' times, the day's bookings with all they show
        assert read() == 1
    for number in range(9):
        booked(world, Slot.objects.get(pk=slot.pk), last_name=f"Patient{number}", phone=f"+3361111110{number}")
    with django_assert_num_queries(3):
        assert read() == 10
