"""The effector hears of a new appointment, a change and a cancellation; the patient of a cancellation by the cell;
the médecin traitant of the consultation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agenda import services as agenda
from agenda.tests.factories import make_slot
from conftest import World
from directory.models import Profession
from notifications.models import Message, MessageKind
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db


def kinds() -> list[str]:
    return list(Message.objects.order_by("pk").values_list("kind", flat=True))


def test_the_effector_hears_of_the_booking_the_move_and_the_cancellation(world: World) -> None:
    ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST)  # the requester
    doctor = ProfessionalFactory(cell=world.cell, last_name="Morel", email="dr.morel@example.org")
    site = SiteFactory(cell=world.cell, name="Cabinet du Parc")
    request = make_request(world.cell, first_name="Rose", last_name="Delaunay")
    first = make_slot(world.cell, professional=doctor, site=site, starts_at=timezone.now() + timedelta(hours=4))
    booking = agenda.slot_book(slot=first, request=request, user=world.colleague)
    told = Message.objects.get(kind=MessageKind.EFFECTOR_BOOKED)
    assert told.to == "dr.morel@example.org" and told.channel == "email"
    assert "R. D." in told.body and "Delaunay" not in told.body and "Cabinet du Parc" in told.body

    later = make_slot(world.cell, professional=doctor, site=site, starts_at=timezone.now() + timedelta(hours=28))
    booking = agenda.booking_move(booking=booking, slot=later, user=world.colleague)
    moved = Message.objects.get(kind=MessageKind.EFFECTOR_MOVED)
    assert f"{timezone.localtime(later.starts_at):%d/%m/%Y %H:%M}" in moved.body

    agenda.booking_cancel(booking=booking, user=world.colleague, reason="Patient hospitalisé")
    assert Message.objects.filter(kind=MessageKind.EFFECTOR_CANCELLED, to="dr.morel@example.org").count() == 1
    sms = Message.objects.get(kind=MessageKind.PATIENT_CANCELLED)
    assert sms.channel == "sms" and sms.to == "+33612345678" and "annulé" in sms.body


def test_two_effectors_whose_long_addresses_share_their_beginning_are_both_told(world: World) -> None:
    """Message keys held the address cut to 100 characters with the rest: the second effector was never told."""
    shared = "spot.teleconsultation@maison-de-sante-pluriprofessionnelle-du-pays-d-argentan-et-des-collines"
    spot = SiteFactory(cell=world.cell, kind="telemedicine_spot", email=f"{shared}.example.org")
    doctor = ProfessionalFactory(cell=world.cell, teleconsultant_tier="local", email=f"{shared}.example.fr")
    start = timezone.now() + timedelta(hours=5)
    cabin = make_slot(world.cell, starts_at=start, site=spot, modality="assisted_teleconsultation")
    make_slot(world.cell, starts_at=start, professional=doctor, modality="assisted_teleconsultation")
    agenda.slot_book(slot=cabin, request=make_request(world.cell), user=world.colleague)
    told = Message.objects.filter(kind=MessageKind.EFFECTOR_BOOKED)
    assert sorted(told.values_list("to", flat=True)) == [f"{shared}.example.fr", f"{shared}.example.org"]
    assert all(len(key) <= 100 for key in told.values_list("key", flat=True))


def test_a_patient_who_cancels_from_the_link_gets_no_sms_about_it(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    booking = agenda.slot_book(slot=make_slot(world.cell), request=request, user=world.colleague)
    agenda.booking_cancel_by_patient(token=booking.cancel_token)
    assert MessageKind.PATIENT_CANCELLED not in kinds()


def test_the_medecin_traitant_gets_a_summary_after_the_consultation(world: World) -> None:
    ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST)
    ProfessionalFactory(cell=world.cell, last_name="Lefèvre", first_name="Anne", email="dr.lefevre@example.org")
    request = make_request(world.cell, mt_name="Dr A. LEFEVRE", mt_situation="mt_unavailable")
    slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=2))
    booking = agenda.slot_book(slot=slot, request=request, user=world.colleague)
    agenda.booking_outcome(
        booking=booking,
        user=world.colleague,
        seen=True,
        follow_up_needed=True,
        note="Angine, traitée.",
        now=timezone.now() + timedelta(hours=3),
    )
    summary = Message.objects.get(kind=MessageKind.MT_SUMMARY)
    assert summary.to == "dr.lefevre@example.org"
    assert "Angine, traitée." in summary.details and "R. D." in summary.details and "Delaunay" not in summary.details
    assert "Angine, traitée." not in summary.body  # no relay configured: the e-mail is a notice with a link


def test_no_summary_when_the_directory_does_not_know_the_medecin_traitant(world: World) -> None:
    ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST)
    request = make_request(world.cell, mt_name="Dr Inconnu", mt_situation="mt_unavailable")
    booking = agenda.slot_book(slot=make_slot(world.cell), request=request, user=world.colleague)
    agenda.booking_outcome(booking=booking, user=world.colleague, seen=True, now=timezone.now() + timedelta(hours=4))
    assert MessageKind.MT_SUMMARY not in kinds()
