"""The patient's cancel link: until an hour before, it frees the slot and sends the request back to the coordinators;
an unknown, used or expired link says only that it is not valid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda import services
from agenda.models import Booking, BookingStatus, Slot
from conftest import World
from notifications.models import Message, MessageKind
from referrals.states import Status
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, SiteFactory

from .factories import make_slot

pytestmark = pytest.mark.django_db


def booked(world: World, hours: float = 5) -> Booking:
    world.cell.patient_phone = "+33233000002"
    world.cell.save()
    ProfessionalFactory(cell=world.cell)
    site = SiteFactory(cell=world.cell, name="Cabinet des Tilleuls")
    slot = make_slot(world.cell, site=site, starts_at=timezone.now() + timedelta(hours=hours))
    return services.slot_book(slot=slot, request=make_request(world.cell), user=world.colleague)


def test_the_patient_cancels_from_the_link_in_their_sms(world: World) -> None:
    booking = booked(world)
    sms = Message.objects.get(kind=MessageKind.PATIENT_BOOKED)
    url = reverse("patient_cancel", kwargs={"token": booking.cancel_token})
    assert url in sms.body
    page = Client().get(url)
    assert page.status_code == 200 and "Cabinet des Tilleuls" in page.content.decode()
    assert "Delaunay" not in page.content.decode() and "DELAUNAY" not in page.content.decode()
    asked = Client().post(url)  # the button: asked to confirm, nothing changed yet
    assert asked.status_code == 200 and "Voulez-vous vraiment annuler" in asked.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    done = Client().post(url, {"confirm": "yes"})
    assert done.status_code == 200 and "Votre rendez-vous est annulé." in done.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert Slot.objects.get(pk=booking.slot_id).booked == 0
    assert booking.request.status == Status.APPOINTMENT_CANCELLED
    again = Client().get(url)  # opened again: it says so, with the number for patients, not "not valid"
    assert again.status_code == 200 and "Ce rendez-vous est déjà annulé." in again.content.decode()
    assert "02 33 00 00 02" in again.content.decode()
    assert Client().post(url, {"confirm": "yes"}).status_code == 200  # a second confirmation changes nothing
    assert Message.objects.filter(kind=MessageKind.PATIENT_CANCELLED).count() == 0


def test_an_unknown_link_reveals_nothing(world: World) -> None:
    page = Client().get(reverse("patient_cancel", kwargs={"token": "nope"}))
    assert page.status_code == 404 and "pas (ou plus) valide" in page.content.decode()
    assert Client().post(reverse("patient_cancel", kwargs={"token": "nope"})).status_code == 404


def test_less_than_an_hour_before_the_link_sends_to_the_phone(world: World) -> None:
    booking = booked(world, hours=0.5)
    url = reverse("patient_cancel", kwargs={"token": booking.cancel_token})
    assert "moins d’une heure" in Client().get(url).content.decode()
    assert Client().post(url, {"confirm": "yes"}).status_code == 409
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
