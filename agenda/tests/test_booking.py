from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from agenda import services
from agenda.models import Booking, BookingStatus, Slot, SlotStatus
from common.errors import DomainError
from conftest import World
from notifications.models import Message, MessageKind
from referrals import services as referrals
from referrals.models import EventKind
from referrals.states import Status
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory

from .factories import make_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(world: World):
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell)


def test_booking_orients_the_request_and_fills_the_slot(world: World, request_) -> None:
    slot = make_slot(world.cell)
    booking = services.slot_book(slot=slot, request=request_, user=world.colleague)
    slot.refresh_from_db()
    request_.refresh_from_db()
    assert (slot.booked, request_.status, request_.modality) == (1, Status.ORIENTED, "in_person")
    assert booking.status == BookingStatus.BOOKED
    assert request_.events.filter(to_status=Status.ORIENTED).exists()


def test_a_full_slot_says_just_taken_and_writes_nothing(world: World, request_) -> None:
    slot = make_slot(world.cell)
    services.slot_book(slot=slot, request=request_, user=world.colleague)
    other = make_request(world.cell, last_name="Autre", phone="+33699999999")
    with pytest.raises(DomainError) as raised:
        services.slot_book(slot=slot, request=other, user=world.colleague)
    assert raised.value.code == "taken"
    other.refresh_from_db()
    assert other.status == Status.RECEIVED
    assert Booking.objects.count() == 1


def test_past_and_cancelled_slots_are_refused_with_their_reason(world: World, request_) -> None:
    past = make_slot(world.cell, starts_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(DomainError) as raised:
        services.slot_book(slot=past, request=request_, user=world.colleague)
    assert raised.value.code == "past"
    cancelled = make_slot(world.cell, status=SlotStatus.CANCELLED)
    with pytest.raises(DomainError) as raised:
        services.slot_book(slot=cancelled, request=request_, user=world.colleague)
    assert raised.value.code == "cancelled"


def test_a_slot_for_another_care_or_cell_is_refused(world: World, request_) -> None:
    with pytest.raises(DomainError) as raised:
        services.slot_book(
            slot=make_slot(world.cell, care_channel="physiotherapy"), request=request_, user=world.colleague
        )
    assert raised.value.message == services.SLOT_WRONG_CARE
    with pytest.raises(DomainError) as raised:
        services.slot_book(slot=make_slot(world.other_cell), request=request_, user=world.colleague)
    assert raised.value.message == services.SLOT_OTHER_CELL
    assert not Booking.objects.exists()


def test_the_check_constraint_refuses_more_bookings_than_capacity(world: World) -> None:
    slot = make_slot(world.cell, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=2)


def test_cancelling_frees_the_slot_and_the_request_can_be_booked_again(world: World, request_) -> None:
    slot = make_slot(world.cell)
    booking = services.slot_book(slot=slot, request=request_, user=world.colleague)
    services.booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible")
    slot.refresh_from_db()
    request_.refresh_from_db()
    assert (slot.booked, request_.status) == (0, Status.APPOINTMENT_CANCELLED)
    again = services.slot_book(slot=slot, request=request_, user=world.colleague)
    assert again.status == BookingStatus.BOOKED


def test_the_outcome_closes_the_loop(world: World, request_) -> None:
    slot = make_slot(world.cell)
    booking = services.slot_book(slot=slot, request=request_, user=world.colleague)
    with pytest.raises(DomainError) as raised:
        services.booking_outcome(booking=booking, user=world.colleague, seen=True)
    assert raised.value.message == services.OUTCOME_TOO_EARLY
    later = slot.starts_at + timedelta(minutes=30)
    services.booking_outcome(
        booking=booking, user=world.colleague, seen=True, follow_up_needed=True, note="Angine, antibiotiques", now=later
    )
    request_.refresh_from_db()
    assert request_.status == Status.SEEN
    assert request_.events.filter(to_status=Status.SEEN, text__contains="Angine").exists()


def test_an_appointment_is_moved_in_one_step_and_the_request_stays_oriented(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    request = make_request(world.cell)
    first = make_slot(world.cell, starts_at=now + timedelta(hours=2))
    second = make_slot(world.cell, starts_at=now + timedelta(hours=5))
    full = make_slot(world.cell, starts_at=now + timedelta(hours=6), booked=1)
    booking = services.slot_book(slot=first, request=request, user=world.colleague, now=now)
    with pytest.raises(DomainError) as raised:
        services.booking_move(booking=booking, slot=full, user=world.colleague, now=now)
    assert raised.value.code == "taken"
    assert (Slot.objects.get(pk=first.pk).booked, Slot.objects.get(pk=full.pk).booked) == (1, 1)
    services.booking_move(booking=booking, slot=second, user=world.colleague, now=now)
    assert (Slot.objects.get(pk=first.pk).booked, Slot.objects.get(pk=second.pk).booked) == (0, 1)
    booking.refresh_from_db()
    request.refresh_from_db()
    assert booking.slot_id == second.pk and request.status == Status.ORIENTED
    assert request.events.filter(kind=EventKind.APPOINTMENT_MOVED).count() == 1


def test_a_passed_appointment_is_not_moved(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    booking = services.slot_book(
        slot=make_slot(world.cell, starts_at=now + timedelta(hours=1)),
        request=make_request(world.cell),
        user=world.colleague,
        now=now,
    )
    later = make_slot(world.cell, starts_at=now + timedelta(hours=5))
    with pytest.raises(DomainError) as raised:
        services.booking_move(booking=booking, slot=later, user=world.colleague, now=now + timedelta(hours=2))
    assert raised.value.message == referrals.APPOINTMENT_NOT_MOVABLE
    assert Booking.objects.get(pk=booking.pk).slot_id != later.pk


def test_the_cell_cancels_an_appointment_only_with_a_reason_and_a_confirmation(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    booking = services.slot_book(slot=make_slot(world.cell), request=make_request(world.cell), user=world.colleague)
    client = world.client_for(world.colleague)
    url = reverse("agenda:booking_cancel", kwargs={"cell": world.cell.slug, "pk": booking.pk})
    for body, message in (
        ({"reason": "", "confirm": "on"}, "Dites pourquoi"),
        ({"reason": "Patient hospitalisé"}, "Cochez la case"),
    ):
        refused = client.post(url, body, follow=True)
        assert message in refused.content.decode()
        booking.refresh_from_db()
        assert booking.status == BookingStatus.BOOKED
    assert not Message.objects.filter(kind=MessageKind.PATIENT_CANCELLED).exists()
    done = client.post(url, {"reason": "Patient hospitalisé", "confirm": "on"}, follow=True)
    assert "Rendez-vous annulé" in done.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert "Patient hospitalisé" in booking.request.events.order_by("-pk").first().text
    with pytest.raises(DomainError) as raised:
        services.booking_cancel(booking=booking, user=world.colleague, reason="  ")
    assert raised.value.message == services.CANCEL_REASON_REQUIRED
