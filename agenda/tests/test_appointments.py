"""Effectors see and close their own work: the day's appointments with what they need (patient, age, phone, reason,
urgency, requester, MT, the cell's note, the place), the outcome recorded once by one of the appointment's
effectors, the spot IDEL's debrief; the teleconsultant sees the spot and its IDEL; nobody sees another's patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Role, User
from agenda import selectors, services
from agenda.models import Booking, BookingStatus, Slot, TeleconsultationDebrief, TelemedicineSpot
from agenda.services.debrief import DEBRIEF_ALREADY, DEBRIEF_NOT_YOURS, RELAY_WHO_REQUIRED, debrief_record
from audit.models import AccessEvent
from common.errors import DomainError
from conftest import World
from directory.models import Professional, Site
from notifications.models import Message, MessageKind
from referrals.models import EventKind, Modality, Request
from referrals.states import Status
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory

from .factories import make_slot

pytestmark = pytest.mark.django_db


def effector(world: World, **fields: Any) -> tuple[Professional, User]:
    professional: Professional = ProfessionalFactory(cell=world.cell, **fields)
    user: User = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=professional).user
    return professional, user


def booked(world: World, slot: Slot, **request_fields: Any) -> Booking:
    """A booking made two hours before the slot started (the slot may already have started now)."""
    before = slot.starts_at - timedelta(hours=2)
    request = make_request(world.cell, now=before, **request_fields)
    return services.slot_book(slot=slot, request=request, user=world.colleague, now=before)


@dataclass
class Spot:
    site: Any
    nurse: Professional
    nurse_user: User
    doctor: Professional
    doctor_user: User
    booking: Booking


def assisted_teleconsultation(world: World, starts_at: Any) -> Spot:
    site: Site = SiteFactory(cell=world.cell, kind="telemedicine_spot", name="Point de télémédecine de Cabourg")
    nurse, nurse_user = effector(world, profession="nurse", last_name="Lefebvre-Duchâteau", phone="+33231000001")
    spot = TelemedicineSpot.objects.create(cell=world.cell, site=site)
    spot.nurses.add(nurse)
    doctor, doctor_user = effector(world, teleconsultant_tier="regional", last_name="Téléconsultant")
    make_slot(world.cell, professional=doctor, modality="assisted_teleconsultation", starts_at=starts_at, minutes=60)
    spot_slot = make_slot(world.cell, site=site, modality="assisted_teleconsultation", starts_at=starts_at)
    booking = booked(world, spot_slot, last_name="Marchand")
    return Spot(site, nurse, nurse_user, doctor, doctor_user, booking)


def appointments_page(world: World, user: User, day: date | None = None) -> Any:
    url = reverse("agenda:appointments", kwargs={"cell": world.cell.slug})
    return world.client_for(user).get(url, {"jour": f"{day:%Y-%m-%d}"} if day else {})


def test_a_gp_sees_each_appointment_with_what_they_need(world: World) -> None:
    gp, gp_user = effector(world)
    slot = make_slot(world.cell, professional=gp, starts_at=timezone.now() + timedelta(hours=1))
    booking = booked(
        world, slot, last_name="Vasseur", birth_date=date(1950, 3, 1), mt_name="Dr Paul Hébert", mt_situation="mt_away"
    )
    Booking.objects.filter(pk=booking.pk).update(effector_note="Patient malentendant : appeler sa fille.")
    page = appointments_page(world, gp_user, timezone.localdate(slot.starts_at)).content.decode()
    request = booking.request
    assert "Rose VASSEUR" in page
    today = timezone.localdate(slot.starts_at)
    age = today.year - 1950 - ((today.month, today.day) < (3, 1))
    assert f"{age} ans" in page
    assert request.patient_phone.as_national in page and request.reason in page
    assert str(request.requester_professional) in page and "Dr Paul Hébert" in page
    assert "Patient malentendant : appeler sa fille." in page
    listed = AccessEvent.objects.filter(object_type="appointments", user=gp_user).get()
    assert request.pk in listed.subject_ids


def test_an_effector_sees_only_their_own_appointments(world: World) -> None:
    gp, gp_user = effector(world)
    other, _other_user = effector(world)
    mine = booked(world, make_slot(world.cell, professional=gp, starts_at=timezone.now() + timedelta(hours=1)))
    theirs = booked(
        world,
        make_slot(world.cell, professional=other, starts_at=timezone.now() + timedelta(hours=2)),
        last_name="Autre",
    )
    page = appointments_page(world, gp_user, timezone.localdate(mine.slot.starts_at)).content.decode()
    assert mine.request.patient_name in page and theirs.request.patient_name not in page
    client = world.client_for(gp_user)
    detail = reverse("agenda:appointment", kwargs={"cell": world.cell.slug, "pk": theirs.pk})
    assert client.get(detail).status_code == 404
    outcome = reverse("agenda:appointment_outcome", kwargs={"cell": world.cell.slug, "pk": theirs.pk})
    assert client.post(outcome, {"outcome": "seen"}).status_code == 404
    assert Booking.objects.get(pk=theirs.pk).status == BookingStatus.BOOKED
    # Coordinators use the request page; the other cell's administrator does not reach the cell at all.
    assert world.client_for(world.colleague).get(detail).status_code == 403
    assert world.client_for(world.outsider).get(detail).status_code == 404


def test_the_effector_records_the_outcome_once_and_the_cell_and_the_mt_receive_it(world: World) -> None:
    gp, gp_user = effector(world)
    ProfessionalFactory(
        cell=world.cell, first_name="Paul", last_name="Hébert", profession="gp", email="hebert@example.org"
    )
    slot = make_slot(world.cell, professional=gp, starts_at=timezone.now() - timedelta(minutes=30))
    booking = booked(world, slot, mt_name="Paul Hébert", mt_situation="mt_away")
    client = world.client_for(gp_user)
    url = reverse("agenda:appointment_outcome", kwargs={"cell": world.cell.slug, "pk": booking.pk})
    answer = client.post(url, {"outcome": "seen", "follow_up": "on", "note": "Angine, antibiotiques 6 jours."})
    assert answer.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.SEEN and booking.outcome_by == gp_user and booking.follow_up_needed
    request = Request.objects.get(pk=booking.request_id)
    assert request.status == Status.SEEN
    seen = request.events.get(to_status=Status.SEEN)
    assert seen.actor == gp_user and "Angine, antibiotiques 6 jours." in seen.text  # on the coordinator's timeline
    summary = Message.objects.get(request=request, kind=MessageKind.MT_SUMMARY)
    assert summary.to == "hebert@example.org" and "Angine, antibiotiques 6 jours." in summary.details
    again = client.post(url, {"outcome": "no_show"})
    assert again.status_code == 200
    assert escape(str(services.OUTCOME_ALREADY % {"outcome": booking.get_status_display()})) in again.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.SEEN
    assert Message.objects.filter(request=request, kind=MessageKind.MT_SUMMARY).count() == 1


def test_an_outcome_without_a_choice_keeps_the_note_as_typed(world: World) -> None:
    gp, gp_user = effector(world)
    booking = booked(world, make_slot(world.cell, professional=gp, starts_at=timezone.now() - timedelta(minutes=5)))
    url = reverse("agenda:appointment_outcome", kwargs={"cell": world.cell.slug, "pk": booking.pk})
    answer = world.client_for(gp_user).post(url, {"note": "Vu avec sa fille"})
    assert answer.status_code == 200
    assert "Vu avec sa fille" in answer.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_a_moved_appointment_cannot_be_closed_by_its_former_effector(world: World) -> None:
    gp, _user = effector(world)
    other, _other_user = effector(world)
    booking = booked(world, make_slot(world.cell, professional=gp, starts_at=timezone.now() - timedelta(minutes=5)))
    Booking.objects.filter(pk=booking.pk).update(
        slot=make_slot(world.cell, professional=other, starts_at=timezone.now() - timedelta(minutes=4))
    )
    with pytest.raises(DomainError) as refused:
        services.booking_outcome(booking=booking, user=world.colleague, seen=True, professional=gp)
    assert refused.value.message == services.APPOINTMENT_NOT_YOURS
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_the_teleconsultant_sees_the_spot_and_its_idel_and_the_idel_her_patients(world: World) -> None:
    spot = assisted_teleconsultation(world, timezone.now() + timedelta(hours=1))
    day = timezone.localdate(spot.booking.slot.starts_at)
    doctor_page = appointments_page(world, spot.doctor_user, day).content.decode()
    assert "Rose MARCHAND" in doctor_page and "Point de télémédecine de Cabourg" in doctor_page
    assert str(spot.nurse) in doctor_page and spot.nurse.phone.as_national in doctor_page
    nurse_page = appointments_page(world, spot.nurse_user, day).content.decode()
    assert "Rose MARCHAND" in nurse_page and str(spot.doctor) in nurse_page
    roles = {
        user: selectors.appointment_of(world.cell, pro, spot.booking.pk).role
        for user, pro in ((spot.doctor_user, spot.doctor), (spot.nurse_user, spot.nurse))
    }
    assert roles == {spot.doctor_user: "teleconsultant", spot.nurse_user: "spot_nurse"}


def test_the_idel_records_the_debrief_and_the_mt_gets_it_with_the_summary(world: World) -> None:
    ProfessionalFactory(
        cell=world.cell, first_name="Anne", last_name="Roussel", profession="gp", email="roussel@example.org"
    )
    spot = assisted_teleconsultation(world, timezone.now() - timedelta(minutes=20))
    Request.objects.filter(pk=spot.booking.request_id).update(mt_name="Anne Roussel", mt_situation="mt_away")
    client = world.client_for(spot.nurse_user)
    url = reverse("agenda:appointment_debrief", kwargs={"cell": world.cell.slug, "pk": spot.booking.pk})
    missing = client.post(url, {"understanding_checked": "on", "next_steps": "Antibiotiques", "relay": "pharmacy"})
    assert missing.status_code == 200 and escape(str(RELAY_WHO_REQUIRED)) in missing.content.decode()
    assert "Antibiotiques" in missing.content.decode()  # kept as typed
    done = client.post(
        url,
        {
            "understanding_checked": "on",
            "next_steps": "Antibiotiques 6 jours, revoir le MT si fièvre > 3 jours",
            "relay": "pharmacy",
            "relay_note": "Pharmacie du Port, ce soir",
        },
    )
    assert done.status_code == 302
    debrief = TeleconsultationDebrief.objects.get(booking=spot.booking)
    assert debrief.by == spot.nurse_user and debrief.understanding_checked
    event = spot.booking.request.events.get(kind=EventKind.DEBRIEF)
    assert "Pharmacie du Port, ce soir" in event.text and not event.visible_to_requester
    with pytest.raises(DomainError) as twice:
        debrief_record(
            booking=spot.booking,
            professional=spot.nurse,
            user=spot.nurse_user,
            understanding_checked=True,
            next_steps="x",
            relay="none",
        )
    assert twice.value.message == DEBRIEF_ALREADY
    with pytest.raises(DomainError) as doctor:
        debrief_record(
            booking=spot.booking,
            professional=spot.doctor,
            user=spot.doctor_user,
            understanding_checked=True,
            next_steps="x",
            relay="none",
        )
    assert doctor.value.message == DEBRIEF_NOT_YOURS
    # The teleconsultant records the outcome: the MT's summary carries the debrief.
    services.booking_outcome(
        booking=spot.booking, user=spot.doctor_user, professional=spot.doctor, seen=True, note="Angine."
    )
    summary = Message.objects.get(request=spot.booking.request, kind=MessageKind.MT_SUMMARY)
    assert "Pharmacie du Port, ce soir" in summary.details and "Angine." in summary.details
    assert str(spot.doctor) in summary.details


def test_a_debrief_after_the_summary_follows_it_to_the_mt(world: World) -> None:
    ProfessionalFactory(
        cell=world.cell, first_name="Anne", last_name="Roussel", profession="gp", email="roussel@example.org"
    )
    spot = assisted_teleconsultation(world, timezone.now() - timedelta(minutes=20))
    Request.objects.filter(pk=spot.booking.request_id).update(mt_name="Anne Roussel", mt_situation="mt_away")
    services.booking_outcome(booking=spot.booking, user=spot.doctor_user, professional=spot.doctor, seen=True)
    debrief_record(
        booking=spot.booking,
        professional=spot.nurse,
        user=spot.nurse_user,
        understanding_checked=False,
        next_steps="Reformulé avec sa fille.",
        relay="gp",
    )
    sent = Message.objects.filter(request=spot.booking.request, kind=MessageKind.MT_SUMMARY).order_by("pk")
    assert sent.count() == 2 and "Reformulé avec sa fille." in sent.last().details


def test_a_home_visit_shows_the_patients_address(world: World) -> None:
    nurse, nurse_user = effector(world, profession="nurse")
    office = SiteFactory(cell=world.cell, name="Cabinet infirmier du Centre", address="1 place du Marché")
    slot = make_slot(
        world.cell,
        professional=nurse,
        site=office,
        care_channel="nursing",
        modality="home_visit",
        starts_at=timezone.now() + timedelta(hours=1),
    )
    booking = booked(world, slot, care_channel="nursing", street="12 rue des Tilleuls")
    page = appointments_page(world, nurse_user, timezone.localdate(slot.starts_at)).content.decode()
    assert "12 rue des Tilleuls" in page and "1 place du Marché" not in page
    told = Message.objects.get(request=booking.request, kind=MessageKind.PATIENT_BOOKED)
    assert "Cabinet infirmier du Centre" not in told.body and "1 place du Marché" not in told.body
    assert str(Modality.HOME_VISIT.label) in told.body


def test_the_page_costs_a_fixed_number_of_queries(world: World, django_assert_max_num_queries: Any) -> None:
    gp, gp_user = effector(world)
    tomorrow = timezone.localdate() + timedelta(days=1)
    first = timezone.make_aware(datetime.combine(tomorrow, time(8, 0)))
    for index in range(20):  # an N+1 would cost 20 queries more
        slot = make_slot(world.cell, professional=gp, starts_at=first + timedelta(minutes=20 * index))
        booked(world, slot, last_name=f"Patient{index}")
    client = world.client_for(gp_user)
    url = reverse("agenda:appointments", kwargs={"cell": world.cell.slug})
    client.get(url)
    with django_assert_max_num_queries(16):  # 14 on SQLite, 15 on PostgreSQL; an N+1 would add 20
        page = client.get(url, {"jour": f"{tomorrow:%Y-%m-%d}"})
    assert page.content.decode().count("card appointment") == 20


def test_the_calendars_of_the_teleconsultant_and_the_idel_show_the_patient_and_the_spot(world: World) -> None:
    start = timezone.now() + timedelta(hours=1)
    spot = assisted_teleconsultation(world, start)
    url = reverse("agenda:calendar_events", kwargs={"cell": world.cell.slug})
    day = timezone.localtime(start)
    params = {"start": f"{day:%Y-%m-%d}T00:00:00Z", "end": f"{day + timedelta(days=1):%Y-%m-%d}T00:00:00Z"}
    for user in (spot.doctor_user, spot.nurse_user):
        events = world.client_for(user).get(url, params).json()
        assert len(events) == 1, user
        assert "Rose MARCHAND" in events[0]["title"]
        assert events[0]["extendedProps"]["where"] == "Point de télémédecine de Cabourg"
        assert events[0]["url"].endswith(f"/agenda/mes-rendez-vous/{spot.booking.pk}/")


def test_the_cells_note_reaches_the_effector_only(world: World) -> None:
    gp, gp_user = effector(world)
    _other, other_user = effector(world)
    booking = booked(world, make_slot(world.cell, professional=gp, starts_at=timezone.now() + timedelta(hours=1)))
    url = reverse("agenda:booking_note", kwargs={"cell": world.cell.slug, "pk": booking.pk})
    answer = world.client_for(world.colleague).post(url, {"effector_note": "Interprète en langue des signes présent"})
    assert answer.status_code == 302
    day = timezone.localdate(booking.slot.starts_at)
    assert "Interprète en langue des signes présent" in appointments_page(world, gp_user, day).content.decode()
    assert "Interprète" not in appointments_page(world, other_user, day).content.decode()
    assert booking.request.events.filter(kind=EventKind.NOTE, text=str(services.EFFECTOR_NOTE_CHANGED)).exists()
    too_long = world.client_for(world.colleague).post(url, {"effector_note": "x" * 1001})
    assert too_long.status_code == 302
    assert Booking.objects.get(pk=booking.pk).effector_note == "Interprète en langue des signes présent"


def pdf_text(content: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    return "\n".join(document[index].get_textpage().get_text_range() for index in range(len(document)))


def test_a_patient_on_a_landline_gets_a_printable_slip_with_the_patients_number(world: World) -> None:
    world.cell.patient_phone = "+33233123456"
    world.cell.phone = "+33233999999"  # the professionals' number: never on the slip
    world.cell.save()
    gp, _gp_user = effector(world, last_name="Grandjean-Boisselier")
    site = SiteFactory(cell=world.cell, name="Maison de santé du Pays d'Argentan", address="14 rue des Capucins")
    slot = make_slot(world.cell, professional=gp, site=site, starts_at=timezone.now() + timedelta(days=1))
    booking = booked(world, slot, phone="+33233445566")  # a landline
    detail = reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": booking.request_id})
    page = world.client_for(world.colleague).get(detail).content.decode()
    slip_url = reverse("agenda:booking_slip", kwargs={"cell": world.cell.slug, "pk": booking.pk})
    assert slip_url in page
    assert not Message.objects.filter(request=booking.request, kind=MessageKind.PATIENT_BOOKED).exists()
    answer = world.client_for(world.colleague).get(slip_url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = pdf_text(answer.content)
    local = timezone.localtime(slot.starts_at)
    assert f"{local:%H:%M}" in text and str(local.day) in text
    assert "14 rue des Capucins" in text and "Grandjean-Boisselier".upper() in text.upper()
    assert "02 33 12 34 56" in text and "02 33 99 99 99" not in text
    assert AccessEvent.objects.filter(object_type="appointment_slip", user=world.colleague).exists()
    # Effectors and the other cell do not print the cell's slips.
    _other, other_user = effector(world)
    assert world.client_for(other_user).get(slip_url).status_code == 403
    assert world.client_for(world.outsider).get(slip_url).status_code == 404
